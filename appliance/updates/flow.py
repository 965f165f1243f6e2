"""What `autonome update install` and `autonome update confirm` do, step by step.

install: the bundle is checked before anything is written (readable, room on the
data partition, signed by the keyring's CA, made for this appliance's role); then
RAUC writes it into the other slot and makes that slot the next to boot, on trial.
confirm (each boot, once the till or server service is up): the health check;
sound, the booted slot is marked good; unsound on a slot just installed, it is
marked bad and the machine restarts into the slot it came from. A slot that never
gets that far (kernel panic, hang) is not marked good either: GRUB boots the other
slot after its one try. Every outcome is written to update-status.json.
"""

from __future__ import annotations

import logging
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.till.update_status import read_status, status_path, write_status

from .rauc import Rauc, RaucError, booted_slot, other

__all__ = ["Confirm", "install", "install_from_folder", "unit_state"]

log = logging.getLogger("appliance.updates")

#: free space the data partition must keep for an install (RAUC's state, the status)
MIN_FREE_MIB = 16
#: the till service restarted this often since boot: a crash loop, no need to wait
CRASH_LOOP_RESTARTS = 3


def _fail(path: Path | None, reason: str, **fields: Any) -> dict[str, Any]:
    log.error("update not installed: %s", reason)
    return write_status("failed", path, reason=reason, **fields)


def install(
    bundle: Path,
    *,
    rauc: Rauc | None = None,
    path: Path | None = None,
    cmdline: Path = Path("/proc/cmdline"),
    min_free_mib: int = MIN_FREE_MIB,
) -> dict[str, Any]:
    """Install `bundle` into the slot not running; the status written (its `result` is
    `installed` or `failed`). The running slot is never touched."""
    rauc = rauc or Rauc()
    path = path or status_path()
    booted = booted_slot(cmdline)
    base: dict[str, Any] = {"bundle": str(bundle), "booted": booted}
    if booted not in ("A", "B"):
        return _fail(
            path, "this system was not started by the A/B boot loader (no rauc.slot=A|B)", **base
        )
    target = other(booted)
    base["slot"] = target
    try:
        with open(bundle, "rb") as f:
            f.read(1)
    except OSError as e:
        return _fail(path, f"the bundle cannot be read: {e.strerror or e}", **base)
    try:
        st = os.statvfs(path.parent)
        free_mib = st.f_bavail * st.f_frsize // 2**20
    except OSError:
        free_mib = None
    if free_mib is not None and free_mib < min_free_mib:
        return _fail(
            path,
            f"the data partition is full ({free_mib} MiB free, {min_free_mib} MiB needed): "
            "nothing was installed; free some space (old receipts, logs) and try again",
            **base,
        )
    try:
        info = rauc.info(bundle)
    except RaucError as e:
        return _fail(path, f"the bundle was refused: {e}", **base)
    base["version"] = info.get("version")
    mine, theirs = rauc.compatible(), info.get("compatible")
    if mine and theirs != mine:
        return _fail(path, f"the bundle is for {theirs}, this appliance is {mine}", **base)
    write_status("installing", path, **base)
    log.info("installing %s (%s) into slot %s", bundle, base["version"], target)
    t0 = time.monotonic()
    try:
        rauc.install(bundle)
    except RaucError as e:
        return _fail(path, f"the installation failed: {e}", **base)
    seconds = round(time.monotonic() - t0, 1)
    log.info("slot %s installed in %.1f s: it boots next, on trial", target, seconds)
    return write_status("installed", path, install_s=seconds, **base)


def _slot_version(status: dict[str, Any], bootname: str | None) -> str | None:
    """The bundle version RAUC installed into the slot `bootname` (None: the factory's)."""
    for entry in status.get("slots") or []:
        for slot in entry.values() if isinstance(entry, dict) else []:
            if isinstance(slot, dict) and slot.get("bootname") == bootname:
                bundle = (slot.get("slot_status") or {}).get("bundle") or {}
                return bundle.get("version")
    return None


