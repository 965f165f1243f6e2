"""`autonome demo` (`make demo`): a demo store and a till window come up, the till goes
online against the store, the window closes on time and everything stops."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(110)


def test_autonome_demo_opens_the_till_on_a_demo_store_and_closes(tmp_path):
    out = tmp_path / "receipts"
    command = [sys.executable, "-m", "appliance", "demo", "--exit-after", "6"]
    command += ["--keep", str(tmp_path / "demo"), "--out", str(out), "--lang", "en"]
    done = subprocess.run(command, env=dict(os.environ), capture_output=True, text=True, timeout=90)
    said = done.stdout
    assert done.returncode == 0, done.stderr[-3000:]
    assert "store server https://127.0.0.1:" in said and "till enrolled" in said
    assert "till: ONLINE" in said, said + done.stderr[-3000:]
    assert said.rstrip().endswith("demo closed")
    # the till stopped cleanly and the server with it: its journal ends with `shutdown`
    events = (tmp_path / "demo" / "till" / "events.log").read_text().splitlines()
    assert '"type":"shutdown"' in events[-1].replace(" ", "")
    # the till's devices were the simulated ones of the demo
    assert (tmp_path / "demo" / "till" / "devices.toml").read_text().count('kind = "sim"') == 2
