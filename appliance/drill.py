"""`autonome drill`: the outage drill, on loopback, with throw-away data.

1. start a store server, its kitchen and bar printers, and two headless tills with
   simulated devices (a French scanner, a receipt printer, a cash drawer);
2. sell online (till 1 scans through its simulated USB scanner), and send an order
   to the kitchen and the bar through the server's spooler;
3. kill the server with SIGKILL;
4. answer "autonomous" and keep selling (the kitchen is out of reach, and said so);
5. restart the server, then restart the tills;
6. answer "send";
7. read the server's journal and check it against every acknowledged sale.

The receipts and the kitchen tickets are rendered by the simulated printers to
PNG files in --out (printed at the end).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from appliance.demo_printers import DEMO_PORTS, printer_options, start_kitchen_printers
from appliance.domain import verify_chain
from appliance.processes import ProcessError, ServerProcess, TillProcess, autonome
from appliance.till.devconfig import sim_devices

__all__ = ["main", "run_drill"]

DEMO_CASHIER = ("c1", "1234")

#: an order for table 12: one dish for the kitchen, two white coffees for the bar
ORDER = {
    "table": "12",
    "covers": 2,
    "note": "allergie aux noix",
    "lines": [
        {"article_id": "A104", "name": "Plat du jour", "quantity": 1, "category": "cuisine",
         "note": "sans sauce"},
        {"article_id": "A112", "name": "Café crème", "quantity": 2, "category": "boissons-chaudes"},
    ],
}  # fmt: skip


class Drill:
    def __init__(
        self,
        root: Path,
        *,
        online: int,
        offline: int,
        say,
        out: Path | None = None,
        kitchen_ports: Mapping[str, int] = DEMO_PORTS,
    ) -> None:
        self.root = root
        self.kitchen_ports = kitchen_ports
        self.out = out
        self.pictures: dict[str, Path] = {}
        #: the kitchen and bar tickets that could not be drawn, and why
        self.tickets_not_drawn: dict[str, str] = {}
        self.kitchen_printers: dict[str, Any] = {}
        self.online = online
        self.offline = offline
        self.say = say
        self.server = ServerProcess(root / "server")
        self.tills = [TillProcess(root / f"till{i}", f"till {i}") for i in (1, 2)]
        self.acknowledged: dict[str, dict[str, Any]] = {}
        self.rng = random.Random(20261128)
        self.barcodes: list[str] = []

    # -- steps ---------------------------------------------------------------
    def start_store(self) -> None:
        self.server.data.mkdir(parents=True)
        self.start_kitchen_printers()
        self.server.init("--demo", *printer_options(self.kitchen_printers))
        autonome("snapshot", "build", "--data", str(self.server.data))
        self.server.start()
        self.barcodes = self._demo_barcodes()
        for till in self.tills:
            code = self.server.enrolment_code(till.name)
            till.enroll(code, self.server.url, self.server.fingerprint())
            (till.data / "devices.toml").write_text(sim_devices())
            till.start(self.server.url)
        for till in self.tills:
            till.wait_event("mode", mode="ONLINE", timeout=20)
            till.send("login", cashier=DEMO_CASHIER[0], pin=DEMO_CASHIER[1])
            till.wait_event("logged_in")
        self.say(f"1. server {self.server.url} and two tills online")

    def start_kitchen_printers(self) -> None:
        self.kitchen_printers = start_kitchen_printers(
            lambda m: self.say(f"   {m}"), self.kitchen_ports
        )
        for printer_id, port in self.kitchen_ports.items():
            if printer_id not in self.kitchen_printers:
                self.tickets_not_drawn[printer_id] = (
                    f"no simulated printer: port {port} is taken (is `make demo` running?)"
                )

    def sell(self, till: TillProcess, count: int, label: str) -> None:
        scanner = till is self.tills[0]  # till 1 reads its codes from its USB scanner
        for n in range(count):
            for code in self.rng.sample(self.barcodes, self.rng.randint(1, 4)):
                till.send("sim_scan" if scanner else "scan", code=code)
                till.wait_event("line_added")
            till.send("pay", method="cash", amount=100_00)
            ev = till.wait_event("sale_closed")
            self.acknowledged[ev["sale_id"]] = ev
            receipt = till.wait_event("receipt_printed", sale_id=ev["sale_id"])
            till.wait_event("drawer_opened", sale_id=ev["sale_id"])
            if n == 0 and scanner and receipt.get("png"):
                self.keep_picture(f"receipt-{label}", Path(receipt["png"]))

    def keep_picture(self, name: str, source: Path | bytes) -> None:
        if self.out is None:
            return
        self.out.mkdir(parents=True, exist_ok=True)
        path = self.out / f"{name}.png"
        if isinstance(source, bytes):
            path.write_bytes(source)
        else:
            shutil.copyfile(source, path)
        self.pictures[name] = path

    def send_order(self) -> None:
        till = self.tills[0]
        till.send("kitchen", **ORDER)
        till.wait_event("kitchen_sent")
        deadline = time.monotonic() + 15
        printed = []
        for printer_id, printer in self.kitchen_printers.items():
            while not printer.core.receipts() and time.monotonic() < deadline:
                time.sleep(0.05)
            if printer.core.receipts():
                printed.append(printer_id)
                self.keep_picture(f"ticket-{printer_id}", printer.png())
            else:
                self.tickets_not_drawn[printer_id] = "nothing printed within 15 s"
        self.say(f"   order for table 12 sent: ticket printed by {', '.join(printed) or 'nobody'}")

    def order_refused(self) -> None:
        till = self.tills[0]
        till.send("kitchen", **ORDER)
        ev = till.wait_event("error", code="printers_out_of_reach")
        self.say(f"   order for the kitchen refused: {ev['message']}")

    def sell_online(self) -> None:
        for till in self.tills:
            self.sell(till, self.online, "online")
        self.say(f"2. sold {2 * self.online} sales online, each receipt printed, drawer opened")
        self.send_order()

    def kill_server(self) -> None:
        t0 = time.monotonic()
        self.server.kill()
        for till in self.tills:
            till.wait_event("question", timeout=10, id="go_autonomous")
        self.say(
            "3. server killed (SIGKILL); both tills asked to go autonomous "
            f"after {time.monotonic() - t0:.1f} s"
        )

    def sell_autonomous(self) -> None:
        for till in self.tills:
            till.send("answer", question="go_autonomous", answer="yes")
            till.wait_event("mode", mode="AUTONOMOUS")
            self.sell(till, self.offline, "autonomous")
        self.say(f"4. answered 'autonomous' and sold {2 * self.offline} sales without the server")
        self.order_refused()

    def restart(self) -> None:
        self.server.start()
        for till in self.tills:
            till.quit()
        for till in self.tills:
            till.start(self.server.url)
        self.say("5. server restarted on the same data, tills restarted")

    def send_sales(self) -> None:
        for till in self.tills:
            q = till.wait_event("question", timeout=20, id="send_sales")
            self.say(f"   {till.name} asks: {q.get('text', '')}")
            till.send("answer", question="send_sales", answer="send")
            till.wait_event("upload_finished", timeout=60)
            till.wait_event("mode", mode="ONLINE", timeout=20)
        self.say("6. answered 'send': both tills uploaded and are online")

    def read_journal(self) -> dict[str, Any]:
        records: list[dict[str, Any]] = []
        for till_id in self._till_ids():
            after = 0
            while True:
                r = self.server.api(
                    "GET", "/api/v1/journal", params={"till_id": till_id, "after_seq": after}
                )
                r.raise_for_status()
                page = r.json()
                page = page.get("sales", page) if isinstance(page, dict) else page
                if not page:
                    break
                records.extend(page)
                after = max(int(s["seq"]) for s in page)
        ids = Counter(s["sale_id"] for s in records)
        by_till: dict[int, list[dict[str, Any]]] = {}
        for s in records:
            by_till.setdefault(int(s["till_id"]), []).append(s)
        chain_ok = all(not verify_chain(v) for v in by_till.values())
        integrity = self.server.api("GET", "/api/v1/integrity").json()
        chain_ok = chain_ok and not integrity
        missing = [sid for sid in self.acknowledged if sid not in ids]
        return {
            "sales_made": len(self.acknowledged),
            "sales_in_journal": len(records),
            "autonomous_sales": sum(1 for s in records if s.get("mode") == "autonomous"),
            "missing": len(missing),
            "duplicates": sum(n - 1 for n in ids.values() if n > 1),
            "chain_ok": chain_ok,
        }

    def stop(self) -> None:
        for till in self.tills:
            till.quit()
        self.server.stop()
        for printer in self.kitchen_printers.values():
            printer.close()

    # -- helpers ---------------------------------------------------------------
    def _demo_barcodes(self) -> list[str]:
        newest = max(
            (self.server.data / "snapshots").glob("snapshot-*.json"),
            key=lambda p: int(p.stem.split("-")[1]),
        )
        doc = json.loads(newest.read_text())
        return [row["code"] for row in doc["barcodes"].values()]

    def _till_ids(self) -> list[int]:
        ids = []
        for till in self.tills:
            ids.append(int(json.loads((till.data / "till.json").read_text())["till_id"]))
        return ids


def run_drill(
    *,
    online: int = 5,
    offline: int = 10,
    say=print,
    keep: Path | None = None,
    out: Path | None = None,
    kitchen_ports: Mapping[str, int] = DEMO_PORTS,
):
    """The drill on loopback; the kitchen and bar printers on `kitchen_ports`
    (the demo's by default; 0 for a free port each)."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="autonome-drill-") as tmp:
        root = keep or Path(tmp)
        drill = Drill(
            root, online=online, offline=offline, say=say, out=out, kitchen_ports=kitchen_ports
        )
        try:
            drill.start_store()
            drill.sell_online()
            drill.kill_server()
            drill.sell_autonomous()
            drill.restart()
            drill.send_sales()
            result = drill.read_journal()
            say("7. journal read from the server")
        finally:
            drill.stop()
    result["seconds"] = round(time.monotonic() - started, 2)
    result["pictures"] = {name: str(path) for name, path in drill.pictures.items()}
    result["tickets_not_drawn"] = dict(drill.tickets_not_drawn)
    return result


def _report(r: dict[str, Any]) -> str:
    verdict = (
        "PASS: the store journal is complete"
        if r["missing"] == 0 and r["duplicates"] == 0 and r["chain_ok"]
        else "FAIL"
    )
    return (
        f"\nsales acknowledged to cashiers : {r['sales_made']}\n"
        f"sales in the store journal     : {r['sales_in_journal']}\n"
        f"  of which made autonomously   : {r['autonomous_sales']}\n"
        f"missing                        : {r['missing']}\n"
        f"counted twice                  : {r['duplicates']}\n"
        f"hash chains                    : {'verified' if r['chain_ok'] else 'BROKEN'}\n"
        f"drill time                     : {r['seconds']} s\n{verdict}"
        + "".join(f"\n{name:<31}: {path}" for name, path in r.get("pictures", {}).items())
        + "".join(
            f"\n{'ticket-' + name + ' not drawn':<31}: {why}"
            for name, why in r.get("tickets_not_drawn", {}).items()
        )
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="autonome drill", description=__doc__.splitlines()[0])
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--online", type=int, default=5, help="sales per till before the outage")
    p.add_argument("--offline", type=int, default=10, help="sales per till while autonomous")
    p.add_argument("--keep", type=Path, help="keep the drill's data in this folder")
    p.add_argument(
        "--out",
        type=Path,
        default=Path(tempfile.gettempdir()) / "autonome-demo",
        help="where the receipts and tickets are drawn (PNG)",
    )
    a = p.parse_args(argv)
    say = (lambda *_: None) if a.json else (lambda m: print(m, flush=True))
    if a.keep:
        a.keep.mkdir(parents=True, exist_ok=False)
    try:
        result = run_drill(online=a.online, offline=a.offline, say=say, keep=a.keep, out=a.out)
    except ProcessError as e:
        print(f"drill failed: {e}", file=sys.stderr)
        return 2
    print(json.dumps(result) if a.json else _report(result))
    ok = result["missing"] == 0 and result["duplicates"] == 0 and result["chain_ok"]
    return 0 if ok else 1
