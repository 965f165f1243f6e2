"""python-escpos, imported on first use and not before.

Importing python-escpos has effects: its capabilities module makes a fresh
temporary folder and writes a pickle there at every import, unless
ESCPOS_CAPABILITIES_PICKLE_DIR names one. `load()` points it at one folder
per user under the temporary directory (AUTONOME_ESCPOS_CACHE overrides), so
imports do not pile folders up, and nothing happens when drivers modules are
merely imported.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from types import ModuleType


def load() -> ModuleType:
    """The `escpos.printer` module, python-escpos's cache folder set first."""
    if "escpos.capabilities" not in sys.modules:
        cache = os.environ.get("AUTONOME_ESCPOS_CACHE") or str(
            Path(tempfile.gettempdir()) / f"autonome-escpos-{os.getuid()}"
        )
        Path(cache).mkdir(mode=0o700, parents=True, exist_ok=True)
        os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", cache)
    import escpos.printer

    return escpos.printer
