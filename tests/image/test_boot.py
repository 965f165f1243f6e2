"""The server image boots under QEMU (UEFI, GRUB, slot A): read-only root, the data
partition writable at /var/lib/autonome, the pre-seed read, the store initialised and
its first enrolment code on the serial line. `make test` runs this one."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from images import disk, qemu

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]


def test_server_image_boots_read_only_and_shows_its_first_enrolment_code(built, tmp_path):
    info = built("server")
    img = tmp_path / "server.img"
    disk.copy_sparse(Path(info["image"]), img)
    seed = tmp_path / "autonome.toml"
    seed.write_text('[store]\nname = "Fromagerie des Halles"\nlanguage = "en"\n')
    disk.write_preseed(img, seed)
    assert disk.read_esp_file(img, "autonome.toml") == seed.read_bytes()
    # a network of its own, with nobody on it: the link is up, the address link-local
    vm = qemu.VM(img, tmp_path / "vm", "server", net=f"listen=127.0.0.1:{qemu.free_port()}")
    with vm:
        t0 = time.monotonic()
        ready = vm.wait_for(qemu.READY, timeout=600)
        boot_s = time.monotonic() - t0
    text = vm.text()
    role, slot, root, data, failed = ready.groups()
    assert (role, slot, root) == ("server", "A", "ro"), ready.group(0)
    assert data == "/dev/vda4:rw", ready.group(0)
    assert failed == "", f"failed units: {failed}\n{vm.tail(80)}"
    assert "Autonome: booting slot A" in text  # GRUB's A/B script chose A
    assert "Autonome store server ready: Fromagerie des Halles" in text
    code = re.search(r"enrolment code for 'till 1' \(single use, valid \d+ h\): (\S+)", text)
    fingerprint = re.search(r"server certificate sha256: ([0-9A-F:]{40,})", text)
    assert code and fingerprint, vm.tail(80)
    print(f"server image: AUTONOME-READY {boot_s:.0f} s after QEMU started")


def _debugfs(fs: Path, request: str) -> subprocess.CompletedProcess:
    return subprocess.run(["debugfs", "-R", request, str(fs)], capture_output=True, text=True)


def test_the_slot_holds_the_receipts_time_zone_and_no_empty_room(built):
    """The store is made with the receipts' time zone (zoneinfo needs tzdata in the
    slot); the slot's file system, what a bundle carries, is sized to its content."""
    info = built("server")
    # the tests boot the raw image: built without the .zst to flash
    assert info["compressed"] is None and not Path(info["image"] + ".zst").exists()
    rootfs = Path(info["rootfs"])
    paris = _debugfs(rootfs, "stat /usr/share/zoneinfo/Europe/Paris")
    assert "Inode:" in paris.stdout, paris.stderr
    kernels = _debugfs(rootfs, "ls /usr/lib/modules").stdout
    kver = re.search(r"\b(\d+\.\d+\.\d+-\S+)", kernels).group(1)
    left_out = _debugfs(rootfs, f"stat /usr/lib/modules/{kver}/kernel/drivers/net/wireless")
    assert "Inode:" not in left_out.stdout
    kept = _debugfs(rootfs, f"stat /usr/lib/modules/{kver}/kernel/drivers/gpu/drm/virtio")
    assert "Inode:" in kept.stdout, kept.stderr
    assert rootfs.stat().st_size == info["rootfs_mib"] * 2**20
    assert info["rootfs_mib"] < 0.75 * info["slot_mib"], info
    head = subprocess.run(["dumpe2fs", "-h", str(rootfs)], capture_output=True, text=True)
    fields = dict(
        (k.strip(), v.strip()) for k, _, v in (ln.partition(":") for ln in head.stdout.splitlines())
    )
    free = int(fields["Free blocks"]) / int(fields["Block count"])
    assert free < 0.15, f"{free:.0%} of the slot's file system is empty"
