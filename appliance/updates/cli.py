"""`autonome update ...`: install a bundle into the other slot, confirm the booted one.

autonome update install BUNDLE [--reboot]     check, install into the other slot
autonome update confirm [--role till|server]  the boot's health check: mark good, or
                                              mark bad and restart into the other slot
autonome update stick DEVICE                  the newest bundle of a USB stick (label
                                              AUTONOMEUPD), installed then restarted into
autonome update status                        the last result and RAUC's slots (JSON)
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["main"]

ROLE_FILE = Path("/etc/autonome/role")
DATA = Path("/var/lib/autonome")
UNITS = {"till": "autonome-till.service", "server": "autonome-server.service"}


def _role() -> str | None:
    try:
        for line in ROLE_FILE.read_text().splitlines():
            if line.startswith("AUTONOME_ROLE="):
                return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return None


def _cmdline() -> list[str]:
    try:
        return Path("/proc/cmdline").read_text().split()
    except OSError:
        return []


def till_check(data: Path) -> list[str]:
    from appliance.till.health import check

    h = check(data)
    if not h.enrolled:
        return []  # the enrolment screen is all a till not enrolled yet shows: the unit
    return h.problems


def server_check(url: str) -> list[str]:
    import httpx

    try:
        r = httpx.get(f"{url.rstrip('/')}/api/v1/health", verify=False, timeout=5.0)
    except httpx.HTTPError as e:
        return [f"the server does not answer at {url} ({e.__class__.__name__})"]
    if r.status_code != 200:
        return [f"the server answers {r.status_code} at {url}"]
    return []


def _print(status: dict[str, Any]) -> None:
    print(json.dumps(status, ensure_ascii=False))


def main(argv: list[str] | None = None) -> int:
    from .flow import Confirm, install, install_from_folder
    from .rauc import SYSTEM_CONF, Rauc, RaucError

    p = argparse.ArgumentParser(prog="autonome update", description=__doc__.splitlines()[0])
    p.add_argument("--conf", type=Path, default=SYSTEM_CONF, help="RAUC's system.conf")
    p.add_argument("--status-file", type=Path, help="(/var/lib/autonome/update-status.json)")
    sub = p.add_subparsers(dest="command", required=True)
    i = sub.add_parser("install", help="install a bundle into the slot not running")
    i.add_argument("bundle", type=Path)
    i.add_argument("--reboot", action="store_true", help="restart into it once installed")
    c = sub.add_parser("confirm", help="the boot's health check (autonome-update-confirm)")
    c.add_argument("--role", choices=("till", "server"), help="(from /etc/autonome/role)")
    c.add_argument("--data", type=Path, help="the role's data folder (/var/lib/autonome/ROLE)")
    c.add_argument("--server-url", default="https://127.0.0.1:8470")
    c.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for health")
    c.add_argument("--no-reboot", action="store_true", help="mark bad but do not restart")
    k = sub.add_parser("stick", help="install the newest bundle of a stick, then restart")
    k.add_argument("device", type=Path)
    k.add_argument("--no-reboot", action="store_true")
    sub.add_parser("status", help="the last update's result and RAUC's view of the slots")
    a = p.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="autonome update: %(message)s"
    )
    rauc = Rauc(conf=a.conf)
    if a.command == "install":
        status = install(a.bundle, rauc=rauc, path=a.status_file)
        _print(status)
        if status["result"] != "installed":
            print(f"autonome update: {status.get('reason')}", file=sys.stderr)
            return 1
        if a.reboot:
            subprocess.run(["systemctl", "reboot"], check=False)
        return 0
    if a.command == "stick":
        mount = Path("/run/autonome-stick") / a.device.name
        mount.mkdir(parents=True, exist_ok=True)
        r = subprocess.run(
            ["mount", "-o", "ro,nosuid,nodev,noexec", str(a.device), str(mount)],
            capture_output=True, text=True,
        )  # fmt: skip
        if r.returncode != 0:
            print(f"autonome update stick: {a.device}: {r.stderr.strip()}", file=sys.stderr)
            return 1
        try:
            status = install_from_folder(mount, rauc=rauc, path=a.status_file)
        finally:
            subprocess.run(["umount", str(mount)], check=False)
        if status is None:
            return 0
        _print(status)
        if status["result"] != "installed":
            return 1
        if not a.no_reboot:
            subprocess.run(["systemctl", "--no-block", "reboot"], check=False)
        return 0
    if a.command == "confirm":
        role = a.role or _role()
        if role not in UNITS:
            print("autonome update confirm: no role (--role, /etc/autonome/role)", file=sys.stderr)
            return 2
        data = a.data or DATA / role

        def check() -> list[str]:
            return till_check(data) if role == "till" else server_check(a.server_url)

        unit = UNITS[role]
        if role == "till" and "autonome.face=headless" in _cmdline():
            unit = "autonome-console.service"  # the headless till on its serial console
        confirm = Confirm(check, unit=unit, rauc=rauc, path=a.status_file)
        confirm.timeout_s = a.timeout
        if a.no_reboot:
            confirm.reboot = lambda: None
        status = confirm.run()
        _print(status)
        return 0 if status.get("ok") else 1
    from appliance.till.update_status import read_status

    out: dict[str, Any] = {"last": read_status(a.status_file)}
    try:
        out["rauc"] = rauc.status()
    except RaucError as e:
        out["rauc_error"] = str(e)
    _print(out)
    return 0
