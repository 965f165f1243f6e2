"""The till image's kiosk (autonome-till.service): Kivy on bare KMS, no X or Wayland.

While the till is not enrolled it shows the enrolment screen (enrol.py); once
enrolled the process starts itself again as the till on its touchscreen, full
screen, in the pre-seeded language. systemd's watchdog is petted from Kivy's
clock: a frozen screen stops the pets and systemd restarts the till.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["main", "pet_watchdog"]


def pet_watchdog() -> None:
    """READY=1 at the first frame, then WATCHDOG=1 from Kivy's clock (the UI thread)."""
    from kivy.clock import Clock

    from appliance.protocol.sdnotify import notify, watchdog_interval

    Clock.schedule_once(lambda _dt: notify("READY=1"), 0)
    every = watchdog_interval()
    if every is not None:
        Clock.schedule_interval(lambda _dt: notify("WATCHDOG=1"), every)


def main(data: Path, settings: dict[str, Any]) -> int:
    from appliance.till.config import CONFIG_NAME

    from .cli import configure_kivy

    lang = settings.get("language") or "fr"
    os.environ.setdefault("AUTONOME_LANG", lang)
    if not (data / CONFIG_NAME).exists():
        data.mkdir(parents=True, exist_ok=True)
        configure_kivy(data / "kivy", None, True)
        pet_watchdog()
        from .enrol import run_enrolment

        if run_enrolment(data, settings) != 0:
            return 1
        # a fresh process for the till: one Kivy window per process
        os.execv(
            sys.executable,
            [sys.executable, "-m", "appliance", "appliance", "kiosk"] + ["--data", str(data)],
        )
    args = ["--data", str(data), "--fullscreen", "--lang", lang]
    if settings.get("server_url"):
        args += ["--server", str(settings["server_url"])]
    os.environ.setdefault("KIVY_HOME", str(data / "kivy"))
    (data / "kivy").mkdir(parents=True, exist_ok=True)
    pet_watchdog()
    from .cli import main as ui

    return ui(args)
