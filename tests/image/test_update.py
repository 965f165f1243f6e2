"""A/B updates of the till image under QEMU (TCG): the real RAUC, GRUB and systemd.

A till enrolled with a real store server (on the host, loopback) sells, alone for
the last sales; its data folder goes onto the image's data partition; the image
boots slot A; an integrator's USB stick (label AUTONOMEUPD) carries the bundle:
- a good bundle is installed into B, the till restarts into B, the health check
  marks B good;
- a broken bundle (its till service fails) is installed into B, B fails its health
  check, is marked bad, and the till is back on A by itself;
- a bundle of another key, a truncated one, a full data partition, a power cut in
  the middle of the install: A keeps running, the reason is in update-status.json;
after each, the outbox is read back from the disk and uploaded to the server: every
sale once. `make image-test` runs these (minutes each under TCG); skipped with the
reason when not root or a tool is missing, a failure with AUTONOME_REQUIRE_IMAGE=1.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from appliance.processes import ServerProcess, autonome
from images.update.bundle import build_bundle
from images.update.keys import ensure, keys_dir
from testbed import updates
from testbed.rig import Cable, assert_exactly_once, enrol, snapshot_barcodes

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(2400),
    pytest.mark.skipif(
        os.environ.get("AUTONOME_IMAGE_FULL") != "1",
        reason="the VM update tests take minutes each: make image-test runs them",
    ),
]

REQUIRE = os.environ.get("AUTONOME_REQUIRE_IMAGE") == "1"
BOOT_S = 600  # to the health check of a slot, under TCG on a busy machine


@pytest.fixture(scope="module")
def keys():

    return ensure(keys_dir())  # the keys whose CA the built image trusts


@pytest.fixture(scope="module")
def till_image(built):
    problem = updates.tool_problem()
    if problem:
        if REQUIRE:
            pytest.fail(f"AUTONOME_REQUIRE_IMAGE=1 but {problem}")
        pytest.skip(problem)
    return built("till")


@pytest.fixture(scope="module")
def bundles(till_image, keys, tmp_path_factory):
    d = tmp_path_factory.mktemp("bundles")
    rootfs = Path(till_image["rootfs"])
    good = build_bundle("till", rootfs, keys, d / "till-2.0.raucb", "2.0")
    broken_fs = updates.broken_rootfs(rootfs, d / "broken.ext4")
    broken = build_bundle("till", broken_fs, keys, d / "till-2.1-broken.raucb", "2.1")
    broken_fs.unlink()
    foreign = build_bundle("till", rootfs, ensure(d / "other-keys"), d / "foreign.raucb", "2.2")
    cut = d / "truncated.raucb"
    with open(good, "rb") as src, open(cut, "wb") as dst:
        dst.write(src.read(good.stat().st_size // 2))
    return {"good": good, "broken": broken, "foreign": foreign, "truncated": cut}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    data = tmp_path_factory.mktemp("update-store") / "server"
    data.mkdir()
    autonome("server", "init", "--data", str(data), "--demo", timeout=300)
    autonome("snapshot", "build", "--data", str(data))
    server = ServerProcess(data, mdns=False).start()
    yield server
    server.stop()


@pytest.fixture
def selling(store, tmp_path):
    """A till that sold once online, then four times alone: its folder, its sales."""
    wire = Cable(store)
    till = enrol(store, tmp_path / "till", "till 1", wire.url).online(wire.url)
    codes = snapshot_barcodes(store.data)
    sold = [till.sell(codes[:1])]
    till.wait_event("synced", acked=1)
    till.go_autonomous(wire)
    sold += [till.sell(codes[i : i + 2]) for i in range(4)]
    till.quit()
    yield till, wire, sold
    till.kill()
    wire.close()


def boot(till_image, selling, tmp_path, stick: Path | None, fill_to_mib: int | None = None):
    till, _, _ = selling
    img = tmp_path / "till.img"
    shutil.copyfile(till_image["image"], img)  # sparse enough: a file system copy
    tree = tmp_path / "data-tree"
    shutil.copytree(till.data, tree / "till")
    updates.write_data(img, tree, tmp_path, fill_to_mib)
    vm = updates.UpdateVM(img, tmp_path / "vm", "till", stick=stick)
    vm.start()
    return vm


def outbox_after(vm, tmp_path) -> tuple[Path, dict | None]:
    """The till's folder and the update status, read back from the powered-off disk."""
    folder = updates.read_data(vm.disk, tmp_path, "/till/", tmp_path / "after")
    path = updates.read_data(
        vm.disk, tmp_path, "/update-status.json", tmp_path / "update-status.json"
    )
    return folder, (json.loads(path.read_text()) if path.stat().st_size else None)


