"""The udev rules shipped for the till's USB devices (scanner, receipt printer)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

RULES_FILE = "70-autonome-pos.rules"


def rules_path() -> Path:
    """The rules file as installed with the drivers (copy it to /etc/udev/rules.d/)."""
    return Path(str(resources.files(__name__) / RULES_FILE))


def install_hint() -> str:
    return (
        f"install the udev rule {RULES_FILE} (shipped in {rules_path().parent}) into "
        "/etc/udev/rules.d/, run `udevadm control --reload-rules && udevadm trigger` "
        "and plug the device in again"
    )
