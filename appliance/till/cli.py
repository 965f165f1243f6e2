"""`autonome till ...`: enrol a till, or run it headless.

autonome till enroll --data DIR --code CODE [--fingerprint SHA256]
                     [--server URL | --mdns-interface IP]
autonome till --headless --data DIR [--server URL] [--mdns-interface IP] [--no-mdns]
autonome till health --data DIR   (the running till: outbox, chain, core; exit 0 if sound)
"""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import sys
from pathlib import Path
from typing import Any

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


def _reason(error: BaseException) -> str:
    """Why a connection failed, in a few words ("connection refused"), not a repr."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) and seen.strerror:
            return seen.strerror.lower()
        seen = seen.__cause__ or seen.__context__
    if getattr(error, "code", "") == "timeout":
        return "no answer in time"
    return type(error.__cause__ or error).__name__


def _fail(message: str) -> int:
    print(f"autonome till enroll: {message}", file=sys.stderr)
    return 1


def enroll(argv: list[str]) -> int:
    """Spend a code, pin the server's certificate, write till.json.

    The enrolment call is the till's one connection without a pinned certificate:
    it reads the certificate shown on that very connection and keeps it only if
    its fingerprint is the one the server's answer names (and the one given with
    --fingerprint, checked at the handshake, before the code is sent). Then a
    health check over the pinned connection, and till.json.
    """
    from appliance.protocol.tls import (
        der_to_pem,
        enrolment_context,
        fingerprint,
        https_url,
        normalise_fingerprint,
        same_fingerprint,
    )

    from .client import IdentityMismatch, ServerClient, ServerError, ServerUnreachable
    from .config import CONFIG_NAME, ConfigDamaged, NotEnrolled, Settings, TillConfig

    p = argparse.ArgumentParser(prog="autonome till enroll", description="enrol this till")
    p.add_argument("--data", type=Path, required=True, help="the till's data folder")
    p.add_argument("--code", required=True, help="one-time code from `autonome server enroll-code`")
    p.add_argument(
        "--fingerprint",
        help="the server certificate's SHA-256, as `autonome server enroll-code` prints it: "
        "checked before the code is sent",
    )
    p.add_argument("--server", help="server URL; found by mDNS when absent")
    p.add_argument("--mdns-interface", action="append", default=[], metavar="IP")
    p.add_argument("--name", default=f"till on {socket.gethostname()}")
    p.add_argument("--timeout", type=float, default=10.0, help="mDNS search, seconds")
    a = p.parse_args(argv)
    _logging("WARNING")
    if a.data.exists() and not a.data.is_dir():
        return _fail(f"--data {a.data} is a file, not a folder")
    damaged = None
    if (a.data / CONFIG_NAME).exists():
        try:
            TillConfig.load(a.data)
        except ConfigDamaged:
            damaged = a.data / CONFIG_NAME  # replaced below, once enrolled
        else:
            return _fail(f"{a.data} already holds an enrolled till")
    try:
        expected = normalise_fingerprint(a.fingerprint) if a.fingerprint else None
    except ValueError as e:
        return _fail(f"--fingerprint: {e}")
    url = a.server or _find_server(a.mdns_interface, a.timeout)
    if not url:
        return _fail("no store server found on the network")
    url = https_url(url)
    client = ServerClient(url, timeout=5.0, tls=enrolment_context(expected))
    try:
        answer, der = client.enroll(a.code, a.name)
    except IdentityMismatch as e:
        shown = f"the certificate sha256 {e.presented}" if e.presented else "another certificate"
        if expected:
            return _fail(
                f"the server at {url} showed {shown}, not the one given with --fingerprint "
                f"({expected}): the code was not sent; not enrolled"
            )
        return _fail(f"{e.message}: not enrolled")
    except ServerUnreachable as e:
        return _fail(f"no store server answers at {url} ({_reason(e)}): not enrolled")
    except ServerError as e:
        return _fail(f"{e.code}: {e.message}")
    finally:
        client.close()
    if not answer.get("signing_key"):
        return _fail(
            "the server sent no snapshot signing key (an older server?): this till could "
            "not check its snapshots; upgrade the server"
        )
    presented = fingerprint(der) if der else None
    named = str(answer.get("tls_fingerprint") or "")
    if presented is None or not same_fingerprint(presented, named):
        return _fail(
            f"the certificate shown on the connection (sha256 {presented}) is not the one "
            f"the server's answer names (sha256 {named or 'none'}): something stands between "
            f"this till and its server. Not enrolled; revoke till {answer.get('till_id')} "
            "on the server (autonome server revoke-till) and enrol again"
        )
    config = TillConfig(
        till_id=int(answer["till_id"]),
        token=str(answer["token"]),
        server_id=str(answer["server_id"]),
        server_url=url,
        name=a.name,
        settings=Settings(mdns_interfaces=list(a.mdns_interface)),
        signing_key=str(answer["signing_key"]),
        server_cert=der_to_pem(der),
        server_fingerprint=presented,
    )
    try:
        pinned = ServerClient(url, config.token, timeout=5.0, tls=config.tls_context())
        try:
            health = pinned.health()
        finally:
            pinned.close()
    except (NotEnrolled, ServerError) as e:
        message = e.message if isinstance(e, ServerError) else str(e)
        return _fail(f"the pinned connection to the server failed ({message}): not enrolled")
    if health.server_id != config.server_id:
        return _fail(f"{url} now answers as {health.server_id}: not enrolled")
    a.data.mkdir(parents=True, exist_ok=True)
    if damaged is not None:
        damaged.replace(damaged.with_name(CONFIG_NAME + ".damaged"))
        print(f"the damaged {CONFIG_NAME} is kept as {CONFIG_NAME}.damaged")
    config.save(a.data)
    print(
        f"enrolled: till {config.till_id} of server {config.server_id} at {url}, "
        f"certificate sha256 {presented}"
    )
    return 0


def headless(argv: list[str]) -> int:
    from .config import NotEnrolled
    from .headless import Console
    from .outbox import OutboxBusy
    from .session import Till

    p = argparse.ArgumentParser(
        prog="autonome till", description="run a till; --headless: JSON lines on stdin/stdout"
    )
    p.add_argument(
        "--headless", action="store_true", help="no screen (without it: the touchscreen)"
    )
    p.add_argument("--data", type=Path, required=True, help="the till's data folder")
    p.add_argument("--server", help="server URL to try first (mDNS still finds it again)")
    p.add_argument("--mdns-interface", action="append", default=[], metavar="IP")
    p.add_argument("--no-mdns", action="store_true", help="direct probes only")
    p.add_argument(
        "--no-devices", action="store_true", help="ignore devices.toml (no scanner, printer...)"
    )
    p.add_argument("--log-level", default="INFO")
    a = p.parse_args(argv)
    if not a.headless:
        print(
            "autonome till: the till on its touchscreen is `autonome ui --data DIR`; "
            "without a screen, add --headless",
            file=sys.stderr,
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
    if not a.no_devices:
        _attach_devices(till)
    try:
        console.run(sys.stdin)
    except KeyboardInterrupt:
        pass
    finally:
        till.stop()
        console.emit({"event": "bye"})
    return 0


def _attach_devices(till: Any) -> None:
    """The devices of the till's devices.toml; a till whose file is wrong still sells
    (without them) and says why."""
    from .devconfig import DevicesConfigError, load_devices

    try:
        config = load_devices(till.data_dir)
    except DevicesConfigError as e:
        log.error("%s", e)
        till.error("devices_config", f"{e}: the till sells without its devices")
        return
    if config.empty:
        return
    from .devices import TillDevices

    TillDevices.attach(till, config)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "enroll":
        return enroll(args[1:])
    if args and args[0] == "health":
        from .health import main as health

        return health(args[1:])
    return headless(args)
