"""The devices reach the till core through `ports.DeviceHost` alone: what they read and
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
