"""`autonome till ...`: enrol a till, or run it headless.

autonome till enroll --data DIR --code CODE [--server URL | --mdns-interface IP]
autonome till --headless --data DIR [--server URL] [--mdns-interface IP] [--no-mdns]
"""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import sys
from pathlib import Path

__all__ = ["main"]

log = logging.getLogger("appliance.till")


def _logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _find_server(interfaces: list[str], timeout: float) -> str | None:
    from .discovery import Discovery

    found = Discovery(None, interfaces=interfaces)
    try:
        found.start()
        seen = found.wait(timeout)
    finally:
        found.stop()
    return seen.url if seen else None


def enroll(argv: list[str]) -> int:
    from .client import ServerClient, ServerError
    from .config import CONFIG_NAME, Settings, TillConfig

    p = argparse.ArgumentParser(prog="autonome till enroll", description="enrol this till")
    p.add_argument("--data", type=Path, required=True, help="the till's data folder")
    p.add_argument("--code", required=True, help="one-time code from `autonome server enroll-code`")
    p.add_argument("--server", help="server URL; found by mDNS when absent")
    p.add_argument("--mdns-interface", action="append", default=[], metavar="IP")
    p.add_argument("--name", default=f"till on {socket.gethostname()}")
    p.add_argument("--timeout", type=float, default=10.0, help="mDNS search, seconds")
    a = p.parse_args(argv)
    _logging("WARNING")
    if (a.data / CONFIG_NAME).exists():
        print(f"autonome till enroll: {a.data} already holds an enrolled till", file=sys.stderr)
        return 1
    url = a.server or _find_server(a.mdns_interface, a.timeout)
    if not url:
        print("autonome till enroll: no store server found on the network", file=sys.stderr)
        return 1
    client = ServerClient(url, timeout=5.0)
    try:
        answer = client.enroll(a.code, a.name)
    except ServerError as e:
        print(f"autonome till enroll: {e.code}: {e.message}", file=sys.stderr)
        return 1
    finally:
        client.close()
    if not answer.get("signing_key"):
        print(
            "autonome till enroll: the server sent no snapshot signing key (an older "
            "server?): this till could not check its snapshots; upgrade the server",
            file=sys.stderr,
        )
        return 1
    a.data.mkdir(parents=True, exist_ok=True)
    config = TillConfig(
        till_id=int(answer["till_id"]),
        token=str(answer["token"]),
        server_id=str(answer["server_id"]),
        server_url=url,
        name=a.name,
        settings=Settings(mdns_interfaces=list(a.mdns_interface)),
        signing_key=str(answer["signing_key"]),
    )
    config.save(a.data)
    print(f"enrolled: till {config.till_id} of server {config.server_id} at {url}")
    return 0


def headless(argv: list[str]) -> int:
    from .config import NotEnrolled
    from .headless import Console
    from .outbox import OutboxBusy
    from .session import Till

    p = argparse.ArgumentParser(
        prog="autonome till", description="run a till; --headless: JSON lines on stdin/stdout"
    )
    p.add_argument("--headless", action="store_true", help="no screen (the only mode for now)")
    p.add_argument("--data", type=Path, required=True, help="the till's data folder")
    p.add_argument("--server", help="server URL to try first (mDNS still finds it again)")
    p.add_argument("--mdns-interface", action="append", default=[], metavar="IP")
    p.add_argument("--no-mdns", action="store_true", help="direct probes only")
    p.add_argument("--log-level", default="INFO")
    a = p.parse_args(argv)
    if not a.headless:
        print(
            "autonome till: only --headless for now (the touchscreen comes later)", file=sys.stderr
        )
        return 2
    _logging(a.log_level)
    try:
        till = Till(
            a.data,
            server_hint=a.server,
            mdns_interfaces=a.mdns_interface or None,
            mdns=False if a.no_mdns else None,
        )
    except NotEnrolled as e:
        print(f"autonome till: {e}", file=sys.stderr)
        return 1
    console = Console(till, sys.stdout)

    def _term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _term)
    try:
        till.start()
    except OutboxBusy as e:
        print(f"autonome till: {e}", file=sys.stderr)
        return 1
    try:
        console.run(sys.stdin)
    except KeyboardInterrupt:
        pass
    finally:
        till.stop()
        console.emit({"event": "bye"})
    return 0


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "enroll":
        return enroll(args[1:])
    return headless(args)
