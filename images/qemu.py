"""An appliance image booted under QEMU (TCG, OVMF): serial log, monitor, virtio console.

Used by tests/image and bench/image.py. The VM's disk is a sparse copy of the built
image (the build stays untouched). Networking is a QEMU socket netdev on 127.0.0.1
(one VM listens, the other connects, on a free port) or none; nothing else.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
READY = re.compile(r"AUTONOME-READY role=(\S+) slot=(\S+) root=(\S+) data=(\S+) failed=(\S*)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def missing() -> list[str]:
    need = [p for p in ("qemu-system-x86_64", "mcopy", "zstd") if shutil.which(p) is None]
    return need + [str(f) for f in (OVMF_CODE, OVMF_VARS) if not f.exists()]


class VM:
    """One QEMU process; `start()`, `wait_for(pattern)`, `monitor(cmd)`, `stop()`."""

    def __init__(
        self,
        image: Path,
        work: Path,
        name: str,
        *,
        net: str | None = None,
        mac: str = "52:54:00:12:34:56",
        console: bool = False,
        memory_mib: int = 2048,
    ) -> None:
        self.image, self.work, self.name = image, work, name
        self.net, self.mac, self.console_wanted = net, mac, console
        self.memory_mib = memory_mib
        work.mkdir(parents=True, exist_ok=True)
        self.disk = work / f"{name}.img"
        self.serial = work / f"{name}-serial.log"
        self.monitor_path = work / f"{name}-monitor.sock"
        self.console_path = work / f"{name}-console.sock"
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0

    def prepare(self) -> None:
        subprocess.run(["cp", "--sparse=always", str(self.image), str(self.disk)], check=True)
        shutil.copyfile(OVMF_VARS, self.work / f"{self.name}-vars.fd")

    def use_in_place(self) -> VM:
        """Boot the image itself (what the VM writes stays in it), not a copy."""
        self.disk = self.image
        return self

    def command(self) -> list[str]:
        cmd = ["qemu-system-x86_64", "-name", self.name, "-accel", "tcg", "-cpu", "max"]
        cmd += ["-smp", "2", "-m", str(self.memory_mib), "-nodefaults", "-no-user-config"]
        cmd += ["-machine", "q35", "-display", "none", "-vga", "none"]
        cmd += ["-device", "virtio-gpu-pci,xres=1024,yres=768"]
        cmd += ["-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}"]
        cmd += ["-drive", f"if=pflash,format=raw,file={self.work / f'{self.name}-vars.fd'}"]
        cmd += ["-drive", f"file={self.disk},if=virtio,format=raw,cache=unsafe"]
        cmd += ["-serial", f"file:{self.serial}"]
        cmd += ["-monitor", f"unix:{self.monitor_path},server=on,wait=off"]
        cmd += ["-device", "i6300esb", "-device", "virtio-rng-pci"]
        if self.console_wanted:
            cmd += ["-device", "virtio-serial-pci"]
            cmd += ["-chardev", f"socket,id=con,path={self.console_path},server=on,wait=off"]
            cmd += ["-device", "virtserialport,chardev=con,name=autonome.console"]
        if self.net:
            cmd += ["-netdev", f"socket,id=n0,{self.net}"]
            cmd += ["-device", f"virtio-net-pci,netdev=n0,mac={self.mac}"]
        else:
            cmd += ["-nic", "none"]
        return cmd

    def start(self, fresh: bool = True) -> None:
        """Boot; `fresh`: from a new copy of the image (else the disk as the last run left it)."""
        if fresh or not self.disk.exists():
            self.prepare()
        elif not (self.work / f"{self.name}-vars.fd").exists():
            shutil.copyfile(OVMF_VARS, self.work / f"{self.name}-vars.fd")
        self.serial.write_text("")
        log = open(self.work / f"{self.name}-qemu.log", "w")  # noqa: SIM115
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT)

    def text(self) -> str:
        return self.serial.read_bytes().decode("utf-8", "replace")

    def wait_for(self, pattern: str | re.Pattern, timeout: float) -> re.Match:
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.text())
            if m:
                return m
            if self.proc is not None and self.proc.poll() is not None:
                ended = f"{self.name}: QEMU ended ({self.proc.returncode})\n"
                raise RuntimeError(ended + self.tail())
            if time.monotonic() > deadline:
                late = f"{self.name}: {rx.pattern!r} not seen in {timeout:.0f} s\n"
                raise TimeoutError(late + self.tail())
            time.sleep(0.25)

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.text().splitlines()[-lines:])

    def monitor(self, command: str, timeout: float = 30) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(str(self.monitor_path))
            buf = b""
            while b"(qemu)" not in buf:
                buf += s.recv(4096)
            s.sendall(command.encode() + b"\n")
            buf = b""
            while buf.count(b"(qemu)") < 1:
                chunk = s.recv(4096)
                if not chunk:
                    break
                buf += chunk
            return buf.decode("utf-8", "replace")

    def screendump(self, png: Path) -> Path:
        ppm = png.with_suffix(".ppm")
        self.monitor(f"screendump {ppm}")
        deadline = time.monotonic() + 10
        while not (ppm.exists() and ppm.stat().st_size > 0) and time.monotonic() < deadline:
            time.sleep(0.1)
        subprocess.run(["convert", str(ppm), str(png)], check=True)
        ppm.unlink()
        return png

    def stop(self, timeout: float = 30) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.monitor("system_powerdown", timeout=5)
            self.proc.wait(timeout)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait(10)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def __enter__(self) -> VM:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()
        os.environ.get("AUTONOME_KEEP_VM") or self.disk.unlink(missing_ok=True)


class Console:
    """The headless till's JSON console on the VM's virtio-serial port (a unix socket)."""

    def __init__(self, path: Path, timeout: float = 120) -> None:
        import threading

        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(str(path))
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        self.events: list[dict] = []
        self.lines: list[str] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._read, name="vm-console", daemon=True).start()

    def _read(self) -> None:
        import json

        buf = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                text = line.decode("utf-8", "replace").strip()
                with self._lock:
                    self.lines.append(text)
                    try:
                        ev = json.loads(text)
                    except ValueError:
                        continue
                    if isinstance(ev, dict):
                        self.events.append(ev)

    def send(self, **command: object) -> None:
        import json

        self.sock.sendall(json.dumps(command).encode() + b"\n")

    def wait(self, name: str, timeout: float = 60, after: int = 0, **fields: object) -> dict:
        """The first event `name` (with these fields) from index `after` on."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                for ev in self.events[after:]:
                    if ev.get("event") == name and all(ev.get(k) == v for k, v in fields.items()):
                        return ev
            if time.monotonic() > deadline:
                with self._lock:
                    seen = self.lines[-15:]
                raise TimeoutError(f"no {name} {fields} in {timeout:.0f} s; last: {seen}")
            time.sleep(0.1)

    def mark(self) -> int:
        with self._lock:
            return len(self.events)

    def close(self) -> None:
        self.sock.close()
