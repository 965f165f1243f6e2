"""`autonome till` runs the touchscreen unless asked --headless (both refuse a folder
that holds no enrolled till, each saying who speaks)."""

from __future__ import annotations

from appliance.cli import main


def test_a_till_without_headless_is_the_touchscreen(tmp_path, capsys):
    assert main(["till", "--data", str(tmp_path)]) == 1
    assert capsys.readouterr().err.startswith("autonome ui: no till.json")
    assert main(["till", "--headless", "--data", str(tmp_path)]) == 1
    assert capsys.readouterr().err.startswith("autonome till: no till.json")
