"""The bench against a deployment given by its URL (`python -m bench.flashsale --url`): the same
sale through the API, the invariants read from the organizer's attendee export, and the
same figures as the database shows."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from bench.flashsale import http, invariants
from bench.flashsale.command import app
from bench.flashsale.flow import Outcome, Preset
from bench.flashsale.main import run, told_paid
from bench.flashsale.server import Deployment
from bench.flashsale.target import Remote
from typer.testing import CliRunner

from tests.uvicorn_server import uvicorn_on_loopback
from ticketsafe.infra.tls import ensure_local_tls
from ticketsafe.roles import event_loop

TINY = Preset(
    "tiny", seats=100, ga=100, buyers=300, concurrency=32, pre_queue_s=3.0,
    arrival_window_s=4.0, max_seconds=120,
)  # fmt: skip

_HEADER = (
    "order_id,status,created_at,buyer_name,buyer_email,line_id,seat_id,area_id,"
    "ticket_type,unit_cents,currency,line_status,holder_name,holder_cpf\n"
)


def _row(order: str, status: str, seat: str = "", area: str = "", line: str = "valid") -> str:
    return f"{order},{status},2026-11-30,B,b@x.br,l1,{seat},{area},inteira,100,BRL,{line},H,\n"


def test_a_sale_against_a_deployment_given_by_its_url(tmp_path: Path) -> None:
    deployment = Deployment(tmp_path / "deployment")
    deployment.start()
    try:
        remote = Remote.from_url(
            deployment.base_url, {"TICKETSAFE_AUTH_SECRET": deployment.auth_secret}
        )
        summary, _ = run(TINY, faults=False, loaders=1, remote=remote)
        from_db = event_loop.run(deployment.check(summary["event_id"], {"pista": TINY.ga}, {}))
    finally:
        deployment.stop()
    seen = summary["invariants"]
    assert summary["target"] == deployment.base_url
    assert (seen["oversold"], seen["double_sold"], seen["lost_orders"]) == (0, 0, 0)
    # The export shows what the database holds, and what the buyers were told.
    assert (seen["seats_sold"], seen["ga_sold"]) == (from_db["seats_sold"], from_db["ga_sold"])
    assert seen["seats_sold"] + seen["ga_sold"] == summary["tickets_sold"] > 0
    # Only the bench's own processes: a remote deployment's are not seen.
    assert {p["process"] for p in summary["processes"]} == {"bench", "loader-0"}
    assert summary["server_latency"]["processes_scraped"] == 1
    assert summary["server_latency"]["steps"]["hold"]["count"] > 0


def test_the_export_check_sees_every_kind_of_violation() -> None:
    export = _HEADER + "".join(
        [
            _row("o1", "paid", seat="A:r-1:s-1"),
            _row("o2", "paid", seat="A:r-1:s-1"),  # the same seat on a second order
            _row("o3", "paid", area="pista"),
            _row("o3", "paid", area="pista"),  # beyond a capacity of 1
            _row("o4", "paid", seat="A:r-1:s-2"),
            _row("o4", "paid", seat="A:r-1:s-3", line="refunded"),  # no longer valid
            _row("o5", "expired", seat="A:r-1:s-1"),  # not live: no double sale
        ]
    )
    # o4 was shown with 2 tickets (1 valid now), o6 was shown paid and is not in the books
    told = {"o1": 1, "o2": 1, "o3": 2, "o4": 2, "o6": 1}
    found = invariants.ledger_of_export(export).figures({"pista": 1}, told)
    assert (found["oversold"], found["double_sold"], found["lost_orders"]) == (1, 1, 2)
    assert (found["seats_sold"], found["ga_sold"]) == (2, 2)
    clean = invariants.ledger_of_export(export).figures({"pista": 2}, {"o3": 2})
    assert (clean["oversold"], clean["lost_orders"]) == (0, 0)


def test_only_orders_buyers_saw_paid_are_held_to_it() -> None:
    outcomes = [
        Outcome(order_id="o1", tickets=2, result="paid"),
        Outcome(order_id="o2", tickets=1, result="unpaid"),
        Outcome(result="sold_out"),
    ]
    assert told_paid(outcomes) == {"o1": 2}


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["--url", "http://127.0.0.1:9"], {}, "TICKETSAFE_AUTH_SECRET"),
        (["--url", "ftp://127.0.0.1:9"], {"TICKETSAFE_AUTH_SECRET": "k"}, "http(s)://"),
        (["--url", "http://127.0.0.1:9/api"], {"TICKETSAFE_AUTH_SECRET": "k"}, "no path"),
        (["--url", "http://127.0.0.1:9", "--faults"], {"TICKETSAFE_AUTH_SECRET": "k"}, "--faults"),
        (["--ca-file", "ca.pem"], {}, "--ca-file is for an https --url"),
        (
            ["--url", "http://127.0.0.1:9", "--ca-file", "ca.pem"],
            {"TICKETSAFE_AUTH_SECRET": "k"},
            "a CA file is for an https:// URL",
        ),
    ],
)
def test_the_command_refuses_what_it_cannot_run(
    args: list[str], env: dict[str, str], says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TICKETSAFE_AUTH_SECRET", raising=False)
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 2
    assert says in result.output


async def _hello(scope: dict[str, object], receive: object, send: object) -> None:
    assert scope["type"] == "http"
    await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
    await send({"type": "http.response.body", "body": b'{"ok": true}'})  # type: ignore[operator]


async def test_https_urls_are_verified_against_the_given_ca(tmp_path: Path) -> None:
    tls = ensure_local_tls(tmp_path / "tls", ["localhost"])
    certs = {"ssl_certfile": str(tls.cert), "ssl_keyfile": str(tls.key)}
    async with uvicorn_on_loopback(_hello, **certs) as port:
        url = f"https://localhost:{port}"
        trusted = http.Endpoint.from_url(url, ca_file=tls.ca_cert)
        assert trusted.base_url == url
        async with trusted.client(max_connections=1) as client:
            assert (await client.get("/")).json() == {"ok": True}
        untrusted = http.Endpoint.from_url(url)  # the system's CAs do not know ours
        async with untrusted.client(max_connections=1) as client:
            with pytest.raises(http.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await client.get("/")
        assert isinstance(trusted.tls, ssl.SSLContext)
