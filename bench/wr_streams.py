"""What an open waiting-room status stream costs while the line moves: N people far back
in one queue keep a stream open (`waitingroom.live.status_stream`, in this process, on
embedded Valkey + SecantusDB) while the admission tick runs every second for `--seconds`;
report the status reads (script calls) the streams made per person per minute, and this
process's CPU.

    PYTHONPATH=. uv run python bench/wr_streams.py [--people 2000] [--seconds 20]

Run it on two versions of `src/` (e.g. `PYTHONPATH=/tmp/old/src:.`) to compare. The
queue admits 60 people a minute (one per tick), so every tick publishes an admission.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import SecretStr

from ticketsafe.identity.principal import Principal
from ticketsafe.infra.embedded import EmbeddedStores
from ticketsafe.infra.live_hub import Hub
from ticketsafe.infra.migrations import migrate
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.roles import event_loop
from ticketsafe.schema import MIGRATIONS
from ticketsafe.waitingroom.admission import Admissions
from ticketsafe.waitingroom.live import status_stream
from ticketsafe.waitingroom.schemas import JoinIn, QueueConfig
from ticketsafe.waitingroom.service import WaitingRoom


async def _calls(res: Resources) -> int:
    stats = await res.redis.info("commandstats")
    return sum(
        int(v["calls"]) for k, v in stats.items() if k in ("cmdstat_evalsha", "cmdstat_eval")
    )


async def run(settings: Settings, people: int, seconds: float) -> dict[str, float]:
    res = Resources.open(settings)
    try:
        await migrate(res.db, MIGRATIONS)
        room = WaitingRoom.from_resources(res)
        event_id = f"e{secrets.token_hex(4)}"
        config = QueueConfig(
            event_id=event_id, org_id="org_bench",
            on_sale_at=datetime.now(UTC) - timedelta(seconds=1),
            pow_difficulty=0, rate_per_minute=60,
        )  # fmt: skip
        await room.configure_queue(config)
        for i in range(people):
            user = f"usr_{i:06d}"
            challenge = room.pow.issue(event_id, user, 0)
            await room.join(event_id, Principal(user), JoinIn(challenge=challenge, solution="0"))
        admissions = Admissions(res.db, res.redis)
        await admissions.tick()  # the draw
        before = await _calls(res)
        await admissions.tick()
        per_tick = await _calls(res) - before  # the tick's own scripts
        hub = Hub(res.redis)

        async def follow(user: str) -> None:
            async for _ in status_stream(room, hub, event_id, Principal(user), max_s=seconds):
                pass

        # The front hundred are left out: near the front a stream re-reads on every step.
        streams = [asyncio.create_task(follow(f"usr_{i:06d}")) for i in range(100, people)]
        await asyncio.sleep(2.0)  # every stream has made its first read
        calls0, cpu0, t0 = await _calls(res), time.process_time(), time.monotonic()
        ticks = 0
        while time.monotonic() - t0 < seconds - 3:
            await admissions.tick()
            ticks += 1
            await asyncio.sleep(1.0)
        elapsed = time.monotonic() - t0
        calls = await _calls(res) - calls0 - ticks * per_tick
        cpu = time.process_time() - cpu0
        for task in streams:
            task.cancel()
        await asyncio.gather(*streams, return_exceptions=True)
        n = len(streams)
        return {
            "streams": n,
            "seconds": round(elapsed, 1),
            "status_reads_per_person_per_min": round(calls / n / elapsed * 60, 2),
            "process_cpu_ms_per_person_per_min": round(cpu * 1000 / n / elapsed * 60, 3),
        }
    finally:
        await res.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=2_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="wr-streams-"))
    stores = EmbeddedStores(tmp, durable=False)
    stores.start()
    try:
        assert stores.mongo_url is not None
        assert stores.redis_url is not None
        settings = Settings(
            mongo_url=SecretStr(stores.mongo_url),
            redis_url=SecretStr(stores.redis_url),
            auth_secret=SecretStr(secrets.token_urlsafe(32)),
            data_dir=tmp,
        )
        result = event_loop.run(run(settings, args.people, args.seconds))
        print(json.dumps({"pid": os.getpid(), **result}))
    finally:
        stores.stop()


if __name__ == "__main__":
    main()
