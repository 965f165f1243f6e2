"""A shop LAN on one machine: network namespaces joined by a bridge.

One namespace holds the bridge (`br0`); each host (srv, till1, till2, till3)
is a namespace of its own, with `lo` up and an `eth0` (multicast on) whose
veth peer is plugged into the bridge. mDNS multicast and HTTP then cross a
real (virtual) wire, and nothing leaves these namespaces: the root namespace
is never touched (recipe and timings: /work/shared/notes/lan.md).

Names carry the test process id and a counter (`an<pid>-<n>-srv`), so
parallel runs never clash. `Lan.down()` kills only the processes inside its
own namespaces and deletes them; it runs from the fixture's finalizer and,
should that be skipped, at exit.

The test process itself stays in the root namespace. To talk to a host (the
server's admin API, say) it runs a function in a thread that has entered that
host's namespace (`Lan.call`): sockets made there belong to the namespace.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import itertools
import os
import queue
import re
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

__all__ = ["HOSTS", "Lan", "LanUnavailable", "lan_unavailable", "sweep_stale"]

T = TypeVar("T")

HOSTS = ("srv", "till1", "till2", "till3")
CLONE_NEWNET = 0x40000000
NETNS_DIR = "/var/run/netns"
STALE = re.compile(r"^an(\d+)-\d+-[a-z]+\d*$")  # br, srv, till1..., or a test's own hosts

_counter = itertools.count(1)
_alive: set[Lan] = set()


class LanUnavailable(RuntimeError):
    """This machine cannot build the test LAN (no root, no iproute2...)."""


def _run(*args: str, check: bool = True, stdin: str | None = None) -> str:
    done = subprocess.run(args, capture_output=True, text=True, input=stdin, timeout=30)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {done.stderr.strip() or done.returncode}")
    return done.stdout


def lan_unavailable(*tools: str) -> str | None:
    """Why the test LAN cannot be built here, or None."""
    if os.name != "posix" or not os.path.isdir("/proc/self/ns"):
        return "needs Linux network namespaces"
    if os.geteuid() != 0:
        return "needs root (network namespaces); CI runs as root"
    packages = {"ip": "iproute2", "nft": "nftables"}
    for tool in ("ip", *tools):
        if shutil.which(tool) is None:
            return f"needs `{tool}` (apt-get install {packages.get(tool, tool)})"
    return None


def _libc_setns() -> Callable[[int, int], int]:
    libc = ctypes.CDLL(None, use_errno=True)
    setns = libc.setns
    setns.argtypes = [ctypes.c_int, ctypes.c_int]
    return setns


class _NetnsThread(threading.Thread):
    """A thread living in one network namespace, running the jobs given to it."""

    def __init__(self, netns: str) -> None:
        super().__init__(name=f"in-{netns}", daemon=True)
        self.netns = netns
        self.jobs: queue.Queue[tuple[Callable[[], Any], Future[Any]] | None] = queue.Queue()
        self.ready: Future[None] = Future()

    def run(self) -> None:
        try:
            fd = os.open(f"{NETNS_DIR}/{self.netns}", os.O_RDONLY)
            try:
                if _libc_setns()(fd, CLONE_NEWNET) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, f"setns {self.netns}: {os.strerror(err)}")
            finally:
                os.close(fd)
        except BaseException as e:
            self.ready.set_exception(e)
            return
        self.ready.set_result(None)
        while (job := self.jobs.get()) is not None:
            fn, result = job
            try:
                result.set_result(fn())
            except BaseException as e:
                result.set_exception(e)

    def call(self, fn: Callable[[], T], timeout: float) -> T:
        result: Future[T] = Future()
        self.jobs.put((fn, result))
        return result.result(timeout)


class Lan:
    """A bridge and the hosts srv, till1, till2, till3, each with its own address."""

    def __init__(self, hosts: tuple[str, ...] = HOSTS) -> None:
        pid = os.getpid()
        self.prefix = f"an{pid}-{next(_counter)}"
        # a /24 of its own per session: 10.<pid high>.<pid low>.0/24
        self.net = f"10.{(pid >> 8) & 0xFF}.{pid & 0xFF}"
        self.hosts = {name: f"{self.net}.{10 + i}" for i, name in enumerate(hosts)}
        self._threads: dict[str, _NetnsThread] = {}
        self._made: list[str] = []

    # -- names and commands ---------------------------------------------------------
    def ns(self, host: str) -> str:
        return f"{self.prefix}-{host}"

    def ip(self, host: str) -> str:
        return self.hosts[host]

    def exec(self, host: str) -> list[str]:
        """The prefix that runs a command on `host`."""
        return ["ip", "netns", "exec", self.ns(host)]

    # -- up and down ----------------------------------------------------------------
    def up(self) -> Lan:
        _alive.add(self)
        try:
            br = self.ns("br")
            self._add_ns(br)
            _run("ip", "-n", br, "link", "add", "br0", "type", "bridge")
            _run("ip", "-n", br, "link", "set", "br0", "up")
            for host, addr in self.hosts.items():
                ns = self.ns(host)
                self._add_ns(ns)
                # b-<host> on the bridge; its peer is the host's eth0
                _run(
                    *("ip", "-n", br, "link", "add", f"b-{host}", "type", "veth"),
                    *("peer", "name", "eth0", "netns", ns),
                )
                _run("ip", "-n", br, "link", "set", f"b-{host}", "master", "br0", "up")
                _run("ip", "-n", ns, "link", "set", "eth0", "multicast", "on", "up")
                _run("ip", "-n", ns, "addr", "add", f"{addr}/24", "dev", "eth0")
        except BaseException:
            self.down()
            raise
        return self

    def _add_ns(self, ns: str) -> None:
        _run("ip", "netns", "add", ns)
        self._made.append(ns)
        _run("ip", "-n", ns, "link", "set", "lo", "up")

    def down(self) -> None:
        """Kill what runs in these namespaces, then delete them. Never raises."""
        for t in self._threads.values():
            t.jobs.put(None)
        self._threads.clear()
        me = os.getpid()
        for ns in reversed(self._made):
            out = _run("ip", "netns", "pids", ns, check=False)
            for pid in {int(p) for p in out.split() if p.isdigit()} - {me}:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
        for ns in reversed(self._made):
            _run("ip", "netns", "del", ns, check=False)
        self._made.clear()
        _alive.discard(self)

    # -- faults -------------------------------------------------------------------------
    def cable(self, host: str, plugged: bool) -> None:
        """Pull (`False`) or put back (`True`) the cable of `host`."""
        _run("ip", "-n", self.ns(host), "link", "set", "eth0", "up" if plugged else "down")

    def black_hole(self, host: str) -> None:
        """nftables drops everything in and out of `host`'s eth0."""
        rules = (
            "table inet bh {\n"
            '  chain in  { type filter hook input  priority 0; iifname "eth0" drop; }\n'
            '  chain out { type filter hook output priority 0; oifname "eth0" drop; }\n'
            "}\n"
        )
        _run(*self.exec(host), "nft", "-f", "-", stdin=rules)

    def clear_black_hole(self, host: str) -> None:
        _run(*self.exec(host), "nft", "delete", "table", "inet", "bh")

    # -- the test process on a host ----------------------------------------------------
    def call(self, host: str, fn: Callable[[], T], timeout: float = 60) -> T:
        """Run `fn` in a thread inside `host`'s namespace; its result."""
        t = self._threads.get(host)
        if t is None:
            t = _NetnsThread(self.ns(host))
            t.start()
            t.ready.result(10)
            self._threads[host] = t
        return t.call(fn, timeout)


def sweep_stale() -> list[str]:
    """Delete the namespaces left by test sessions that died (SIGKILL): only ours
    (`an<pid>-...`), only when that process is gone."""
    out = _run("ip", "netns", "list", check=False)
    gone: list[str] = []
    for line in out.splitlines():
        name = line.split()[0] if line.split() else ""
        m = STALE.match(name)
        if not m or int(m.group(1)) == os.getpid() or os.path.exists(f"/proc/{m.group(1)}"):
            continue
        for p in _run("ip", "netns", "pids", name, check=False).split():
            with contextlib.suppress(ProcessLookupError, PermissionError, ValueError):
                os.kill(int(p), signal.SIGKILL)
        _run("ip", "netns", "del", name, check=False)
        gone.append(name)
    return gone


@atexit.register
def _down_all() -> None:
    for lan in list(_alive):
        lan.down()
