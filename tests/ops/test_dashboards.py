"""The dashboards in deploy/grafana are what `ticketsafe dashboards` writes (edit
`ticketsafe.ops.dashboards`, then run it), and they hold together: six dashboards, unique
uids and panel ids, every panel reading our Prometheus datasource."""

from __future__ import annotations

from pathlib import Path

import orjson

from ticketsafe.ops import dashboards
from ticketsafe.ops.prometheus import DEPLOY_DIR

GRAFANA = DEPLOY_DIR / "grafana"


def test_committed_files_are_what_the_generator_writes() -> None:
    rendered = dashboards.render()
    committed = {
        str(path.relative_to(GRAFANA)): path.read_text()
        for path in sorted(GRAFANA.rglob("*"))
        if path.is_file()
    }
    assert committed.keys() == rendered.keys(), "run `ticketsafe dashboards`"
    stale = [name for name, text in rendered.items() if committed[name] != text]
    assert stale == [], "run `ticketsafe dashboards`"


def test_the_command_writes_them(tmp_path: Path) -> None:
    written = dashboards.write(tmp_path)
    assert len(written) == 8
    assert (tmp_path / "provisioning" / "dashboards" / "ticketsafe.yml").exists()


def test_six_dashboards_each_panel_reading_our_datasource() -> None:
    models = [dashboards.build(board) for board in dashboards.BOARDS]
    titles = {str(m["title"]) for m in models}
    assert titles == {
        "TicketSafe: flash sale", "TicketSafe: waiting room", "TicketSafe: API health",
        "TicketSafe: payments", "TicketSafe: check-in", "TicketSafe: infrastructure",
    }  # fmt: skip
    assert len({m["uid"] for m in models}) == 6
    for model in models:
        panels = orjson.loads(orjson.dumps(model["panels"]))
        assert len({p["id"] for p in panels}) == len(panels)
        for panel in (p for p in panels if p["type"] != "row"):
            assert panel["datasource"]["uid"] == dashboards.DATASOURCE_UID
            assert panel["targets"], panel["title"]
            assert all(t["expr"] and t["refId"] for t in panel["targets"])
