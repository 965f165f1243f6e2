"""The A/B update tests' rig: a till image under QEMU, a USB stick with a bundle, the
data partition written before boot and read back after, the moments the serial line
shows (for the tests and bench/update.py).

Nothing here mounts anything: the data partition is made with `mkfs.ext4 -d` and
read back with `debugfs` (e2fsprogs), the stick is a FAT file system made with
mtools, the disk stays a sparse file.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

from images import qemu

__all__ = [
    "STICK_LABEL",
    "UpdateVM",
    "broken_rootfs",
    "make_stick",
    "partition",
    "read_data",
    "write_data",
]

STICK_LABEL = "AUTONOMEUPD"
RESULT = re.compile(r'\{"result": "(\w+)".*?\}')


def partition(img: Path, number: int) -> tuple[int, int]:
    """(offset, size) in bytes of partition `number` of a GPT disk image."""
    out = subprocess.run(["sfdisk", "--json", str(img)], capture_output=True, text=True, check=True)
    table = json.loads(out.stdout)["partitiontable"]
    sector = int(table.get("sectorsize", 512))
    part = table["partitions"][number - 1]
    return int(part["start"]) * sector, int(part["size"]) * sector


def write_data(img: Path, tree: Path, work: Path, fill_to_mib: int | None = None) -> None:
    """Replace the data partition (p4) with a file system made from `tree`; with
    `fill_to_mib`, a filler file leaves only that much free (a full data partition)."""
    offset, size = partition(img, 4)
    fs = work / "data.ext4"
    fs.unlink(missing_ok=True)
    subprocess.run(["truncate", "-s", str(size), str(fs)], check=True)
    subprocess.run(
        ["mkfs.ext4", "-q", "-F", "-L", "data", "-m", "0", "-E", "root_owner=0:0", "-d", str(tree),
         str(fs)],
        check=True,
    )  # fmt: skip
    if fill_to_mib is not None:
        filler = work / "filler"
        left = max(0, _free_bytes(fs) - fill_to_mib * 2**20)
        with open(filler, "wb") as f:  # written out, no hole: it takes its blocks
            chunk = b"F" * 2**20
            while left > 0:
                left -= f.write(chunk[: min(left, len(chunk))])
        _debugfs(fs, f"write {filler} filler", write=True)
        filler.unlink()
    subprocess.run(
        ["dd", f"if={fs}", f"of={img}", "bs=1M", f"seek={offset}", "oflag=seek_bytes",
         "conv=notrunc,sparse", "status=none"],
        check=True,
    )  # fmt: skip
    fs.unlink()


def _free_bytes(fs: Path) -> int:
    out = subprocess.run(["dumpe2fs", "-h", str(fs)], capture_output=True, text=True, check=True)
    fields = dict(
        (k.strip(), v.strip()) for k, _, v in (ln.partition(":") for ln in out.stdout.splitlines())
    )
    return int(fields["Free blocks"]) * int(fields["Block size"])


def _debugfs(fs: Path, request: str, write: bool = False) -> str:
    cmd = ["debugfs", *(["-w"] if write else []), "-R", request, str(fs)]
    r = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return r.stdout


def read_data(img: Path, work: Path, what: str, dest: Path) -> Path:
    """Copy `what` (a folder or a file of the data partition) out of a disk image."""
    offset, size = partition(img, 4)
    fs = work / "data-out.ext4"
    fs.unlink(missing_ok=True)
    subprocess.run(
        ["dd", f"if={img}", f"of={fs}", "bs=1M", f"skip={offset}", f"count={size}",
         "iflag=skip_bytes,count_bytes", "conv=sparse", "status=none"],
        check=True,
    )  # fmt: skip
    dest.parent.mkdir(parents=True, exist_ok=True)
    if what.endswith("/"):
        dest.mkdir(parents=True, exist_ok=True)
        _debugfs(fs, f"rdump {what.rstrip('/')} {dest}")
        dest = dest / Path(what.rstrip("/")).name
    else:
        _debugfs(fs, f"dump {what} {dest}")
    fs.unlink()
    return dest


def make_stick(bundle: Path, out: Path) -> Path:
    """A FAT USB stick labelled AUTONOMEUPD holding `bundle`, as an integrator makes one."""
    out.unlink(missing_ok=True)
    kib = (bundle.stat().st_size // 1024) + 64 * 1024
    subprocess.run(
        ["mkfs.vfat", "-n", STICK_LABEL, "-F", "32", "-C", str(out), str(kib)],
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(["mcopy", "-i", str(out), str(bundle), f"::/{bundle.name}"], check=True)
    return out


def broken_rootfs(rootfs: Path, out: Path) -> Path:
    """A copy of a slot's file system whose till never starts (its service fails at
    once, as a bad release would): the broken update of the rollback test."""
    subprocess.run(["cp", "--sparse=always", str(rootfs), str(out)], check=True)
    dropin = out.with_suffix(".conf")
    dropin.write_text("[Service]\nExecStart=\nExecStart=/bin/false\n")
    for unit in ("autonome-till.service", "autonome-console.service"):
        _debugfs(out, f"mkdir /etc/systemd/system/{unit}.d", write=True)
        _debugfs(out, f"write {dropin} /etc/systemd/system/{unit}.d/50-broken.conf", write=True)
    dropin.unlink()
    return out


class UpdateVM(qemu.VM):
    """The till VM, its disk kept from one start to the next (a power cut is a kill,
    then a start), a USB stick plugged in or not."""

    def __init__(self, *args, stick: Path | None = None, **kw) -> None:
        super().__init__(*args, **kw)
        self.stick = stick
        self.marks: dict[str, float] = {}
        self.cursor = 0  # where in the serial text `next` looks from

    def prepare(self) -> None:
        if not self.disk.exists():
            super().prepare()

    def command(self) -> list[str]:
        cmd = super().command()
        if self.stick is not None:
            cmd += ["-drive", f"file={self.stick},if=virtio,format=raw,readonly=on"]
        return cmd

    def restart(self, stick: Path | None = None) -> None:
        """Power back on after a kill (or a power off), with or without a stick."""
        self.stick = stick
        self.proc = None
        self.cursor = 0
        self.start()

    def results(self, start: int = 0) -> list[tuple[int, dict]]:
        """The JSON lines `autonome update` printed on the console after `start`, in
        order, with where each ends."""
        out = []
        for m in RESULT.finditer(self.text(), start):
            try:
                out.append((m.end(), json.loads(m.group(0))))
            except ValueError:
                continue
        return out

    def wait_result(self, result: str, slot: str | None, timeout: float) -> dict:
        """The next result line `result` for `slot` after the last thing waited for;
        its moment in `marks[result + ":" + slot]`."""
        deadline = time.monotonic() + timeout
        while True:
            for end, r in self.results(self.cursor):
                if r.get("result") == result and (slot is None or r.get("slot") == slot):
                    self.cursor = end
                    self.marks[f"{result}:{slot}"] = time.monotonic()
                    return r
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"QEMU ended ({self.proc.returncode})\n{self.tail(60)}")
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"no {result} on slot {slot} in {timeout:.0f} s\n{self.tail(60)}"
                )
            time.sleep(0.5)

    def next(self, name: str, pattern: str, timeout: float) -> re.Match:
        """The next `pattern` on the serial line after the last one waited for; the
        moment it was seen is kept in `marks[name]` (monotonic seconds)."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            text = self.text()
            m = rx.search(text, self.cursor)
            if m:
                self.cursor = m.end()
                self.marks[name] = time.monotonic()
                return m
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"QEMU ended ({self.proc.returncode}) before {name}\n"
                                   + self.tail(60))  # fmt: skip
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name}: {pattern!r} not seen in {timeout:.0f} s\n"
                                   + self.tail(60))  # fmt: skip
            time.sleep(0.25)


def tool_problem() -> str | None:
    need = [t for t in ("debugfs", "dumpe2fs", "mkfs.vfat", "mcopy", "sfdisk", "rauc")]
    missing = [t for t in need if shutil.which(t) is None]
    return ("missing: " + ", ".join(missing)) if missing else None
