"""`autonome demo` opens a window only where there is a screen to open it on."""

from __future__ import annotations

import sys

import pytest

from appliance.showcase import no_screen

VARS = ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux display variables")
@pytest.mark.parametrize("present", [None, *VARS])
def test_a_screen_is_a_display_server_or_an_sdl_driver(monkeypatch, present):
    for var in VARS:
        monkeypatch.delenv(var, raising=False)
    if present is not None:
        monkeypatch.setenv(present, ":0" if present == "DISPLAY" else "x")
    assert no_screen() is (present is None)