def uploaded_once(selling, folder: Path, store) -> None:
    """The folder read back from the disk, given to the till again: it uploads its
    sales made alone, and the store's journal holds every sale once."""
    till, wire, sold = selling
    before = (till.data / "outbox.log").read_bytes()
    assert (folder / "outbox.log").read_bytes() == before  # not a byte lost or added
    shutil.rmtree(till.data)
    shutil.copytree(folder, till.data)
    wire.mend()
    till.start(wire.url)
    till.wait_event("question", id="send_sales", timeout=30)
    till.send("answer", question="send_sales", answer="send")
    till.wait_event("upload_finished", timeout=30)
    assert_exactly_once(store, till.till_id, sold)


def test_update_installs_into_b_boots_it_and_marks_it_good(
    till_image, bundles, selling, store, tmp_path
):
    stick = updates.make_stick(bundles["good"], tmp_path / "stick.img")
    vm = boot(till_image, selling, tmp_path, stick)
    try:
        vm.next("A", r"Autonome: booting slot A", BOOT_S)
        vm.wait_result("good", "A", BOOT_S)  # the factory slot passed its check
        vm.next("installing", r"installing .*\.raucb \(2\.0\) into slot B", BOOT_S)
        vm.wait_result("installed", "B", BOOT_S)
        vm.next("B", r"Autonome: booting slot B", BOOT_S)
        good = vm.wait_result("good", "B", BOOT_S)
        assert good["version"] == "2.0"
        # the stick is still in: the bundle B runs is not installed again into A
        vm.next("skipped", r"slot B runs 2\.0 already", BOOT_S)
    finally:
        vm.stop(60)
        vm.kill()
    seconds = vm.marks["good:B"] - vm.marks["installing"]
    print(f"update: install + restart into B + marked good: {seconds:.0f} s")
    folder, status = outbox_after(vm, tmp_path)
    assert status["result"] == "good" and status["slot"] == "B"
    uploaded_once(selling, folder, store)


def test_a_broken_update_rolls_back_to_a_by_itself(till_image, bundles, selling, store, tmp_path):
    stick = updates.make_stick(bundles["broken"], tmp_path / "stick.img")
    vm = boot(till_image, selling, tmp_path, stick)
    try:
        vm.wait_result("installed", "B", 2 * BOOT_S)
        vm.next("B", r"Autonome: booting slot B", BOOT_S)
        back = vm.wait_result("rolled_back", "B", BOOT_S)
        assert "failed its health check" in back["reason"]
        vm.next("A again", r"Autonome: booting slot A", BOOT_S)
        vm.wait_result("good", "A", BOOT_S)  # A checked and marked good again
        # the stick is still in: the bundle that was rolled back is not installed again
        assert "was rolled back on this appliance: not installed again" in vm.text()
    finally:
        vm.stop(60)
        vm.kill()
    print(f"rollback: from booting B to A sound again: {vm.marks['good:A'] - vm.marks['B']:.0f} s")
    folder, status = outbox_after(vm, tmp_path)
    assert status["result"] == "rolled_back" and status["version"] == "2.1"
    uploaded_once(selling, folder, store)


@pytest.mark.parametrize(
    ("which", "fill", "reason"),
    [
        ("foreign", None, "signature verification failed"),
        ("truncated", None, "the bundle was refused"),
        ("good", 4, "the data partition is full"),
    ],
)
def test_a_bad_bundle_or_a_full_disk_leaves_a_running(
    till_image, bundles, selling, store, tmp_path, which, fill, reason
):
    stick = updates.make_stick(bundles[which], tmp_path / "stick.img")
    vm = boot(till_image, selling, tmp_path, stick, fill_to_mib=fill)
    try:
        failed = vm.wait_result("failed", "B", 2 * BOOT_S)
        assert reason in failed["reason"], failed
        vm.wait_for(r"AUTONOME-READY role=till slot=A root=ro", BOOT_S)
        assert "Autonome: booting slot B" not in vm.text()
    finally:
        vm.stop(60)
        vm.kill()
    folder, status = outbox_after(vm, tmp_path)
    assert status["result"] == "failed" and reason in status["reason"]
    uploaded_once(selling, folder, store)


def test_a_power_cut_during_the_install_leaves_a_running(
    till_image, bundles, selling, store, tmp_path
):
    stick = updates.make_stick(bundles["good"], tmp_path / "stick.img")
    vm = boot(till_image, selling, tmp_path, stick)
    try:
        vm.next("installing", r"installing .*\.raucb \(2\.0\) into slot B", 2 * BOOT_S)
        vm.kill()  # the plug pulled while RAUC writes slot B
        vm.restart(stick=None)
        vm.next("A", r"Autonome: booting slot A", BOOT_S)
        failed = vm.wait_result("failed", "A", BOOT_S)
        assert "interrupted" in failed["reason"]
    finally:
        vm.stop(60)
        vm.kill()
    folder, status = outbox_after(vm, tmp_path)
    assert status["result"] == "failed" and "interrupted" in status["reason"]
    uploaded_once(selling, folder, store)
