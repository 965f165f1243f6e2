"""The figures of the A/B updates (issue 10), under QEMU TCG, with their targets.

- `update_install_to_good_s` (120 s): a good bundle on a USB stick, from the moment
  the till (on slot A) starts installing it into slot B, through the restart, to
  slot B marked good by its health check.
- `rollback_to_selling_s` (120 s): a broken bundle (its till service fails) installed
  into B: from GRUB booting B to the till's core up again on A (A's health check
  passed: it sells).

Both build the till image first if needed (images.build, from the cache), root
only; they are measured only when named: `python -m bench --only
update_install_to_good_s rollback_to_selling_s`. Each boots a VM twice or three
times: minutes each.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from bench.figures import Figure

__all__ = ["UPDATE_FIGURES"]

BOOT_S = 900


def _image(work: Path) -> dict:
    from images.build import DEFAULT_CACHE, build

    return build("till", DEFAULT_CACHE, work / "image")


def _vm(work: Path, bundle_version: str, broken: bool):
    from images.update.bundle import build_bundle
    from images.update.keys import ensure, keys_dir
    from testbed import updates
    from testbed.devices import _enrol

    info = _image(work)
    rootfs = Path(info["rootfs"])
    if broken:
        rootfs = updates.broken_rootfs(rootfs, work / "broken.ext4")
    bundle = build_bundle("till", rootfs, ensure(keys_dir()), work / "b.raucb", bundle_version)
    stick = updates.make_stick(bundle, work / "stick.img")
    img = work / "till.img"
    shutil.copyfile(info["image"], img)
    tree = work / "tree"
    _enrol(tree / "till", None, 2)  # an enrolled till, its server away: it asks, then sells
    updates.write_data(img, tree, work)
    vm = updates.UpdateVM(img, work / "vm", "till", stick=stick)
    vm.start()
    return vm


def update_install_to_good_s(work: Path) -> float:
    vm = _vm(work, "9.0", broken=False)
    try:
        vm.next("installing", r"installing .*\.raucb \(9\.0\) into slot B", BOOT_S)
        vm.wait_result("good", "B", BOOT_S)
        return vm.marks["good:B"] - vm.marks["installing"]
    finally:
        vm.kill()


def rollback_to_selling_s(work: Path) -> float:
    vm = _vm(work, "9.1", broken=True)
    try:
        vm.next("B", r"Autonome: booting slot B", BOOT_S)
        vm.wait_result("rolled_back", "B", BOOT_S)
        vm.next("A", r"Autonome: booting slot A", BOOT_S)
        vm.wait_result("good", "A", BOOT_S)
        return vm.marks["good:A"] - vm.marks["B"]
    finally:
        vm.kill()


UPDATE_FIGURES = [
    Figure("update_install_to_good_s", 120, "s", update_install_to_good_s),
    Figure("rollback_to_selling_s", 120, "s", rollback_to_selling_s),
]
