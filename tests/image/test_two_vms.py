"""The whole appliance story in two QEMU VMs (`make image-test`; AUTONOME_IMAGE_FULL=1).

The server image and a till image on a network of their own (a QEMU socket netdev
on 127.0.0.1; the VMs take IPv4 link-local addresses). The till finds the server by
mDNS and enrols with the code the server showed at its first boot (pre-seeded onto
the till's ESP, as an integrator would); it sells online; the server's cable is cut
(`set_link off` in its QEMU monitor); the till asks and goes autonomous, sells; the
cable is back; the till finds the server, asks, uploads; the server's journal (read
from its data partition after a clean power-off) holds every sale once. Then the till
boots again as a kiosk and a screendump shows its login screen.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from images import disk, qemu

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(3600),
    pytest.mark.skipif(
        os.environ.get("AUTONOME_IMAGE_FULL") != "1",
        reason="the two-VM scenario runs with `make image-test` (AUTONOME_IMAGE_FULL=1)",
    ),
]
ROOT = Path(__file__).resolve().parents[2]
LOGIN = ROOT / "docs" / "screenshots" / "login-1024x768.png"


def keypad_distance(png: Path, reference: Path = LOGIN) -> float:
    """Mean difference (0-255) of the login keypad's region: the same layout on any
    store; another screen (enrolment, sale, a console) is far from it."""
    from PIL import Image, ImageChops, ImageStat

    box = (705, 130, 1000, 705)
    a = Image.open(png).convert("L").resize((1024, 768)).crop(box)
    b = Image.open(reference).convert("L").crop(box)
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean)


def start_server(server_img: Path, till_img: Path, work: Path):
    """The server VM booted (its demo store pre-seeded) and the till VM to start, on a
    socket network of their own; with the server's first enrolment code and fingerprint."""
    seed = work.parent / "server.toml"
    seed.write_text('[store]\nname = "Épicerie du Marché"\ndemo = true\n')
    disk.write_preseed(server_img, seed)
    port = qemu.free_port()
    srv = qemu.VM(server_img, work, "server", net=f"listen=127.0.0.1:{port}")
    srv.use_in_place().mac = "52:54:00:00:00:01"
    till = qemu.VM(till_img, work, "till", net=f"connect=127.0.0.1:{port}")
    till.use_in_place().mac = "52:54:00:00:00:02"
    srv.start(fresh=False)
    try:
        srv.wait_for(qemu.READY, 900)
        text = srv.text()
        code = re.search(r"enrolment code for 'till 1' \(single use, valid \d+ h\): (\S+)", text)
        fp = re.search(r"server certificate sha256: ([0-9A-F:]{40,})", text)
        assert code and fp, srv.tail(60)
    except BaseException:
        srv.kill()
        raise
    return srv, till, code.group(1), fp.group(1)


def sell(con: qemu.Console, article: str, mode: str) -> dict:
    """One article sold for cash with the till in `mode` (ONLINE, AUTONOMOUS): its
    record says the same mode, as the outbox keeps it ("online", "autonomous")."""
    mark = con.mark()
    con.send(cmd="add", article_id=article)
    con.wait("line_added", 60, after=mark)
    con.send(cmd="pay", method="cash")
    return con.wait("sale_closed", 60, after=mark, mode=mode.lower())


def test_two_vms_enrol_sell_cut_autonomous_upload_once_and_the_kiosk(built, tmp_path):
    server_img, till_img = tmp_path / "server.img", tmp_path / "till.img"
    disk.copy_sparse(Path(built("server")["image"]), server_img)
    disk.copy_sparse(Path(built("till")["image"]), till_img)
    srv, till, code, fingerprint = start_server(server_img, till_img, tmp_path / "vm")
    till.console_wanted = True
    try:
        seed = tmp_path / "till.toml"
        seed.write_text(
            f'[till]\nname = "caisse 1"\nlanguage = "en"\n'
            f'enrolment_code = "{code}"\nfingerprint = "{fingerprint}"\n'
        )
        disk.write_preseed(till_img, seed)
        env = disk.read_grubenv(till_img)
        disk.write_grubenv(till_img, {**env, "EXTRA_ARGS": "autonome.face=headless"})
        till.start(fresh=False)
        till.wait_for(qemu.READY, 900)
        con = qemu.Console(till.console_path)
        boot = con.wait("boot", 300)
        assert boot["till_id"] >= 1
        con.wait("mode", 300, mode="ONLINE")
        con.send(cmd="login", cashier="c1", pin="1234")
        con.wait("logged_in", 60)
        online = sell(con, "A001", "ONLINE")
        con.wait("synced", 120)

        srv.monitor("set_link n0 off")  # the cable
        mark = con.mark()
        question = con.wait("question", 180, after=mark, id="go_autonomous")
        con.send(cmd="answer", question=question["id"], answer="yes")
        con.wait("mode", 60, after=mark, mode="AUTONOMOUS")
        alone = [sell(con, a, "AUTONOMOUS") for a in ("A002", "A003")]

        srv.monitor("set_link n0 on")
        mark = con.mark()
        question = con.wait("question", 300, after=mark, id="send_sales")
        con.send(cmd="answer", question="send_sales", answer="send")
        done = con.wait("upload_finished", 180, after=mark)
        assert done["sent"] == 2
        con.wait("mode", 60, after=mark, mode="ONLINE")
        con.send(cmd="quit")
        con.wait("bye", 60)
        con.close()
        till.stop(120)
        srv.stop(120)
        assert srv.proc.returncode == 0 and till.proc.returncode == 0
    finally:
        srv.kill()
        till.kill()

    store = disk.dump_dir(server_img, "data", "/server", tmp_path / "server-data")
    journal = subprocess.run(
        [sys.executable, "-m", "appliance", "server", "journal", "--data", str(store), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    records = json.loads(journal.stdout)
    ids = [r["sale_id"] for r in records]
    assert sorted(ids) == sorted(s["sale_id"] for s in [online, *alone]), records
    assert len(set(ids)) == len(ids) == 3

    # the till again, as the kiosk on its screen: the login screen is drawn
    disk.write_grubenv(
        till_img, {k: v for k, v in disk.read_grubenv(till_img).items() if k != "EXTRA_ARGS"}
    )
    kiosk = qemu.VM(till_img, tmp_path / "vm", "kiosk").use_in_place()
    kiosk.start(fresh=False)
    try:
        deadline = time.monotonic() + 600
        best = 255.0
        shot = tmp_path / "kiosk.png"
        while time.monotonic() < deadline:
            time.sleep(5)
            kiosk.screendump(shot)
            best = min(best, keypad_distance(shot))
            if best < 25:
                break
        assert best < 25, f"no login screen in the screendumps ({best:.0f})\n{kiosk.tail(40)}"
        if os.environ.get("AUTONOME_SCREENSHOT"):
            shot.replace(os.environ["AUTONOME_SCREENSHOT"])
    finally:
        kiosk.kill()
