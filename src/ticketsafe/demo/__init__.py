"""Demo data for the embedded default: something to see and buy on a laptop's first start."""
