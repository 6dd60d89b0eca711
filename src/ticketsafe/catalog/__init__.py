"""Catalog: venues with seat maps, events with prices, their lifecycle and public listing.

Other domains use only `ticketsafe.catalog.read_models` (sales view, seats, layout) and
`ticketsafe.catalog.events.service.change_status` (sold out / back on sale)."""
