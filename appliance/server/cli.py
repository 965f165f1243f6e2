"""`autonome server ...` and `autonome snapshot ...`.

autonome server init --data DIR [--demo | --generate N] [--server-id ID] [--printer ID=H:P ...]
autonome server run --data DIR [--host H] [--port P] [--mdns-interface IP ...]
                    [--no-mdns] [--snapshot-at HH:MM]
autonome server --data DIR             (same as run)
autonome server enroll-code --data DIR [--name NAME]   (the code and the certificate's
                                                         fingerprint the till checks)
autonome server revoke-till --data DIR TILL_ID
autonome server import-csv --data DIR FILE
autonome server pending --data DIR
autonome server report x|z --data DIR [--day YYYY-MM-DD] [--json]
autonome server journal --data DIR [--till N] [--json]
autonome server tills --data DIR
autonome server backup --data DIR OUT   (a consistent copy while the server runs)
autonome server printers --data DIR [--json]   (kitchen and bar printers, their health)
autonome server print-jobs --data DIR [--reprint JOB_ID [--printer ID]] [--json]
autonome server store --data DIR [--name N] [--address LINE ...] [--siret S] ...
autonome snapshot build --data DIR
"""

from __future__ import annotations

import argparse
import json
import logging
import socket
import sys
import time
from pathlib import Path
from typing import Any

from appliance.protocol import DEFAULT_PORT

from . import cli_books, cli_printing, cli_tables
from .config import DataDir
from .identity import IDENTITY_FIELDS

__all__ = ["main", "snapshot_main"]


def _data_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=Path, required=True, help="the server's data folder")


