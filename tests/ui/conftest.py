"""The touchscreen tests: each test runs in a pytest process of its own.

Kivy keeps one window per process, installs its own handlers and, without a
GL driver, ends the process; so this pytest never imports Kivy. It runs each
test of tests/ui again in a child pytest (`AUTONOME_UI_CHILD=1`) with Kivy set
for an offscreen window, and reports the child's outcome as the test's. A
crash in Kivy fails that test and nothing else.

Before the first test, a probe opens a Kivy window in a child process. If it
cannot (Mesa's EGL missing: apt install libegl1 libgl1-mesa-dri), the tests
are skipped with the probe's reason, unless AUTONOME_REQUIRE_UI=1 (CI sets
it), where they fail.

The demo store the tests' servers start from is built once by this process
and handed to the children (`AUTONOME_UI_TEMPLATE`).
"""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from _pytest.reports import TestReport

from appliance.demo_printers import NO_PRINTERS
from appliance.ui.cli import offscreen_env

CHILD = "AUTONOME_UI_CHILD"
TEMPLATE = "AUTONOME_UI_TEMPLATE"
REQUIRE = "AUTONOME_REQUIRE_UI"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
#: a whole test in its child process, server and till included
CHILD_TIMEOUT_S = 110

PROBE = """
from kivy.base import EventLoop
from kivy.core.window import Window
EventLoop.ensure_window()
EventLoop.idle()
print("window", Window.size)
"""


class _Session:
    def __init__(self) -> None:
        self.work = Path(tempfile.mkdtemp(prefix="autonome-ui-"))
        self.problem: str | None = None
        self.probed = False
        self.template: Path | None = None

    def probe(self) -> str | None:
        if self.probed:
            return self.problem
        self.probed = True
        try:
            done = subprocess.run(
                [sys.executable, "-c", PROBE],
                env=offscreen_env(self.work / "kivy-probe"),
                capture_output=True,
                text=True,
                timeout=60,
                cwd=ROOT,
            )
        except subprocess.TimeoutExpired:
            self.problem = "a Kivy window did not open within 60 s"
            return self.problem
        if done.returncode != 0 or "window" not in done.stdout:
            tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
            egl = ctypes.util.find_library("EGL")
            hint = "" if egl else " (no libEGL: apt install libegl1 libgl1-mesa-dri)"
            self.problem = f"Kivy cannot open an offscreen window{hint}: {tail}"
        return self.problem

    def demo_store(self) -> Path:
        if self.template is None:
            from appliance.processes import autonome

            data = self.work / "store" / "server"
            data.mkdir(parents=True)
            autonome("server", "init", "--data", str(data), "--demo", *NO_PRINTERS, timeout=300)
            autonome("snapshot", "build", "--data", str(data))
            self.template = data
        return self.template


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get(CHILD):
        session = _Session()
        config._autonome_ui = session  # type: ignore[attr-defined]
        config.add_cleanup(lambda: shutil.rmtree(session.work, ignore_errors=True))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In this process a UI test is its child's run, plus the probe and the demo store
    the first one builds: its time limit covers them (the child keeps the test's own)."""
    if os.environ.get(CHILD):
        return
    for item in items:
        if Path(str(item.path)).is_relative_to(HERE):
            item.add_marker(pytest.mark.timeout(CHILD_TIMEOUT_S + 180))


def _outcome(xml: Path) -> tuple[str, str]:
    """(passed | failed | skipped, the text) of the one test case in a junit file."""
    try:
        case = ET.parse(xml).getroot().find(".//testcase")
    except (ET.ParseError, FileNotFoundError):
        return "failed", "the child pytest wrote no report (it crashed?)"
    if case is None:
        return "failed", "the child pytest ran no test"
    for kind in ("failure", "error"):
        node = case.find(kind)
        if node is not None:
            return "failed", (node.text or node.get("message") or kind)
    node = case.find("skipped")
    if node is not None:
        return "skipped", node.get("message") or "skipped"
    return "passed", ""


def _report(item: pytest.Item, when: str, outcome: str, longrepr: object, duration: float):
    rep = TestReport(
        item.nodeid,
        item.location,
        {k: 1 for k in item.keywords},
        outcome,  # type: ignore[arg-type]
        longrepr,  # type: ignore[arg-type]
        when,  # type: ignore[arg-type]
        duration=duration,
    )
    item.ihook.pytest_runtest_logreport(report=rep)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    if os.environ.get(CHILD) or not Path(str(item.path)).is_relative_to(HERE):
        return None  # the child runs its one test the usual way; other tests are not ours
    session: _Session = item.config._autonome_ui  # type: ignore[attr-defined]
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    problem = session.probe()
    path, line = str(item.location[0]), (item.location[1] or 0) + 1
    if problem:
        _report(item, "setup", "passed", None, 0)
        if os.environ.get(REQUIRE):
            _report(item, "call", "failed", f"{REQUIRE} is set: {problem}", 0)
        else:
            _report(item, "call", "skipped", (path, line, f"Skipped: {problem}"), 0)
        _report(item, "teardown", "passed", None, 0)
        item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        return True
    _report(item, "setup", "passed", None, 0)
    t0 = time.monotonic()
    outcome, text = _run_child(item, session)
    duration = time.monotonic() - t0
    if outcome == "skipped":
        _report(item, "call", "skipped", (path, line, text), duration)
    else:
        _report(item, "call", outcome, text or None, duration)
    _report(item, "teardown", "passed", None, 0)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


def _run_child(item: pytest.Item, session: _Session) -> tuple[str, str]:
    try:
        template = session.demo_store()
    except Exception as e:  # the server could not be made: the test fails, saying so
        return "failed", f"the demo store could not be built: {e!r}"
    slug = "".join(c if c.isalnum() else "_" for c in item.nodeid)[-80:]
    xml = session.work / f"{slug}.xml"
    env = offscreen_env(session.work / "kivy" / slug)
    env.update({CHILD: "1", TEMPLATE: str(template)})
    command = [sys.executable, "-m", "pytest", "-q", "-x", "--tb=short", "-p", "no:cacheprovider"]
    command += [f"--junit-xml={xml}", "-o", "junit_logging=all", item.nodeid]
    try:
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S
        )
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        return "failed", f"the test's process ran over {CHILD_TIMEOUT_S} s\n{out[-4000:]}"
    outcome, text = _outcome(xml)
    if outcome == "failed":
        text = f"{text}\n--- child pytest output ---\n{done.stdout[-6000:]}{done.stderr[-3000:]}"
        if done.returncode < 0:
            text = f"the test's process died by signal {-done.returncode}\n{text}"
    return outcome, text


# -- fixtures of the child ------------------------------------------------------------
@pytest.fixture(scope="session")
def template(tmp_path_factory) -> Path:
    """The demo store (about 150 articles; cashier c1/1234, manager m1/9876)."""
    given = os.environ.get(TEMPLATE)
    if given:
        return Path(given)
    from appliance.processes import autonome

    data = tmp_path_factory.mktemp("ui-store") / "server"
    data.mkdir()
    autonome("server", "init", "--data", str(data), "--demo", *NO_PRINTERS, timeout=300)
    autonome("snapshot", "build", "--data", str(data))
    return data


@pytest.fixture
def server(template, tmp_path) -> Iterator:
    from appliance.processes import ServerProcess

    data = tmp_path / "server"
    shutil.copytree(template, data)
    s = ServerProcess(data, mdns=False).start()
    yield s
    s.stop()
