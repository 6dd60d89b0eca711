"""How our clients talk to the embedded MongoDB-wire server (see infra/embedded.py)."""

from __future__ import annotations

from ticketsafe.infra.resources import Resources


async def test_clients_of_the_embedded_server_poll_it_and_do_not_retry_writes(
    resources: Resources,
) -> None:
    options = resources.db.client.options
    # Its awaited `hello` answered past PyMongo's timeout under a flash sale, and every
    # late answer cancelled all operations in flight; a plain `hello` is answered at once.
    assert options.server_monitoring_mode == "poll"
    assert options.retry_writes is False  # remembering every write cripples it
    assert options.pool_options.max_pool_size == 16
    await resources.db.command("ping")