def install_from_folder(
    folder: Path,
    *,
    rauc: Rauc | None = None,
    path: Path | None = None,
    cmdline: Path = Path("/proc/cmdline"),
) -> dict[str, Any] | None:
    """The newest `*.raucb` of `folder` (an integrator's USB stick), installed unless this
    appliance runs it already or went back from it: a stick left in does not install the
    same bundle at every boot, nor a bundle that was rolled back, again and again.
    None when there is nothing to do."""
    rauc = rauc or Rauc()
    path = path or status_path()
    bundles = sorted(folder.glob("*.raucb"), key=lambda p: (p.stat().st_mtime, p.name))
    if not bundles:
        log.info("no *.raucb in %s", folder)
        return None
    bundle = bundles[-1]
    try:
        version = rauc.info(bundle).get("version")
    except RaucError:
        version = None  # install() says why, in the status the till shows
    if version is not None:
        last = read_status(path) or {}
        booted = booted_slot(cmdline)
        if last.get("result") == "rolled_back" and last.get("version") == version:
            log.warning("%s (%s) was rolled back on this appliance: not installed again", bundle,
                        version)  # fmt: skip
            return None
        if last.get("result") == "installed" and last.get("version") == version:
            log.info("%s (%s) is installed already: it runs after the restart", bundle, version)
            return None
        try:
            running = _slot_version(rauc.status(), booted)
        except (RaucError, ValueError):
            running = None
        if running == version:
            log.info("slot %s runs %s already: %s not installed", booted, version, bundle)
            return None
    return install(bundle, rauc=rauc, path=path, cmdline=cmdline)


def unit_state(unit: str) -> dict[str, str]:
    """systemd's ActiveState, SubState, NRestarts of a unit ({} without systemd)."""
    try:
        r = subprocess.run(
            ["systemctl", "show", unit, "-p", "ActiveState,SubState,NRestarts,LoadState"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return {}
    return dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)


@dataclass
class Confirm:
    """The boot's decision: keep the booted slot, or go back to the other one."""

    check: Callable[[], list[str]]  # the role's health check: its problems, [] when sound
    unit: str | None = None
    rauc: Rauc = field(default_factory=Rauc)
    path: Path | None = None
    cmdline: Path = Path("/proc/cmdline")
    timeout_s: float = 90.0
    every_s: float = 2.0
    reboot: Callable[[], Any] = lambda: subprocess.run(["systemctl", "--no-block", "reboot"])
    unit_state: Callable[[str], dict[str, str]] = unit_state

    def problems(self) -> list[str]:
        """Wait for the service to be sound (until the timeout, or a crash loop)."""
        deadline = time.monotonic() + self.timeout_s
        while True:
            found: list[str] = []
            loop = False
            if self.unit:
                state = self.unit_state(self.unit)
                restarts = int(state.get("NRestarts") or 0)
                if state.get("ActiveState") == "failed":
                    found.append(f"{self.unit} failed")
                    loop = True
                elif restarts >= CRASH_LOOP_RESTARTS:
                    found.append(f"{self.unit} keeps crashing ({restarts} restarts)")
                    loop = True
                elif state and state.get("ActiveState") != "active":
                    found.append(f"{self.unit} is {state.get('ActiveState')}")
            if not loop:
                found += self.check()
            if not found or loop or time.monotonic() >= deadline:
                return found
            time.sleep(self.every_s)

    def run(self) -> dict[str, Any]:
        path = self.path or status_path()
        booted = booted_slot(self.cmdline)
        last = read_status(path) or {}
        pending = last if last.get("result") in ("installing", "installed") else None
        trial = pending is not None and pending.get("slot") == booted
        t0 = time.monotonic()
        problems = self.problems()
        seconds = round(time.monotonic() - t0, 1)
        common = {
            k: last.get(k) for k in ("version", "bundle") if pending is not None and k in last
        }
        common.update(slot=booted, booted=booted, check_s=seconds)
        if problems:
            reason = "; ".join(problems)
            log.error("slot %s is not sound: %s", booted, reason)
            if not trial:
                # the slot that ran before: nothing to go back to; not marked good, GRUB
                # may try the other slot if it is bootable
                return {"result": "unsound", "ok": False, "reason": reason, **common}
            status = write_status(
                "rolled_back",
                path,
                reason=f"slot {booted} failed its health check ({reason}); "
                f"back to slot {other(booted)}",
                **common,
            )
            try:
                self.rauc.mark("bad")
            except RaucError as e:
                log.error("rauc status mark-bad: %s (GRUB's one try still runs out)", e)
            self.reboot()
            return status
        try:
            self.rauc.mark("good")
        except RaucError as e:
            log.error("rauc status mark-good: %s", e)
            return write_status(
                "failed", path, reason=f"slot {booted} could not be marked good: {e}", **common
            )
        log.info("slot %s is sound (%.1f s): marked good", booted, seconds)
        if trial:
            return write_status("good", path, **common)
        if pending is not None:
            target = pending.get("slot")
            if last.get("result") == "installing":
                reason = (
                    f"the installation into slot {target} was interrupted (power cut or "
                    f"restart): slot {booted} kept running, nothing was changed; install the "
                    "bundle again"
                )
                return write_status("failed", path, reason=reason, **common)
            reason = (
                f"slot {target} did not come up (kernel panic, hang or a stop before its "
                f"health check): back to slot {booted}"
            )
            return write_status("rolled_back", path, reason=reason, **common)
        return {"result": "good", "ok": True, **common}
