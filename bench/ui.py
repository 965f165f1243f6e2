"""The figures of the touchscreen till (issue 5), with their targets.

- `ui_scan_to_line_drawn_p99_ms` (50 ms): a code scanned (the screen's scan
  command, as the keypad's Enter or a scanner gives it) to the first frame
  flipped with its line on the ticket; online, on a 100,000-article snapshot.
  The same run prints (stderr, "ui scans:") the time to the frame with the
  core's own line (`core_p99_ms`: looked up on the server over TLS, where the
  first frame shows the snapshot's provisional line): not a figure of its own,
  the issue's target is the line on screen.
- `ui_start_to_login_s` (3 s): `autonome ui` started to the first frame of the
  login screen with the cashiers' buttons (the 100,000-article snapshot opened).
  The project's modules are byte-compiled first, as the appliance image does at
  build time (`images/rootfs.py`): a machine with PYTHONDONTWRITEBYTECODE set would
  otherwise compile every module from source at each start (~0.3 s here).
- `ui_frame_p99_ms_200_lines` (33 ms): the time of each frame while lines are
  added one by one to a ticket of 200 lines and more.

Each runs in a process of its own (`python -m bench.ui FIGURE ...`) on an
offscreen Kivy window at 1024x768, the till core real and a real server on
loopback; Kivy never loads in the bench's process.
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from appliance.processes import ServerProcess, TillProcess, autonome
from appliance.ui.cli import offscreen_env

__all__ = ["UI_FIGURES"]

SIZE = (1024, 768)
SCANS = 300
EXTRA_LINES = 100


def _p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[98]


def _env(work: Path) -> dict[str, str]:
    return offscreen_env(work / "kivy")


def _till(work: Path, server: ServerProcess) -> Path:
    folder = work / "till"
    TillProcess(folder, "bench").enroll(server.enrolment_code("bench"), server.url)
    conf = json.loads((folder / "till.json").read_text())
    conf["settings"]["mdns"] = False
    conf["settings"]["merge_lines"] = False  # every scan a line of its own: a line added
    (folder / "till.json").write_text(json.dumps(conf))
    return folder


def _server(work: Path, data: Path | None) -> ServerProcess:
    server = ServerProcess(work / "server", mdns=False)
    if data is None:
        server.data.mkdir(parents=True)
        autonome("server", "init", "--data", str(server.data), "--demo", timeout=300)
        autonome("snapshot", "build", "--data", str(server.data))
    else:
        server.data = data
        server.log = work / "server.log"
    return server.start()


def _child(work: Path, figure: str, *args: str, timeout: float = 600) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.ui", figure, *args]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        command, env=_env(work), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()  # the child's one line of JSON
    seen = time.perf_counter() - t0
    try:
        _out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    if not first.strip():
        raise RuntimeError(f"bench.ui {figure}: no answer; {err[-2000:]}")
    answer = json.loads(first)
    answer["seen_s"] = seen
    return answer


def _big(work: Path) -> tuple[ServerProcess, Path]:
    from bench.figures import big_store

    server = _server(work, big_store())
    return server, _till(work, server)


def scan_to_line(work: Path) -> float:
    server, folder = _big(work)
    try:
        got = _child(work, "scan", str(folder), server.url)
    finally:
        server.stop()
    print(f"     ui scans: {json.dumps(got)}", file=sys.stderr)
    return float(got["shown_p99_ms"])


def start_to_login(work: Path) -> float:
    import compileall

    root = Path(__file__).resolve().parent.parent
    for package in ("appliance", "bench"):  # as the image does; writes whatever the env says
        compileall.compile_dir(root / package, quiet=1)
    server, folder = _big(work)
    try:
        got = _child(work, "start", str(folder), server.url)
    finally:
        server.stop()
    return float(got["seen_s"])


def frame_time(work: Path) -> float:
    server = _server(work, None)
    try:
        folder = _till(work, server)
        got = _child(work, "frames", str(folder), server.url)
    finally:
        server.stop()
    print(f"     ui frames: {json.dumps(got)}", file=sys.stderr)
    return float(got["frame_p99_ms"])


def _figures() -> list[Any]:
    from bench.figures import Figure

    return [
        Figure("ui_scan_to_line_drawn_p99_ms", 50.0, "ms", scan_to_line),
        Figure("ui_start_to_login_s", 3.0, "s", start_to_login),
        Figure("ui_frame_p99_ms_200_lines", 33.0, "ms", frame_time),
    ]


UI_FIGURES = _figures()


# -- the child: Kivy, the screens and the till core in this process ---------------------------
class _Screen:
    def __init__(self, folder: Path, url: str) -> None:
        from kivy.config import Config

        Config.set("graphics", "maxfps", "0")
        Config.set("graphics", "multisamples", "0")  # as `autonome ui` (cli.configure_kivy)
        Config.set("graphics", "width", str(SIZE[0]))
        Config.set("graphics", "height", str(SIZE[1]))
        from kivy.base import EventLoop
        from kivy.core.window import Window

        from appliance.till import Till
        from appliance.ui import i18n
        from appliance.ui.app import build_root
        from appliance.ui.controller import TillController

        EventLoop.ensure_window()
        self.loop = EventLoop
        i18n.use("fr")
        self.till = Till(folder, server_hint=url, mdns=False)
        self.ctl = TillController(self.till)
        self.root = build_root(self.ctl)
        Window.add_widget(self.root)
        self.ctl.start()

    def until(self, predicate: Any, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise RuntimeError("bench.ui: timed out")
            self.loop.idle()

    def login(self) -> None:
        st = self.ctl.state
        self.until(lambda: st.mode == "ONLINE" and self.till.catalogue is not None)
        self.ctl.login("c1", "1234")
        self.until(lambda: st.cashier is not None)

    def rows(self) -> list[dict[str, Any]]:
        return self.root.sale.ticket.data

    def drawn_rows(self) -> int:
        """Rows whose view is on screen now (the recycle layout's visible views)."""
        return len(self.root.sale.ticket.layout_manager.children)

    def stop(self) -> None:
        self.ctl.stop()


def _scan(folder: Path, url: str) -> dict[str, Any]:
    s = _Screen(folder, url)
    s.login()
    cat = s.till.catalogue
    codes = list(cat.barcodes)
    rng = random.Random(5)
    shown: list[float] = []
    core: list[float] = []
    for i in range(SCANS + 20):
        if i % 20 == 0:  # the demo store's manager approves the cancel (no dialog timed)
            s.ctl._submit(lambda: s.till.cancel({"manager_id": "m1", "pin": "9876"}))
            s.until(lambda: not s.ctl.state.sale["lines"] and not s.ctl.state.provisional)
            for _ in range(3):
                s.loop.idle()
        code = rng.choice(codes)
        name = cat.by_barcode(code)["name"]
        n = len(s.ctl.state.sale["lines"])
        t0 = time.perf_counter()
        s.ctl.scan(code)
        first = None
        while True:
            s.loop.idle()  # ticks, draws and flips one frame
            rows = s.rows()
            if first is None and any(r["label"] == name for r in rows[n:]):
                first = time.perf_counter() - t0
            if len(s.ctl.state.sale["lines"]) > n and not s.ctl.state.provisional:
                done = time.perf_counter() - t0
                break
            if time.perf_counter() - t0 > 10:
                raise RuntimeError(f"scan of {code}: no line in 10 s")
        if i >= 20:  # the first ones warm the caches up
            shown.append((first if first is not None else done) * 1000)
            core.append(done * 1000)
    s.stop()
    return {
        "shown_p99_ms": _p99(shown),
        "shown_median_ms": statistics.median(shown),
        "core_p99_ms": _p99(core),
        "core_median_ms": statistics.median(core),
        "scans": len(shown),
        "articles": len(cat.articles),
    }


def _frames(folder: Path, url: str) -> dict[str, Any]:
    s = _Screen(folder, url)
    s.login()
    cat = s.till.catalogue
    ids = list(cat.articles)
    for i in range(200):  # a ticket of 200 lines first
        s.ctl.add(ids[i % len(ids)])
    s.until(lambda: len(s.ctl.state.sale["lines"]) == 200 and not s.ctl.state.provisional)
    for _ in range(5):
        s.loop.idle()
    frames: list[float] = []
    for i in range(EXTRA_LINES):
        n = len(s.ctl.state.sale["lines"])
        s.ctl.add(ids[(i * 7) % len(ids)])
        while len(s.ctl.state.sale["lines"]) == n or s.ctl.state.provisional:
            t0 = time.perf_counter()
            s.loop.idle()
            frames.append((time.perf_counter() - t0) * 1000)
        for _ in range(2):  # the frame that draws the core's line
            t0 = time.perf_counter()
            s.loop.idle()
            frames.append((time.perf_counter() - t0) * 1000)
    lines = len(s.ctl.state.sale["lines"])
    s.stop()
    return {
        "frame_p99_ms": _p99(frames),
        "frame_median_ms": statistics.median(frames),
        "frames": len(frames),
        "lines": lines,
    }


def _start(folder: Path, url: str) -> dict[str, Any]:
    """Time is taken by the parent from the process's start to this line on stdout."""
    from appliance.ui.cli import configure_kivy

    configure_kivy(folder / "kivy", SIZE, False)
    from kivy.config import Config

    Config.set("graphics", "maxfps", "0")
    from kivy.core.window import Window

    from appliance.till import Till
    from appliance.ui.app import TillApp

    till = Till(folder, server_hint=url, mdns=False)
    app = TillApp(till, lang="fr")

    def flipped(*_: Any) -> None:
        root = app.root
        if root is not None and root.screens.current == "login" and root.login.cashiers.children:
            Window.unbind(on_flip=flipped)
            print(json.dumps({"login": True}), flush=True)
            app.stop()

    Window.bind(on_flip=flipped)
    app.run()
    return {}


def main(argv: list[str]) -> int:
    figure, folder, url = argv[0], Path(argv[1]), argv[2]
    if figure == "start":
        _start(folder, url)
        return 0
    run = {"scan": _scan, "frames": _frames}[figure]
    print(json.dumps(run(folder, url)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
