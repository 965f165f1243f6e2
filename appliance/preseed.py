"""The integrator's pre-seed: `autonome.toml` on the appliance's boot partition (ESP).

    [store]                     # the server image: its store, at first boot
    name = "Boulangerie du Port"
    language = "fr"             # fr or en: the tills' screens
    address = ["1 quai des Bateaux", "44000 Nantes"]   # any store identity field
    demo = false                # true: the demo bakery-cafe's catalogue (to try it out)

    [till]                      # the till image
    server_url = "https://192.0.2.10:8470"   # optional: mDNS finds the server anyway
    name = "caisse 1"
    language = "fr"
    enrolment_code = "ABCD-EFGH"   # optional: enrol without typing (the server's code)
    fingerprint = "3F:A2:...:9C"   # and its certificate's sha256

    [devices]                   # optional: the till's devices.toml, as it would be
    ...

Every key is checked: an unknown key or a value of the wrong type is an error
that names the key and the file; the appliance then boots with its defaults
and says so on the console (it never refuses to boot over its pre-seed).
Pure: no I/O beyond the text it is given.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LANGUAGES", "Preseed", "PreseedError", "load_preseed"]

LANGUAGES = ("fr", "en")

STORE_KEYS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "language": str,
    "address": list,
    "siret": str,
    "vat_number": str,
    "phone": str,
    "timezone": str,
    "footer": str,
    "demo": bool,
}
TILL_KEYS: dict[str, type | tuple[type, ...]] = {
    "server_url": str,
    "name": str,
    "language": str,
    "enrolment_code": str,
    "fingerprint": str,
}
SECTIONS = ("store", "till", "devices")


class PreseedError(ValueError):
    """What is wrong with a pre-seed file, said with its key."""


@dataclass(frozen=True)
class Preseed:
    store: dict[str, Any] = field(default_factory=dict)
    till: dict[str, Any] = field(default_factory=dict)
    devices: dict[str, Any] | None = None

    @property
    def language(self) -> str:
        return str(self.till.get("language") or self.store.get("language") or "fr")


_TYPE_NAMES = {str: "a string", list: "a list of strings", bool: "true or false"}


def _section(raw: dict[str, Any], name: str, keys: dict[str, Any], where: str) -> dict[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise PreseedError(f"{where}: [{name}] is a table, not {type(value).__name__}")
    unknown = sorted(set(value) - set(keys))
    if unknown:
        raise PreseedError(
            f"{where}: unknown key {name}.{unknown[0]}; known in [{name}]: {', '.join(keys)}"
        )
    for key, v in value.items():
        kind = keys[key]
        if not isinstance(v, kind) or (isinstance(v, bool) and kind is not bool):
            raise PreseedError(
                f"{where}: {name}.{key} must be {_TYPE_NAMES.get(kind, kind)}, "
                f"not {type(v).__name__} ({v!r})"
            )
        if kind is list and not all(isinstance(x, str) for x in v):
            raise PreseedError(f"{where}: {name}.{key} must be a list of strings")
        if key == "language" and v not in LANGUAGES:
            raise PreseedError(
                f"{where}: {name}.language is {v!r}; the tills speak {', '.join(LANGUAGES)}"
            )
        if key == "server_url" and not v.startswith(("https://", "http://")):
            raise PreseedError(f"{where}: {name}.server_url {v!r} is not an https:// URL")
    return dict(value)


def load_preseed(text: str, where: str = "autonome.toml") -> Preseed:
    """The pre-seed of `text`, checked; PreseedError names the first fault."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PreseedError(f"{where}: not valid TOML ({e})") from e
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise PreseedError(
            f"{where}: unknown section or key {unknown[0]!r}; known: {', '.join(SECTIONS)}"
        )
    devices = raw.get("devices")
    if devices is not None and not isinstance(devices, dict):
        raise PreseedError(f"{where}: [devices] is a table (the till's devices.toml)")
    return Preseed(
        store=_section(raw, "store", STORE_KEYS, where),
        till=_section(raw, "till", TILL_KEYS, where),
        devices=devices,
    )
