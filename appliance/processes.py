"""A store server and headless tills as real processes, for the drill and the tests.

Everything goes through the product's own doors: the `autonome` command line,
the headless till's JSON lines and the server's HTTP API. Nothing here
imports the server or the till core.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from appliance.protocol.tls import fingerprint_of_pem, pinned_context

__all__ = ["ProcessError", "ServerProcess", "TillProcess", "autonome", "free_port"]

LISTENING = re.compile(r"listening on (https://\S+)")
ENROLMENT_CODE = re.compile(r"^enrolment code.*: (\S+)$", re.MULTILINE)


class ProcessError(RuntimeError):
    """A server or till process did not do what was expected in time."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _command() -> list[str]:
    return [sys.executable, "-m", "appliance"]


def autonome(*args: str, timeout: float = 60, prefix: Sequence[str] = ()) -> str:
    """Run one `autonome` command to its end; its stdout, or ProcessError.

    `prefix` goes before the command, e.g. ["ip", "netns", "exec", NAME] to run it
    on another host of a test LAN.
    """
    done = subprocess.run(
        [*prefix, *_command(), *args], capture_output=True, text=True, timeout=timeout, env=_env()
    )
    if done.returncode != 0:
        raise ProcessError(f"autonome {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    return env


class ServerProcess:
    """`autonome server run`, with its data in a folder: on loopback by default.

    On a test LAN: `host` is the address it listens on (and advertises with mDNS,
    unless `mdns_interface` says otherwise), and `prefix` runs it on its host,
    e.g. ["ip", "netns", "exec", NAME].
    """

    def __init__(
        self,
        data: Path,
        *,
        port: int | None = None,
        mdns: bool = True,
        host: str = "127.0.0.1",
        mdns_interface: str | None = None,
        prefix: Sequence[str] = (),
    ) -> None:
        self.data = Path(data)
        self.port = port or free_port()
        self.mdns = mdns
        self.host = host
        self.mdns_interface = mdns_interface or host
        self.prefix = list(prefix)
        self.proc: subprocess.Popen[str] | None = None
        self.output: list[str] = []  # what it wrote on stdout, every run
        self.url = f"https://{host}:{self.port}"
        self.log = self.data / "server.log"

    def init(self, *extra: str) -> None:
        autonome("server", "init", "--data", str(self.data), *extra, timeout=300)

    def enrolment_code(self, name: str) -> str:
        out = autonome("server", "enroll-code", "--data", str(self.data), "--name", name)
        found = ENROLMENT_CODE.search(out)
        if found is None:
            raise ProcessError(f"no enrolment code in: {out!r}")
        return found.group(1)

    def admin_token(self) -> str:
        return (self.data / "admin.token").read_text().strip()

    def cert_pem(self) -> str:
        """The PEM of the certificate the server serves (`tls.crt` in its data folder)."""
        return (self.data / "tls.crt").read_text()

    def fingerprint(self) -> str:
        """Its SHA-256, as `autonome server enroll-code` prints it."""
        return fingerprint_of_pem(self.cert_pem())

    def tls(self) -> ssl.SSLContext:
        """A client context trusting exactly this server's certificate (as a till does)."""
        return pinned_context(self.cert_pem())

    def start(
        self,
        timeout: float = 30,
        *,
        env: dict[str, str] | None = None,
        args: Sequence[str] = (),
    ) -> ServerProcess:
        """Run it; `env`: extra environment for this run only (e.g. AUTONOME_CRASH_AT);
        `args`: more options of `server run` (e.g. --access-log)."""
        command = [
            *self.prefix,
            *_command(),
            "server",
            "run",
            "--data",
            str(self.data),
            "--host",
            self.host,
            "--port",
            str(self.port),
        ]
        command += ["--mdns-interface", self.mdns_interface] if self.mdns else ["--no-mdns"]
        command += args
        log = open(self.log, "a")  # noqa: SIM115 - the child keeps it
        self.proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=log, text=True, env={**_env(), **(env or {})}
        )
        log.close()
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise ProcessError(f"server exited at start; see {self.log}")
            self.output.append(line)
            if LISTENING.search(line):
                threading.Thread(target=self._drain, daemon=True).start()
                return self
        raise ProcessError("server did not start in time")

    def _drain(self) -> None:
        proc = self.proc
        if proc is not None and proc.stdout is not None:
            for line in proc.stdout:
                self.output.append(line)

    def kill(self) -> None:
        """SIGKILL: the power cut of a server."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def api(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """A request with the admin token, over TLS checked against the server's own cert."""
        headers = {"Authorization": f"Bearer {self.admin_token()}"}
        return httpx.request(
            method, self.url + path, headers=headers, timeout=30, verify=self.tls(), **kw
        )