def _port(text: str) -> int:
    """A TCP port, 0 (any free one) to 65535."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a TCP port is 0 to 65535 (got {text!r})")
    return port


def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"TCP port ({DEFAULT_PORT})")
    p.add_argument(
        "--mdns-interface",
        action="append",
        default=[],
        metavar="IP",
        help="advertise on this interface address only (repeatable; 127.0.0.1 for loopback)",
    )
    p.add_argument("--no-mdns", action="store_true", help="do not advertise with mDNS")
    p.add_argument("--snapshot-at", default=None, help="nightly snapshot time HH:MM (23:30)")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.add_argument("--access-log", action="store_true", help="log every request")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="autonome server", description="the store server")
    sub = p.add_subparsers(dest="command")
    init = sub.add_parser("init", help="create a data folder")
    _data_arg(init)
    which = init.add_mutually_exclusive_group()
    which.add_argument("--demo", action="store_true", help="load the demo bakery-café")
    which.add_argument("--generate", type=int, metavar="N", help="generate N articles")
    init.add_argument("--seed", type=int, default=1, help="seed of --generate (1)")
    init.add_argument("--server-id", help="the server's id (default: autonome-<random>)")
    init.add_argument("--printer", action="append", default=[], metavar="ID=HOST:PORT",
                      help="where a printer of the catalogue listens (repeatable)")  # fmt: skip
    run = sub.add_parser("run", help="run the server (the default)")
    _data_arg(run)
    _run_args(run)
    code = sub.add_parser("enroll-code", help="print a one-time enrolment code for a till")
    _data_arg(code)
    code.add_argument("--name", default="", help="the till's name")
    rev = sub.add_parser("revoke-till", help="revoke a till's token")
    _data_arg(rev)
    rev.add_argument("till_id", type=int)
    imp = sub.add_parser("import-csv", help="import articles from a CSV file (all or nothing)")
    _data_arg(imp)
    imp.add_argument("file", type=Path)
    cli_books.add_parsers(sub, _data_arg)
    cli_printing.add_parsers(sub, _data_arg)
    cli_tables.add_parsers(sub, _data_arg)
    st = sub.add_parser(
        "store", help="show or change the store's identity printed on receipts (name, SIRET...)"
    )
    _data_arg(st)
    for key, what in IDENTITY_FIELDS.items():
        flag = f"--{key.replace('_', '-')}"
        if key == "address":
            st.add_argument(flag, action="append", metavar="LINE", help=what + "; repeat it")
        else:
            st.add_argument(flag, help=what + " ('' clears it)")
    st.add_argument("--json", action="store_true")
    return p


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0].startswith("-") and args[0] not in ("-h", "--help"):
        args = ["run", *args]
    a = _parser().parse_args(args)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    handlers = {
        "init": _init,
        "run": _run,
        "enroll-code": _enroll_code,
        "revoke-till": _revoke,
        "import-csv": _import_csv,
        **cli_books.HANDLERS,
        **cli_printing.HANDLERS,
        **cli_tables.HANDLERS,
        "store": _store_identity,
    }
    if a.command is None:
        _parser().print_help()
        return 2
    from sqlalchemy.exc import DatabaseError

    folder = getattr(a, "data", None)
    if folder is not None and folder.exists() and not folder.is_dir():
        print(
            f"autonome server {a.command}: --data {folder} is a file, not a folder", file=sys.stderr
        )
        return 1
    try:
        return handlers[a.command](a)
    except (FileNotFoundError, ValueError) as e:
        print(f"autonome server {a.command}: {e}", file=sys.stderr)
        return 1
    except DatabaseError as e:
        db = DataDir(a.data).db if folder is not None else "the database"
        reason = str(getattr(e, "orig", None) or e).splitlines()[0]
        print(
            f"autonome server {a.command}: {db} is not a store database ({reason}): "
            "nothing was changed; restore the folder from a backup",
            file=sys.stderr,
        )
        return 1


# -- commands -----------------------------------------------------------------------
def _store_identity(a: argparse.Namespace) -> int:
    """Show the identity, after changing the fields given; tills get it at the next snapshot."""
    from .identity import StoreIdentityError, read_identity, set_identity
    from .storage import open_store

    data = DataDir(a.data)
    if not data.exists():
        raise FileNotFoundError(f"no server data folder in {a.data} (autonome server init)")
    store = open_store(data.db_url, create=False)
    try:
        changes = {k: getattr(a, k) for k in IDENTITY_FIELDS if getattr(a, k, None) is not None}
        try:
            identity = set_identity(store, changes) if changes else read_identity(store)
        except StoreIdentityError as e:
            print(f"autonome server store: {e}; nothing changed", file=sys.stderr)
            return 2
    finally:
        store.close()
    if a.json:
        print(json.dumps(identity, ensure_ascii=False, indent=2))
        return 0
    for key in IDENTITY_FIELDS:
        value = identity.get(key)
        shown = " / ".join(value) if isinstance(value, list) else value
        print(f"{key:<11} {shown if shown else '(not set)'}")
    if changes:
        print("tills print it from their next snapshot (autonome snapshot build, or tonight)")
    return 0


def _init(a: argparse.Namespace) -> int:
    from .bootstrap import AlreadyInitialised, init_data_dir
    from .catalogue import CatalogueData
    from .demo import VAT_RATES, demo_catalogue, generate_catalogue, place_printers

    if a.generate is not None:
        catalogue = generate_catalogue(a.generate, a.seed)
    elif a.demo:
        catalogue = demo_catalogue()
    else:
        catalogue = CatalogueData(vat_rates=list(VAT_RATES))
    if why := place_printers(catalogue, a.printer):
        print(f"autonome server init: {why}", file=sys.stderr)
        return 2
    try:
        data = init_data_dir(a.data, server_id=a.server_id, catalogue=catalogue)
    except AlreadyInitialised as e:
        print(f"autonome server init: {e}", file=sys.stderr)
        return 1
    if a.demo:
        cli_tables.demo_floor_plan(data.db_url)
        cli_tables.demo_till_rules(data.db_url)
    sid = data.read_settings()["server_id"]
    print(f"server {sid} initialised in {data.root}: {len(catalogue.articles)} articles")
    print(f"admin token in {data.admin_token_file} (mode 0600)")
    print(f"TLS certificate {data.tls_cert_file}, sha256 {data.tls_fingerprint()}")
    return 0


def _log_config(level: str, access: bool) -> dict[str, Any]:
    handler = {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "plain"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {"stderr": handler},
        "loggers": {
            "autonome": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "uvicorn.access": {
                "handlers": ["stderr"],
                "level": "INFO" if access else "WARNING",
                "propagate": False,
            },
        },
    }


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted sockets only
    # then, and without it a keep-alive client waits ~40 ms (Nagle + delayed ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _first_snapshot(data: Any, server_id: str) -> None:
    """A store that never built a snapshot builds one before it opens: a new till
    must be able to log a cashier in and to sell alone from its first day."""
    from .snapshot import build_snapshot, latest_snapshot
    from .storage import open_store

    store = open_store(data.db)
    try:
        if latest_snapshot(store) is None:
            meta = build_snapshot(store, data, server_id)
            print(
                f"autonome server: first snapshot built (version {meta['version']})",
                file=sys.stderr,
            )
    finally:
        store.close()


def _run(a: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_app
    from .config import DataDir, ServerConfig, parse_hhmm

    data = DataDir(a.data)
    if not data.settings.exists():
        raise FileNotFoundError(
            f"{a.data} holds no store server (no {data.settings.name}): make one first with "
            f"`autonome server init --data {a.data}` (--demo for the demo bakery-café)"
        )
    settings = data.read_settings()
    _first_snapshot(data, settings["server_id"])
    snapshot_at = a.snapshot_at or settings.get("snapshot_at", "23:30")
    parse_hhmm(snapshot_at)
    try:
        sock = _bind(a.host, a.port)
    except OSError as e:
        print(f"autonome server: cannot listen on {a.host}:{a.port}: {e}", file=sys.stderr)
        return 1
    port = sock.getsockname()[1]
    config = ServerConfig(
        data=a.data,
        host=a.host,
        port=port,
        mdns=not a.no_mdns,
        mdns_interfaces=list(a.mdns_interface),
        snapshot_at=snapshot_at,
        keep_snapshots=int(settings.get("keep_snapshots", 3)),
    )
    app = create_app(config)
    shown = f"[{a.host}]" if ":" in a.host else a.host
    line = (
        f"autonome server listening on https://{shown}:{port} server_id={settings['server_id']}"
        f" certificate sha256 {data.tls_fingerprint()}"
    )

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started and not self.should_exit:
                print(line, flush=True)
                _systemd_ready(self)

    uv = uvicorn.Config(
        app,
        lifespan="on",
        workers=1,
        log_config=_log_config(a.log_level, a.access_log),
        access_log=a.access_log,
        server_header=False,
        timeout_graceful_shutdown=5,
        # HTTPS only, with the certificate the tills pin at enrolment (tls.crt, tls.key)
        ssl_certfile=str(data.tls_cert_file),
        ssl_keyfile=str(data.tls_key_file),
    )
    Server(uv).run(sockets=[sock])
    return 0


def _systemd_ready(server: Any) -> None:
    """READY=1 to systemd once listening, then WATCHDOG=1 from the event loop itself (a
    loop that hangs stops them: systemd restarts the server); nothing outside systemd."""
    import asyncio

    from appliance.protocol.sdnotify import notify, watchdog_interval

    notify("READY=1")
    every = watchdog_interval()
    if every is None:
        return

    async def pet() -> None:
        while not server.should_exit:
            notify("WATCHDOG=1")
            await asyncio.sleep(every)

    server.watchdog_task = asyncio.get_running_loop().create_task(pet())


def _open(a: argparse.Namespace):
    from .bootstrap import open_data

    return open_data(a.data)


def _enroll_code(a: argparse.Namespace) -> int:
    from .enrolment import CODE_TTL, create_code

    data, store, _settings = _open(a)
    code = create_code(store, a.name)
    hours = int(CODE_TTL.total_seconds() // 3600)
    who = f" for {a.name!r}" if a.name else ""
    print(f"enrolment code{who} (single use, valid {hours} h): {code}")
    fingerprint = data.tls_fingerprint()
    print(f"server certificate sha256: {fingerprint}")
    print(f"on the till: autonome till enroll --data DIR --code {code} --fingerprint {fingerprint}")
    return 0


def _revoke(a: argparse.Namespace) -> int:
    from .enrolment import revoke

    _data, store, _settings = _open(a)
    if not revoke(store, a.till_id):
        print(f"there is no till {a.till_id}", file=sys.stderr)
        return 1
    print(f"till {a.till_id} revoked: its token no longer works")
    return 0


def _import_csv(a: argparse.Namespace) -> int:
    from .csv_import import CsvImportError, import_articles

    _data, store, _settings = _open(a)
    try:
        counts = import_articles(store, a.file)
    except CsvImportError as e:
        print(f"{a.file}: {e}; nothing was imported", file=sys.stderr)
        return 1
    print(
        f"{a.file}: {counts['created']} articles created, {counts['updated']} updated, "
        f"{counts['barcodes']} barcodes"
    )
    return 0


def snapshot_main(argv: list[str] | None = None) -> int:
    """`autonome snapshot build --data DIR`."""
    p = argparse.ArgumentParser(prog="autonome snapshot", description="the store snapshot")
    sub = p.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="build a snapshot now")
    _data_arg(build)
    build.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from .snapshot import build_snapshot

    try:
        data, store, settings = _open(a)
    except (FileNotFoundError, ValueError) as e:
        print(f"autonome snapshot: {e}", file=sys.stderr)
        return 1
    t0 = time.perf_counter()
    meta = build_snapshot(
        store, data, settings["server_id"], int(settings.get("keep_snapshots", 3))
    )
    seconds = time.perf_counter() - t0
    if a.json:
        print(json.dumps({**meta, "seconds": round(seconds, 3)}))
    else:
        print(
            f"snapshot {meta['version']} built in {seconds:.2f} s: {meta['size']} bytes, "
            f"sha256 {meta['sha256']}"
        )
    return 0
