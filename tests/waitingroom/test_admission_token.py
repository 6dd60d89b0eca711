from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from ticketsafe.identity.principal import Principal
from ticketsafe.infra.resources import Resources
from ticketsafe.waitingroom.admission import Admissions
from ticketsafe.waitingroom.admission_token import AdmissionTokenCodec
from ticketsafe.waitingroom.errors import AdmissionInvalid, AdmissionRequired
from ticketsafe.waitingroom.schemas import PlaceState
from ticketsafe.waitingroom.service import GATE_TTL_S, WaitingRoom

from .conftest import MakeConfig, auth, http_join, join_direct


async def test_admitted_buyer_gets_a_token_bound_to_account_and_event(
    room: WaitingRoom, admissions: Admissions, make_config: MakeConfig
) -> None:
    config = make_config()
    await room.configure_queue(config)
    ev = config.event_id
    assert await room.queue_active(ev)
    await join_direct(room, ev, "usr_a")
    before = datetime.now(UTC)
    await admissions.tick()
    status = await room.status(ev, Principal("usr_a"))
    assert status.state is PlaceState.ADMITTED
    assert status.admitted_at is not None
    assert before - timedelta(seconds=1) <= status.admitted_at <= datetime.now(UTC)
    assert status.admission_expires_at == status.admitted_at + config.token_ttl
    token = status.admission_token
    assert token is not None
    await room.verify_admission(ev, Principal("usr_a"), token)
    await room.require_admission(ev, Principal("usr_a"), token)
    with pytest.raises(AdmissionInvalid):
        await room.verify_admission(ev, Principal("usr_b"), token)  # copied to another account
    with pytest.raises(AdmissionInvalid):
        await room.verify_admission("other_event", Principal("usr_a"), token)
    with pytest.raises(AdmissionRequired):
        await room.require_admission(ev, Principal("usr_a"), None)
    with pytest.raises(AdmissionInvalid):
        await room.verify_admission(ev, Principal("usr_a"), token[:-2] + "xx")


async def test_unused_token_expires(room: WaitingRoom) -> None:
    codec = room.tokens
    token = codec.issue("e1", "usr_a", int(time.time() * 1000) + 60_000)
    assert codec.verify(token).user_id == "usr_a"
    with pytest.raises(AdmissionInvalid) as info:
        codec.verify(token, now_ms=int(time.time() * 1000) + 61_000)
    assert info.value.instance_code == "admission_expired"
    assert isinstance(codec, AdmissionTokenCodec)


async def test_no_queue_means_no_token_needed_and_closing_ends_it(
    room: WaitingRoom, make_config: MakeConfig
) -> None:
    assert not await room.queue_active("no_such_event")
    await room.require_admission("no_such_event", Principal("usr_a"), None)
    config = make_config(on_sale_in_s=3600, pre_queue_window=60)  # pre-queue not open yet
    await room.configure_queue(config)
    assert not await room.queue_active(config.event_id)
    open_now = make_config()
    await room.configure_queue(open_now)
    assert await room.queue_active(open_now.event_id)
    await room.close_queue(open_now.event_id, Principal("usr_org", org_ids=("org_1",)))
    assert not await room.queue_active(open_now.event_id)


async def test_another_instance_closing_the_queue_is_seen_within_the_gate_ttl(
    room: WaitingRoom, resources: Resources, make_config: MakeConfig
) -> None:
    config = make_config()
    await room.configure_queue(config)
    assert await room.queue_active(config.event_id)  # read once, then trusted a while
    other = WaitingRoom.from_resources(resources)  # another api instance
    await other.close_queue(config.event_id, Principal("usr_org", org_ids=("org_1",)))
    assert not await other.queue_active(config.event_id)  # its own close: at once
    assert await room.queue_active(config.event_id)
    await asyncio.sleep(GATE_TTL_S + 0.05)
    assert not await room.queue_active(config.event_id)


async def test_http_status_carries_token_and_forbidden_error_shape(
    client: httpx.AsyncClient, app: FastAPI, make_config: MakeConfig
) -> None:
    config = make_config()
    room: WaitingRoom = WaitingRoom.from_resources(app.state.resources)
    await room.configure_queue(config)
    ev = config.event_id
    assert (await http_join(client, app, ev, "usr_h")).status_code == 200
    await Admissions(app.state.resources.db, app.state.resources.redis).tick()
    r = await client.get(f"/waitingroom/events/{ev}/status", headers=auth(app, "usr_h"))
    assert r.status_code == 200
    body = r.json()
    assert body["state"] == "admitted"
    assert body["admission_token"]
    with pytest.raises(AdmissionRequired) as info:
        await room.verify_admission(ev, Principal("usr_h"), None)
    assert info.value.status == 403
    assert info.value.problem()["code"] == "admission_required"
