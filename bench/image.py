"""The figures of the appliance images (issue 10), beside their targets.

Measured only when named (`python -m bench --only image_build_cached ...`): they
build disk images (root, mmdebstrap, minutes) and boot them under QEMU TCG. The
default `python -m bench` lists them as not measured, with this command.

- image_build_cached: `make image ROLE=till` with the base rootfs and the wheels in
  the cache (only the slot, the disk and its compression are made again);
- image_build_scratch: the same with an empty cache of base rootfs (Debian's
  packages still come from the package cache: a first build on a new machine
  downloads them too, which depends on the mirror, not on this build);
- image_till_compressed: till.img.zst, MiB;
- image_boot_to_login: a till's first boot as a kiosk beside its server VM: QEMU
  started -> enrolled by its pre-seeded code -> a screendump shows the login screen.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from bench.figures import Figure

CACHE = Path(os.environ.get("AUTONOME_IMAGE_CACHE", Path.home() / ".cache/autonome-images"))
HOW = "sudo .venv/bin/python -m bench --only " + " ".join(
    ("image_build_cached", "image_build_scratch", "image_till_compressed", "image_boot_to_login")
)


def _build(work: Path, cache: Path = CACHE) -> dict:
    from images.build import build

    return build("till", cache, work / "out")


def build_cached(work: Path) -> float:
    _build(work)  # fills the cache when it is empty: not the figure
    t0 = time.monotonic()
    _build(work)
    return time.monotonic() - t0


def build_scratch(work: Path) -> float:
    cache = work / "cache"
    cache.mkdir()
    for shared in ("debs", "wheels"):  # the downloads, kept: the build itself is measured
        if (CACHE / shared).is_dir():
            shutil.copytree(CACHE / shared, cache / shared)
    t0 = time.monotonic()
    _build(work, cache)
    return time.monotonic() - t0


def till_compressed(work: Path) -> float:
    return _build(work)["compressed_bytes"] / 2**20


def boot_to_login(work: Path) -> float:
    """The till image's first boot as a kiosk, its server VM already up: QEMU started ->
    the enrolment by the pre-seeded code -> the login screen seen in a screendump."""
    from images import disk
    from images.build import build
    from tests.image.test_two_vms import keypad_distance, start_server

    out = work / "out"
    server_img, till_img = work / "server.img", work / "till.img"
    disk.copy_sparse(Path(build("server", CACHE, out)["image"]), server_img)
    disk.copy_sparse(Path(build("till", CACHE, out)["image"]), till_img)
    srv, till, code, fingerprint = start_server(server_img, till_img, work / "vm")
    try:
        seed = work / "till.toml"
        seed.write_text(
            f'[till]\nlanguage = "en"\nenrolment_code = "{code}"\nfingerprint = "{fingerprint}"\n'
        )
        disk.write_preseed(till_img, seed)
        till.start(fresh=False)
        t0 = till.started_at
        shot = work / "shot.png"
        while time.monotonic() - t0 < 900:
            time.sleep(2)
            till.screendump(shot)
            if keypad_distance(shot) < 25:
                return time.monotonic() - t0
        raise RuntimeError("no login screen within 900 s")
    finally:
        till.kill()
        srv.kill()


IMAGE_FIGURES = [
    Figure("image_build_cached", 60, "s", build_cached),
    Figure("image_build_scratch", 300, "s", build_scratch),
    Figure("image_till_compressed", 400, "MiB", till_compressed),
    Figure("image_boot_to_login", 60, "s", boot_to_login),
]
