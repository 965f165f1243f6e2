"""The screens' message catalogues: read a `.po` file, write its `.mo`.

`python -m appliance.ui.po` compiles every `locale/*/LC_MESSAGES/*.po` beside
itself, so a fresh machine needs no gettext tools. Fuzzy entries and empty
translations are left out, as msgfmt does.
"""

from __future__ import annotations

import ast
import struct
import sys
from pathlib import Path

__all__ = ["compile_po", "mo_bytes", "read_po"]

LOCALE_DIR = Path(__file__).with_name("locale")


def read_po(text: str) -> dict[str, str]:
    """{msgid: msgstr}; a plural entry is keyed "singular\\0plural" with its forms
    joined by NUL, as in a .mo file. The header (msgid "") is kept."""
    entries: dict[str, str] = {}
    fields: dict[str, str] = {}
    current: str | None = None
    fuzzy = False

    def flush() -> None:
        nonlocal fuzzy
        if "msgid" in fields and not fuzzy:
            key = fields["msgid"]
            if "msgctxt" in fields:
                key = fields["msgctxt"] + "\x04" + key
            if "msgid_plural" in fields:
                key += "\0" + fields["msgid_plural"]
                forms = sorted(k for k in fields if k.startswith("msgstr["))
                value = "\0".join(fields[k] for k in forms)
            else:
                value = fields.get("msgstr", "")
            if value.replace("\0", "") or key == "":
                entries[key] = value
        fields.clear()
        fuzzy = False

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if line.startswith("#,") and "fuzzy" in line:
                if "msgid" in fields:
                    flush()
                fuzzy = True
            continue
        if line.startswith('"'):
            if current is None:
                raise ValueError(f"line {number}: a string outside any entry")
            fields[current] += _string(line, number)
            continue
        keyword, _, rest = line.partition(" ")
        if keyword in ("msgid", "msgctxt") and "msgid" in fields:
            flush()  # the entry before ends here
        if keyword not in ("msgid", "msgid_plural", "msgstr", "msgctxt") and not (
            keyword.startswith("msgstr[")
        ):
            raise ValueError(f"line {number}: unknown keyword {keyword!r}")
        current = keyword
        fields[keyword] = _string(rest.strip(), number)
    flush()
    return entries


def _string(token: str, number: int) -> str:
    if not (token.startswith('"') and token.endswith('"')):
        raise ValueError(f"line {number}: a quoted string is expected")
    return ast.literal_eval(token)


def mo_bytes(entries: dict[str, str]) -> bytes:
    """The GNU .mo file of these entries (little-endian, no hash table)."""
    keys = sorted(entries)
    ids = b""
    strs = b""
    offsets: list[tuple[int, int, int, int]] = []
    for key in keys:
        k, v = key.encode(), entries[key].encode()
        offsets.append((len(ids), len(k), len(strs), len(v)))
        ids += k + b"\0"
        strs += v + b"\0"
    n = len(keys)
    start_ids = 7 * 4
    start_strs = start_ids + n * 8
    data_ids = start_strs + n * 8
    data_strs = data_ids + len(ids)
    out = struct.pack("<7I", 0x950412DE, 0, n, start_ids, start_strs, 0, 0)
    for o, ln, _so, _sl in offsets:
        out += struct.pack("<2I", ln, data_ids + o)
    for _o, _ln, so, sl in offsets:
        out += struct.pack("<2I", sl, data_strs + so)
    return out + ids + strs


def compile_po(po: Path) -> Path:
    """Write the .mo beside `po`; its path."""
    mo = po.with_suffix(".mo")
    mo.write_bytes(mo_bytes(read_po(po.read_text(encoding="utf-8"))))
    return mo


def main(argv: list[str] | None = None) -> int:
    paths = [Path(p) for p in (argv if argv is not None else sys.argv[1:])]
    for po in paths or sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po")):
        print(compile_po(po))
    return 0


if __name__ == "__main__":
    sys.exit(main())
