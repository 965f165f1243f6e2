"""A failed update shows on the till it failed on: a word on the status bar (under the
sales to send), its reason on the message line; an update that took shows nothing."""

from __future__ import annotations

import pytest

from appliance.till.update_status import write_status
from tests.ui.driver import TillScreen, enrolled_till

pytestmark = pytest.mark.timeout(110)


def test_a_rolled_back_update_is_on_the_status_bar_with_its_reason(server, tmp_path, monkeypatch):
    path = tmp_path / "update-status.json"
    monkeypatch.setenv("AUTONOME_UPDATE_STATUS", str(path))
    write_status("good", path, slot="B", version="1.0")
    till = enrolled_till(server, tmp_path / "till")
    ui = TillScreen(till)
    try:
        ui.until(lambda: ui.ctl.state.update is not None, 20, "the last update published")
        # the till's own "online" line comes once it reaches the server: wait for it, so
        # the update's sentence is the last word on the message line
        ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online with the server")
        ui.frames(2)
        assert ui.text("status:update") == ""  # it took: nothing to say
        write_status(
            "rolled_back", path, slot="B",
            reason="slot B failed its health check (autonome-till.service keeps crashing)",
        )  # fmt: skip
        ui.until(lambda: ui.ctl.state.update.get("result") == "rolled_back", 20, "rolled back")
        ui.frames(2)
        assert ui.text("status:update") == "Update rolled back"
        message = ui.text("message")
        assert "went back to its previous system" in message
        assert "keeps crashing" in message
    finally:
        ui.close()
