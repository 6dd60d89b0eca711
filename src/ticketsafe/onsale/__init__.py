"""Opening an event for sale: the catalog's seat map becomes inventory, and the waiting
room gets its queue. The composition point between catalog, inventory and waiting room,
so that none of them imports another's internals."""
