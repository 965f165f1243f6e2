"""`make image ROLE=till|server`: build an appliance disk image.

    python -m images.build --role till [--cache DIR] [--out build/image] [--preseed FILE]
                                       [--no-compress]

Output in --out: <role>.img (raw GPT disk, sparse), <role>.img.zst (to flash:
`zstd -dc till.img.zst | dd of=/dev/sdX bs=4M conv=fsync`; not with --no-compress), and
<role>-rootfs.ext4 (slot A's file system, what an update bundle is made from).
Runs as root on Debian 12 with mmdebstrap, e2fsprogs, dosfstools, mtools, fdisk,
grub-efi-amd64-bin and zstd; no loop device.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

from . import disk
from .rootfs import REPO, ROLES, BuildError, build_base, build_slot, wheels

DEFAULT_CACHE = Path(os.environ.get("AUTONOME_IMAGE_CACHE", Path.home() / ".cache/autonome-images"))
DEFAULT_OUT = REPO / "build" / "image"
TOOLS = ("mmdebstrap", "mkfs.ext4", "mkfs.vfat", "mcopy", "sfdisk", "grub-mkstandalone", "zstd")


def missing_tools() -> list[str]:
    return [t for t in TOOLS if shutil.which(t) is None]


def role_args(role: str) -> str:
    return f"autonome.role={role} systemd.show_status=1"


def build(
    role: str, cache: Path, out: Path, preseed: Path | None = None, compress: bool = True
) -> dict:
    """The image of `role` in `out`; `compress`: also <role>.img.zst, the file to flash
    (QEMU, the tests and `make bundle` use the raw image and the slot's file system)."""
    if role not in ROLES:
        raise BuildError(f"unknown role {role!r}: till or server")
    if os.geteuid() != 0:
        raise BuildError("the image build runs as root (mmdebstrap, chroot)")
    if missing := missing_tools():
        raise BuildError("missing tools: " + ", ".join(missing) + " (apt packages in .ci/run)")
    if preseed is not None:
        from appliance.preseed import PreseedError, load_preseed

        try:
            load_preseed(preseed.read_text(), preseed.name)
        except (OSError, PreseedError) as e:
            raise BuildError(f"the pre-seed {preseed}: {e}") from e
    t0 = time.monotonic()
    cache.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    work = cache / "work"
    work.mkdir(exist_ok=True)
    wheel_dir, names = wheels(cache)
    t_wheels = time.monotonic()
    base = build_base(role, cache, wheel_dir, names)
    t_base = time.monotonic()
    tree = build_slot(role, base, wheel_dir, names[0], work)
    layout = disk.Layout(slot_mib=disk.slot_size_mib(tree))
    rootfs = out / f"{role}-rootfs.ext4"
    rootfs_mib = disk.make_rootfs(rootfs, "rootfs-a", tree, layout.slot_mib)
    slot_b = work / "rootfs-b.ext4"
    disk.make_ext4(slot_b, "rootfs-b", 64, None)  # written whole by the first update
    data_tree = work / "data"
    shutil.rmtree(data_tree, ignore_errors=True)
    data_tree.mkdir()
    data = work / "data.ext4"
    disk.make_ext4(data, "data", layout.data_mib, data_tree)
    esp = work / "esp.vfat"
    disk.make_esp(esp, role_args(role), preseed, work)
    img = out / f"{role}.img"
    disk.assemble(img, layout, [esp, rootfs, slot_b, data])
    t_disk = time.monotonic()
    zst = disk.compress(img) if compress else None
    if zst is None:  # no stale copy beside a new image
        img.with_name(img.name + ".zst").unlink(missing_ok=True)
    shutil.rmtree(tree)
    for f in (slot_b, data, esp):
        f.unlink()
    info = {
        "role": role,
        "image": str(img),
        "compressed": str(zst) if zst else None,
        "compressed_bytes": zst.stat().st_size if zst else None,
        "rootfs": str(rootfs),
        "slot_mib": layout.slot_mib,
        "rootfs_mib": rootfs_mib,
        "disk_mib": layout.total_mib,
        "base": str(base),
        "seconds": {
            "wheels": round(t_wheels - t0, 1),
            "base": round(t_base - t_wheels, 1),
            "slot_and_disk": round(t_disk - t_base, 1),
            "compress": round(time.monotonic() - t_disk, 1),
            "total": round(time.monotonic() - t0, 1),
        },
    }
    (out / f"{role}.json").write_text(json.dumps(info, indent=2) + "\n")
    return info


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m images.build", description=__doc__.splitlines()[0])
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help=f"({DEFAULT_CACHE})")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="(build/image)")
    p.add_argument("--preseed", type=Path, help="an autonome.toml to put on the ESP")
    p.add_argument(
        "--no-compress", action="store_true", help="no .img.zst (to boot it here, not to flash)"
    )
    a = p.parse_args(argv)
    try:
        info = build(a.role, a.cache, a.out, a.preseed, compress=not a.no_compress)
    except BuildError as e:
        print(f"make image: {e}", file=sys.stderr)
        return 1
    zst = ""
    if info["compressed"]:
        zst = f", {info['compressed']} {info['compressed_bytes'] / 2**20:.0f} MiB"
    print(
        f"{info['image']}: {info['disk_mib']} MiB disk{zst}, "
        f"slot A file system {info['rootfs']} ({info['rootfs_mib']} MiB); "
        f"built in {info['seconds']['total']} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
