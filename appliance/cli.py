"""`autonome`: one command for every role of the appliance.

Each sub-command lives with its layer and is imported only when asked for,
so starting a till never loads the server and importing this module does
nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

USAGE = """usage: autonome COMMAND [ARGS]

commands:
  server     run the store server (server run), or manage it: init, enroll-code,
             revoke-till, import-csv, pending, report, journal, tills, backup,
             printers, print-jobs, floor-plan, tables, store
  snapshot   build the store snapshot now (snapshot build --data DIR)
  till       run a till (till --data DIR: its touchscreen; till --headless --data DIR:
             JSON on stdin/stdout), enrol it (till enroll ...) or check the running
             one (till health --data DIR)
  ui         the till on its touchscreen (ui --data DIR [--server URL])
  enroll     same as `till enroll`
  update     A/B updates of the appliance: install BUNDLE into the other slot, confirm
             the booted slot (the boot's health check), status
  demo       the product on one screen: a demo store server and a till window with
             simulated scanner, printer and drawer, and a switch that unplugs the server
  drill      the outage drill: server, two tills, a crash, autonomous sales, upload
  devices    the till's scanner, printer and drawer: list, test-print, open-drawer,
             scan-test, selftest
  appliance  what the appliance images run at boot (appliance firstboot, appliance kiosk)
  help       this text

`autonome COMMAND --help` tells more.
"""


def _server(argv: Sequence[str]) -> int:
    from appliance.server.cli import main

    return main(list(argv))


def _snapshot(argv: Sequence[str]) -> int:
    from appliance.server.cli import snapshot_main

    return snapshot_main(list(argv))


def _till(argv: Sequence[str]) -> int:
    """`till enroll ...` and `till --headless ...`; a till run without --headless is
    the touchscreen (`ui`), which takes the same options."""
    args = list(argv)
    if args and args[0] not in ("enroll", "health", "-h", "--help") and "--headless" not in args:
        return _ui(args)
    from appliance.till.cli import main

    return main(args)


def _ui(argv: Sequence[str]) -> int:
    from appliance.ui.cli import main

    return main(list(argv))


def _enroll(argv: Sequence[str]) -> int:
    return _till(["enroll", *argv])


def _update(argv: Sequence[str]) -> int:
    from appliance.updates.cli import main

    return main(list(argv))


def _demo(argv: Sequence[str]) -> int:
    from appliance.showcase import main

    return main(list(argv))


def _drill(argv: Sequence[str]) -> int:
    from appliance.drill import main

    return main(list(argv))


def _devices(argv: Sequence[str]) -> int:
    from appliance.till.devices_cli import main

    return main(list(argv))


def _appliance(argv: Sequence[str]) -> int:
    from appliance.firstboot import main

    return main(list(argv))


COMMANDS: dict[str, Callable[[Sequence[str]], int]] = {
    "server": _server,
    "snapshot": _snapshot,
    "till": _till,
    "ui": _ui,
    "enroll": _enroll,
    "update": _update,
    "demo": _demo,
    "drill": _drill,
    "devices": _devices,
    "appliance": _appliance,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("help", "-h", "--help"):
        print(USAGE, end="")
        return 0
    command = COMMANDS.get(args[0])
    if command is None:
        print(f"autonome: unknown command {args[0]!r}\n\n{USAGE}", file=sys.stderr, end="")
        return 2
    return int(command(args[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main())
