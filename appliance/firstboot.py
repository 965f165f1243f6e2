"""`autonome appliance firstboot|kiosk`: what the appliance images run at boot.

firstboot (autonome-firstboot.service, every boot, does its work once):
  reads the integrator's pre-seed (autonome.toml on the ESP), writes the
  appliance's settings (/var/lib/autonome/appliance.json); on the server image
  initialises the store (name and identity from the pre-seed) and shows its first
  enrolment code and certificate fingerprint on the screen and the serial line;
  on the till image prepares the till's folder (and its devices.toml from the ESP).
  A pre-seed that is wrong is reported, named by key, and the defaults are used.
kiosk (autonome-till.service): the enrolment screen while the till is not
  enrolled, then the till on its touchscreen (appliance.ui.kiosk).
console (autonome-console.service, `autonome.face=headless`): the headless till on
  its virtio-serial port; enrolled first with the pre-seeded code, if any.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .preseed import Preseed, PreseedError, load_preseed

__all__ = ["firstboot", "main", "read_settings"]

SETTINGS = "appliance.json"
CONSOLES = ("/dev/tty1", "/dev/ttyS0")


def say(text: str, consoles: tuple[str, ...] = CONSOLES) -> None:
    """`text` on stdout (the journal) and on the screen and the serial line."""
    print(text, flush=True)
    for tty in consoles:
        try:
            with open(tty, "w", encoding="utf-8") as t:
                t.write(text.replace("\n", "\r\n") + "\r\n")
        except OSError:
            pass


def read_preseed(path: Path) -> tuple[Preseed, str | None]:
    """The pre-seed, or the defaults and the reason they are used."""
    if not path.exists():
        return Preseed(), None
    try:
        return load_preseed(path.read_text(encoding="utf-8"), str(path)), None
    except (OSError, UnicodeDecodeError, PreseedError) as e:
        return Preseed(), str(e)


def read_settings(data: Path) -> dict[str, Any]:
    try:
        return json.loads((data / SETTINGS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_json(path: Path, value: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, ensure_ascii=False)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@dataclass
class _Done:
    returncode: int
    stdout: str
    stderr: str


def _run(args: list[str]) -> _Done:
    """`autonome ARGS` in this process (one interpreter start under a slow CPU), its
    output captured."""
    from .cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(args)
        except SystemExit as e:  # argparse
            status = int(e.code or 0) if not isinstance(e.code, str) else 2
    return _Done(status, out.getvalue(), err.getvalue())


def _server(preseed: Preseed, data: Path, consoles: tuple[str, ...]) -> int:
    store = data / "server"
    if (store / "server.json").exists():
        return 0
    init = ["server", "init", "--data", str(store)]
    done = _run(init + (["--demo"] if preseed.store.get("demo") else []))
    if done.returncode != 0:
        say(f"autonome first boot: the store could not be initialised: {done.stderr}", consoles)
        return 1
    identity = {k: v for k, v in preseed.store.items() if k not in ("language", "demo")}
    if identity:
        args = ["server", "store", "--data", str(store)]
        for key, value in identity.items():
            for line in value if isinstance(value, list) else [value]:
                args += [f"--{key.replace('_', '-')}", line]
        done = _run(args)
        if done.returncode != 0:
            say(f"autonome first boot: the store's identity was not set: {done.stderr}", consoles)
    code = _run(["server", "enroll-code", "--data", str(store), "--name", "till 1"])
    if code.returncode != 0:
        say(f"autonome first boot: no enrolment code: {code.stderr}", consoles)
        return 1
    name = preseed.store.get("name", "(no name: autonome server store --name)")
    say(
        "\n".join(
            [
                "=" * 72,
                f"Autonome store server ready: {name}",
                *code.stdout.strip().splitlines(),
                "=" * 72,
            ]
        ),
        consoles,
    )
    return 0


def _till(data: Path, esp: Path) -> int:
    till = data / "till"
    till.mkdir(parents=True, exist_ok=True)
    devices = esp / "devices.toml"
    if devices.exists() and not (till / "devices.toml").exists():
        shutil.copyfile(devices, till / "devices.toml")
    return 0


def firstboot(
    role: str, preseed_path: Path, data: Path, consoles: tuple[str, ...] = CONSOLES
) -> int:
    preseed, error = read_preseed(preseed_path)
    if error:
        say(f"autonome first boot: {error}\n  -> booting with the defaults", consoles)
    settings = {
        "role": role,
        "language": preseed.language,
        "server_url": preseed.till.get("server_url"),
        "till_name": preseed.till.get("name"),
        "enrolment_code": preseed.till.get("enrolment_code"),
        "fingerprint": preseed.till.get("fingerprint"),
        "preseed_error": error,
    }
    data.mkdir(parents=True, exist_ok=True)
    _write_json(data / SETTINGS, settings)
    if role == "server":
        return _server(preseed, data, consoles)
    return _till(data, preseed_path.parent)


def enrol_with_preseed(data: Path, settings: dict[str, Any], tries: int = 0) -> str | None:
    """Enrol with the pre-seeded code, looking for the server until it is found (every
    10 s; `tries` > 0 bounds it). None once enrolled, else why not."""
    import time

    from appliance.till.config import CONFIG_NAME

    if (data / CONFIG_NAME).exists():
        return None
    code = settings.get("enrolment_code")
    if not code:
        return "not enrolled and no till.enrolment_code in the pre-seed"
    args = ["till", "enroll", "--data", str(data), "--code", str(code)]
    if settings.get("fingerprint"):
        args += ["--fingerprint", str(settings["fingerprint"])]
    if settings.get("server_url"):
        args += ["--server", str(settings["server_url"])]
    args += ["--name", str(settings.get("till_name") or "till")]
    attempt = 0
    while True:
        attempt += 1
        done = _run(args)
        said = (done.stderr or done.stdout).strip()
        print(said, file=sys.stderr, flush=True)
        if done.returncode == 0:
            return None
        if "no store server found" not in said or (tries and attempt >= tries):
            return said
        time.sleep(10)


def open_port(path: Path, poll_s: float = 0.5) -> int:
    """The virtio-serial port `path`, read-write, once the host side holds it open
    (until then the port reads as ended: poll says POLLHUP). Returns its descriptor."""
    import select
    import time

    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    while True:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        if not any(ev & select.POLLHUP for _fd, ev in poller.poll(int(poll_s * 1000))):
            return fd
        time.sleep(poll_s)


def console(data: Path, settings: dict[str, Any], port: Path | None = None) -> int:
    """The headless till on stdin/stdout, or on the virtio port `port` (its stdin and
    stdout once the host is there), after the enrolment."""
    data.mkdir(parents=True, exist_ok=True)
    why = enrol_with_preseed(data, settings)
    if port is not None:
        fd = open_port(port)
        sys.stdout.flush()
        os.dup2(fd, 0)
        os.dup2(fd, 1)
        os.close(fd)
    if why is not None:
        print(json.dumps({"event": "error", "code": "not_enrolled", "message": why}), flush=True)
        return 1
    from .cli import main as autonome

    return autonome(["till", "--headless", "--data", str(data)])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="autonome appliance", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    fb = sub.add_parser("firstboot", help="the pre-seed, the store or the till's folder")
    fb.add_argument("--role", choices=("till", "server"), required=True)
    fb.add_argument("--preseed", type=Path, default=Path("/boot/efi/autonome.toml"))
    fb.add_argument("--data", type=Path, default=Path("/var/lib/autonome"))
    ki = sub.add_parser("kiosk", help="the enrolment screen, then the till on its touchscreen")
    ki.add_argument("--data", type=Path, default=Path("/var/lib/autonome/till"))
    ki.add_argument("--preseed", type=Path, default=Path("/boot/efi/autonome.toml"))
    co = sub.add_parser("console", help="the headless till (enrolled with the pre-seed's code)")
    co.add_argument("--data", type=Path, default=Path("/var/lib/autonome/till"))
    co.add_argument("--port", type=Path, help="a virtio-serial port: stdin and stdout")
    a = p.parse_args(argv)
    if a.command == "firstboot":
        return firstboot(a.role, a.preseed, a.data)
    if a.command == "console":
        return console(a.data, read_settings(a.data.parent), a.port)
    from appliance.ui.kiosk import main as kiosk

    return kiosk(a.data, read_settings(a.data.parent))


if __name__ == "__main__":
    sys.exit(main())
