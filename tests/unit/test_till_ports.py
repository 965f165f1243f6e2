"""The devices and the screens reach the till core through their ports alone
(`ports.DeviceHost`, `ports.ScreenHost`): what they read and
the commands they issue, never the core's own parts (its outbox, its journal, an
attribute of theirs hung on it)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from appliance.till import devices, kitchen, ports

HOST_MEMBERS = {name for name in dir(ports.DeviceHost) if not name.startswith("_")} | set(
    ports.DeviceHost.__annotations__
)


def _uses_of_till(module) -> tuple[set[str], list[str]]:
    """The members of the core a module touches (`self.till.X`, `till.X`), and the
    ones it assigns."""
    tree = ast.parse(Path(inspect.getfile(module)).read_text())
    read, written = set(), []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        base = node.value
        is_till = (isinstance(base, ast.Name) and base.id == "till") or (
            isinstance(base, ast.Attribute)
            and base.attr == "till"
            and isinstance(base.value, ast.Name)
            and base.value.id == "self"
        )
        if is_till:
            read.add(node.attr)
            if isinstance(node.ctx, ast.Store | ast.Del):
                written.append(node.attr)
    return read, written


def test_the_devices_touch_only_what_the_port_gives_them():
    for module in (devices, kitchen):
        read, written = _uses_of_till(module)
        assert read, module.__name__  # it does reach the core
        assert read <= HOST_MEMBERS, (module.__name__, read - HOST_MEMBERS)
        assert written == [], (module.__name__, written)


def test_the_port_gives_no_journal_outbox_or_devices_attribute():
    assert {"events", "outbox", "devices", "register", "link"} & HOST_MEMBERS == set()
    assert {"record_event", "plug_devices", "last_record", "bus", "scan"} <= HOST_MEMBERS


SCREEN_MEMBERS = {n for n in dir(ports.ScreenHost) if not n.startswith("_")} | set(
    ports.ScreenHost.__annotations__
)
#: the wiring that builds a till for the screens (it may touch what it made)
COMPOSERS = {"cli.py", "screenshots.py", "demo.py"}


def _screen_uses(path: Path) -> tuple[set[str], list[str]]:
    """`till.X`, `self.till.X`, `ctl.till.X`, `self.ctl.till.X` and getattr(<that>, "X")."""
    tree = ast.parse(path.read_text())

    def is_till(node: ast.AST) -> bool:
        if isinstance(node, ast.Name):
            return node.id == "till"
        return isinstance(node, ast.Attribute) and node.attr == "till"

    read, written = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_till(node.value):
            read.add(node.attr)
            if isinstance(node.ctx, ast.Store | ast.Del):
                written.append(node.attr)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) >= 2
            and is_till(node.args[0])
            and isinstance(node.args[1], ast.Constant)
        ):
            read.add(str(node.args[1].value))
    return read, written


def test_the_screens_touch_only_what_their_port_gives_them():
    ui = Path(inspect.getfile(ports)).parents[1] / "ui"
    seen = set()
    for path in sorted(ui.glob("*.py")):
        if path.name in COMPOSERS:
            continue
        read, written = _screen_uses(path)
        seen |= read
        assert read <= SCREEN_MEMBERS, (path.name, read - SCREEN_MEMBERS)
        assert written == [], (path.name, written)
    assert {"catalogue", "pay", "subscribe", "x_report"} <= seen  # the walk finds them
    assert {"outbox", "events", "register", "link"} & SCREEN_MEMBERS == set()


def test_the_till_core_offers_every_member_of_both_ports():
    from appliance.till.session import Till

    instance_attrs = {"config", "data_dir", "till_id", "bus", "catalogue", "now"}  # set in __init__
    for port in (SCREEN_MEMBERS, HOST_MEMBERS):
        missing = {m for m in port if not hasattr(Till, m) and m not in instance_attrs}
        assert missing == set()