class TillProcess:
    """`autonome till --headless`: JSON commands in, JSON events out.

    On a test LAN: `prefix` runs its commands on its host (["ip", "netns", "exec",
    NAME]) and `mdns_interface` is that host's address.
    """

    def __init__(
        self,
        data: Path,
        name: str,
        *,
        prefix: Sequence[str] = (),
        mdns_interface: str = "127.0.0.1",
    ) -> None:
        self.data = Path(data)
        self.name = name
        self.prefix = list(prefix)
        self.mdns_interface = mdns_interface
        self.proc: subprocess.Popen[str] | None = None
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.history: list[dict[str, Any]] = []
        self.output: list[str] = []  # every line it wrote on stdout, every run
        self.log = self.data.parent / f"{self.data.name}.log"

    def enroll(self, code: str, server_url: str | None, fingerprint: str | None = None) -> str:
        """Enrol with the server at `server_url`; None: find it by mDNS. With the
        server certificate's `fingerprint`, the till checks it before sending the code.
        What the command printed."""
        self.data.mkdir(parents=True, exist_ok=True)
        mdns = ["--mdns-interface", self.mdns_interface]
        where = ["--server", server_url] if server_url else mdns
        if fingerprint:
            where += ["--fingerprint", fingerprint]
        return autonome(
            "till",
            "enroll",
            "--data",
            str(self.data),
            "--code",
            code,
            *where,
            "--name",
            self.name,
            prefix=self.prefix,
        )

    def start(
        self,
        server_url: str | None = None,
        *,
        args: Sequence[str] = (),
        env: dict[str, str] | None = None,
    ) -> TillProcess:
        """Run it; `args`: more options of `till --headless` (e.g. --log-level DEBUG);
        `env`: extra environment for this run only (e.g. AUTONOME_CRASH_AT)."""
        command = [*self.prefix, *_command(), "till", "--headless", "--data", str(self.data)]
        command += ["--mdns-interface", self.mdns_interface]
        if server_url:
            command += ["--server", server_url]
        command += args
        log = open(self.log, "a")  # noqa: SIM115 - the child keeps it
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env={**_env(), **(env or {})},
        )
        log.close()
        self.events = queue.Queue()
        threading.Thread(
            target=self._read, args=(self.proc, self.events, self.output), daemon=True
        ).start()
        return self

    @staticmethod
    def _read(
        proc: subprocess.Popen[str], out: queue.Queue[dict[str, Any]], raw: list[str]
    ) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            raw.append(line)
            try:
                out.put(json.loads(line))
            except ValueError:
                out.put({"event": "unreadable", "line": line})
        out.put({"event": "exited"})

    def send(self, cmd: str, **args: Any) -> None:
        if self.proc is None or self.proc.stdin is None or self.proc.poll() is not None:
            raise ProcessError(f"{self.name} is not running")
        self.proc.stdin.write(json.dumps({"cmd": cmd, **args}) + "\n")
        self.proc.stdin.flush()

    def wait_for(
        self, match: Callable[[dict[str, Any]], bool], timeout: float = 15, what: str = ""
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ProcessError(f"{self.name}: no {what or 'expected event'} in {timeout} s")
            try:
                ev = self.events.get(timeout=left)
            except queue.Empty:
                continue
            self.history.append(ev)
            if ev.get("event") == "exited":
                raise ProcessError(f"{self.name} exited while waiting for {what}; see {self.log}")
            if match(ev):
                return ev

    def wait_event(
        self, name: str, timeout: float = 15, *, past: bool = False, **fields: Any
    ) -> dict[str, Any]:
        """The next event `name` with these fields; with past=True, one already seen counts."""

        def match(ev: dict[str, Any]) -> bool:
            return ev.get("event") == name and all(ev.get(k) == v for k, v in fields.items())

        if past:
            for ev in self.history:
                if match(ev):
                    return ev
        return self.wait_for(match, timeout, what=f"{name} {fields or ''}".strip())

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def quit(self, timeout: float = 10) -> None:
        if self.proc and self.proc.poll() is None:
            try:
                self.send("quit")
                self.proc.wait(timeout)
            except (ProcessError, OSError, subprocess.TimeoutExpired):
                self.kill()
