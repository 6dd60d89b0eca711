"""Realtime: fan-out of live events (Redis pub/sub) to SSE/WebSocket connections."""
