"""Waiting room: fair, verifiable, bot-resistant admission to an event's sale."""
