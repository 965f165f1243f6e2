"""RAUC and GRUB as the updater sees them: one function per command, clear errors."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Rauc", "RaucError", "booted_slot", "reason_of"]

SYSTEM_CONF = Path("/etc/rauc/system.conf")


class RaucError(RuntimeError):
    """A RAUC command failed; the message is its reason, as RAUC said it."""


def reason_of(output: str) -> str:
    """The line of RAUC's output that says why: its last error, without the log prefix."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    errors = [
        ln
        for ln in lines
        if any(w in ln.lower() for w in ("error", "failed", "invalid", "refus", "not "))
        and "Message:" not in ln
    ]
    text = (errors or [ln for ln in lines if "Message:" not in ln] or lines or ["(no message)"])[-1]
    for prefix in ("rauc-CRITICAL **:", "rauc-WARNING **:", "LastError:"):
        text = text.split(prefix, 1)[-1].strip()
    return text


def booted_slot(cmdline: Path = Path("/proc/cmdline")) -> str | None:
    """The slot GRUB booted (`rauc.slot=A|B` on the kernel command line)."""
    try:
        words = cmdline.read_text().split()
    except OSError:
        return None
    for w in words:
        if w.startswith("rauc.slot="):
            return w.split("=", 1)[1] or None
    return None


def other(slot: str | None) -> str | None:
    return {"A": "B", "B": "A"}.get(slot or "")


@dataclass
class Rauc:
    conf: Path = SYSTEM_CONF
    binary: str = "rauc"
    timeout_s: float = 900.0

    def _setting(self, key: str) -> str | None:
        try:
            lines = self.conf.read_text().splitlines()
        except OSError:
            return None
        for line in lines:
            name, _, value = line.partition("=")
            if name.strip() == key:
                return value.strip()
        return None

    def _run(self, *args: str, timeout: float | None = None) -> subprocess.CompletedProcess:
        data = self._setting("data-directory")
        if data:  # on the data partition: made at the first update of a fresh appliance
            Path(data).mkdir(parents=True, exist_ok=True, mode=0o700)
        cmd = [self.binary, "--conf", str(self.conf), *args]
        try:
            return subprocess.run(
                cmd, capture_output=True, text=True, timeout=timeout or self.timeout_s
            )
        except FileNotFoundError as e:
            raise RaucError(f"{self.binary} is not installed") from e
        except subprocess.TimeoutExpired as e:
            raise RaucError(f"rauc {args[0]} did not finish in {e.timeout:.0f} s") from e

    def info(self, bundle: Path) -> dict[str, Any]:
        """The bundle's manifest once its signature checked against the keyring of
        system.conf; RaucError says why not (another key, truncated, not a bundle)."""
        r = self._run("info", "--output-format=json", str(bundle), timeout=120)
        if r.returncode != 0:
            raise RaucError(reason_of(r.stderr + "\n" + r.stdout))
        try:
            return json.loads(r.stdout)
        except ValueError as e:
            raise RaucError(f"rauc info said something unreadable: {r.stdout[:200]!r}") from e

    def compatible(self) -> str | None:
        return self._setting("compatible")

    def install(self, bundle: Path) -> str:
        """Install into the other slot (RAUC makes it the next to boot, on trial);
        RaucError with RAUC's reason when it did not."""
        r = self._run("install", str(bundle))
        if r.returncode != 0:
            raise RaucError(reason_of(r.stderr + "\n" + r.stdout))
        return r.stdout

    def status(self) -> dict[str, Any]:
        r = self._run("status", "--detailed", "--output-format=json", timeout=60)
        if r.returncode != 0:
            raise RaucError(reason_of(r.stderr + "\n" + r.stdout))
        return json.loads(r.stdout)

    def mark(self, state: str, slot: str = "booted") -> None:
        """`rauc status mark-good|mark-bad [booted|other]`."""
        r = self._run("status", f"mark-{state}", slot, timeout=60)
        if r.returncode != 0:
            raise RaucError(reason_of(r.stderr + "\n" + r.stdout))


def grubenv(path: Path = Path("/boot/efi/grubenv")) -> dict[str, str]:
    """GRUB's environment block (ORDER, A_OK, A_TRY, B_OK, B_TRY): read as a file,
    the format grub-editenv writes (`KEY=value` lines, '#' padding)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return {}
    env = {}
    for line in text.splitlines():
        if line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        env[key] = value
    return env
