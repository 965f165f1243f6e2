"""The appliance images under QEMU: built once per session from the cache, booted here.

Skipped, with the reason, when not root or when a tool is missing (mmdebstrap,
mtools, QEMU, OVMF...), unless AUTONOME_REQUIRE_IMAGE=1 (CI sets it): then a
skip is a failure. The images come from `python -m images.build` with the cache
of ~/.cache/autonome-images (AUTONOME_IMAGE_CACHE): a first build downloads
Debian's packages and the wheels, later ones reuse them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from images import qemu
from images.build import DEFAULT_CACHE, build, missing_tools

REQUIRE = os.environ.get("AUTONOME_REQUIRE_IMAGE") == "1"
ROOT = Path(__file__).resolve().parents[2]


def _problem() -> str | None:
    if os.geteuid() != 0:
        return "the image tests build as root (mmdebstrap, chroot)"
    need = missing_tools() + qemu.missing()
    if shutil.which("convert") is None:
        need.append("convert (imagemagick)")
    if need:
        return "missing: " + ", ".join(need) + " (apt packages in .ci/run)"
    return None


@pytest.fixture(scope="session")
def image_problem() -> str | None:
    return _problem()


@pytest.fixture(scope="session")
def built(image_problem, tmp_path_factory):
    """`built(role)` -> the build's info (image, rootfs...), built once per session."""
    if image_problem:
        if REQUIRE:
            pytest.fail(f"AUTONOME_REQUIRE_IMAGE=1 but {image_problem}")
        pytest.skip(image_problem)
    out = Path(os.environ.get("AUTONOME_IMAGE_OUT", tmp_path_factory.mktemp("image")))
    done: dict[str, dict] = {}

    def get(role: str) -> dict:
        if role not in done:
            done[role] = build(role, DEFAULT_CACHE, out, compress=False)  # boots the raw one
        return done[role]

    return get
