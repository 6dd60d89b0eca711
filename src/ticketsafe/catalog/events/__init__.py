"""Events: price levels on a venue's layout, the status lifecycle with its listeners and
sales clock, the public listing and the seat map with live availability."""
