"""`make demo` / `make drill`: the whole story on loopback, with simulated devices."""

from __future__ import annotations

from appliance.demo_printers import FREE_PORTS
from appliance.drill import run_drill

PNG = b"\x89PNG\r\n\x1a\n"


def test_the_drill_sells_prints_and_loses_nothing(tmp_path, demo_ports_held):
    """With the demo's ports held (a `make demo` running), the drill's printers are
    on free ports and print both tickets."""
    said: list[str] = []
    r = run_drill(
        online=2, offline=2, say=said.append, out=tmp_path / "out", kitchen_ports=FREE_PORTS
    )
    assert (r["sales_made"], r["sales_in_journal"], r["autonomous_sales"]) == (8, 8, 4)
    assert (r["missing"], r["duplicates"], r["chain_ok"]) == (0, 0, True)
    # every sale printed its receipt and opened the drawer (the drill waits for both);
    # till 1's first receipts online and autonomous, and the order's two tickets, are drawn
    names = {"receipt-online", "receipt-autonomous", "ticket-cuisine", "ticket-bar"}
    assert set(r["pictures"]) == names
    for path in r["pictures"].values():
        assert (tmp_path / "out").joinpath(path.rsplit("/", 1)[1]).read_bytes()[:8] == PNG
    assert any("ticket printed by cuisine, bar" in line for line in said)
    assert any("out of reach in autonomous mode" in line for line in said)
    assert not any("not simulated" in line for line in said)
