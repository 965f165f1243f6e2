"""`autonome ui` as a process: it opens the till, finds the server, and a SIGTERM stops it
cleanly (the till's journal ends with its shutdown)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from appliance.processes import TillProcess, autonome
from testbed.rig import journal_events

pytestmark = pytest.mark.timeout(110)


def test_autonome_ui_runs_and_stops_cleanly(server, tmp_path):
    till = TillProcess(tmp_path / "till", "till UI")
    till.enroll(server.enrolment_code("till UI"), server.url)
    command = [sys.executable, "-m", "appliance", "ui", "--data", str(till.data)]
    command += ["--server", server.url, "--no-mdns", "--lang", "en"]
    log = tmp_path / "ui.log"
    with log.open("w") as err:
        proc = subprocess.Popen(command, env=dict(os.environ), stderr=err)
    try:
        deadline = time.monotonic() + 30

        def online() -> bool:
            if not (till.data / "events.log").exists():
                return False
            return any(
                e.get("type") == "mode_changed" and e.get("data", {}).get("to") == "ONLINE"
                for e in journal_events(till.data)
            )

        while not online():
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the till did not go online"
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, log.read_text()[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert journal_events(till.data)[-1]["type"] == "shutdown"
    assert (till.data / "kivy").is_dir()  # Kivy's files in the till's folder


def test_autonome_ui_refuses_a_folder_without_a_till(tmp_path):
    with pytest.raises(Exception, match="enrol this till first"):
        autonome("ui", "--data", str(tmp_path / "none"))
