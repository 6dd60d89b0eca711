"""Shared infrastructure: settings, stores, crypto, HTTP errors. Domains build on it."""
