"""The layer rules of ARCHITECTURE.md, and no side effects at import."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "broken" not in done.stdout.lower().replace("0 broken", "")


PROBE = r"""
import importlib, os, pkgutil, sys, threading
import appliance, drivers
before_threads = threading.active_count()
before_files = set(os.listdir("."))
names = []
for pkg in (appliance, drivers):
    for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        if info.name.endswith("__main__") or ".ui" in info.name:
            continue
        importlib.import_module(info.name)
        names.append(info.name)
assert threading.active_count() == before_threads, "a module started a thread at import"
assert set(os.listdir(".")) == before_files, "a module wrote a file at import"
print(len(names))
"""


def test_importing_every_module_has_no_side_effect(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) >= 8
    assert list(tmp_path.iterdir()) == []
