"""Update bundles on the host, with the real rauc: made, signed, and refused when they
are another key's, truncated, of the other role, or when the data partition is full.

No VM: `rauc bundle` and `rauc info` run here; `autonome update install` is driven
with a system.conf of the test's own, so it stops at its checks (which come before
anything is written) and never reaches `rauc install`. Skipped, with the reason,
without rauc, mksquashfs or openssl, unless AUTONOME_REQUIRE_IMAGE=1.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.till.update_status import read_status, write_status
from appliance.updates.flow import install
from appliance.updates.rauc import Rauc
from images.update.bundle import BundleError, build_bundle, rauc_info
from images.update.keys import KeysError, ensure

REQUIRE = os.environ.get("AUTONOME_REQUIRE_IMAGE") == "1"
MISSING = [t for t in ("rauc", "mksquashfs", "openssl", "mkfs.ext4") if shutil.which(t) is None]
if MISSING:
    reason = "missing: " + ", ".join(MISSING) + " (apt: rauc squashfs-tools openssl e2fsprogs)"
    if REQUIRE:
        pytest.fail(f"AUTONOME_REQUIRE_IMAGE=1 but {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)

ROOT = Path(__file__).resolve().parents[2]


def slot_fs(path: Path, marker: str) -> Path:
    """A small ext4 slot file system, made from a folder as the image build does."""
    tree = path.with_suffix(".tree")
    (tree / "etc").mkdir(parents=True)
    (tree / "etc" / "autonome-release").write_text(marker + "\n")
    (tree / "etc" / "payload").write_bytes(os.urandom(256 * 1024))  # squashfs > 4 KiB
    subprocess.run(["truncate", "-s", "16M", str(path)], check=True)
    subprocess.run(
        ["mkfs.ext4", "-q", "-F", "-L", "rootfs-a", "-d", str(tree), str(path)], check=True
    )
    return path


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    d = tmp_path_factory.mktemp("bundle")
    keys = ensure(d / "keys")
    other = ensure(d / "other-keys")
    rootfs = slot_fs(d / "rootfs.ext4", "v2")
    good = build_bundle("till", rootfs, keys, d / "till.raucb", "2.0")
    foreign = build_bundle("till", rootfs, other, d / "foreign.raucb", "2.0")
    server = build_bundle("server", rootfs, keys, d / "server.raucb", "2.0")
    return {"dir": d, "keys": keys, "other": other, "good": good, "foreign": foreign,
            "server": server}  # fmt: skip


def test_development_keys_are_made_once_outside_git_private_keys_unreadable(made):
    keys = made["keys"]
    for private in (keys.key, keys.folder / "ca.key.pem"):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys.folder.stat().st_mode) == 0o700
    before = keys.cert.read_bytes()
    assert ensure(keys.folder).cert.read_bytes() == before  # used again, not made again
    text = subprocess.run(
        ["openssl", "x509", "-in", str(keys.keyring), "-noout", "-text"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "CA:TRUE" in text
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    assert not [f for f in tracked.stdout.split() if f.endswith(".key.pem")]


def test_a_keys_folder_with_a_part_missing_is_refused_and_named(tmp_path):
    (tmp_path / "ca.cert.pem").write_text("x")
    with pytest.raises(KeysError, match="signing.cert.pem, signing.key.pem"):
        ensure(tmp_path)


def test_the_bundle_is_signed_verity_for_its_role_and_carries_the_slot(made):
    out = rauc_info(made["good"], made["keys"].keyring)
    assert "'autonome-till-x86_64'" in out
    assert "'2.0'" in out
    assert "verity" in out
    assert "rootfs.ext4" in out and "post-install" in out
    # the slot's file system inside is the one given, byte for byte
    d = made["dir"] / "extract"
    conf = made["dir"] / "x.conf"
    conf.write_text("[system]\ncompatible=x\nbootloader=noop\n")
    subprocess.run(
        ["rauc", "--conf", str(conf), "--keyring", str(made["keys"].keyring), "extract",
         str(made["good"]), str(d)],
        check=True, capture_output=True,
    )  # fmt: skip
    assert (d / "rootfs.ext4").read_bytes() == (made["dir"] / "rootfs.ext4").read_bytes()
    assert os.access(d / "hook.sh", os.X_OK)


def test_another_keys_bundle_is_refused_by_the_keyring(made):
    with pytest.raises(BundleError, match="signature verification failed"):
        rauc_info(made["foreign"], made["keys"].keyring)


def test_a_truncated_bundle_is_refused(made, tmp_path):
    data = made["good"].read_bytes()
    for size in (len(data) // 2, len(data) - 100):
        cut = tmp_path / f"cut-{size}.raucb"
        cut.write_bytes(data[:size])
        with pytest.raises(BundleError):
            rauc_info(cut, made["keys"].keyring)


def test_make_bundle_says_what_is_missing(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "images.update.bundle", "--role", "till",
         "--rootfs", str(tmp_path / "none.ext4"), "--keys", str(tmp_path / "k")],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert r.returncode == 1
    assert "make image ROLE=till" in r.stderr
    (tmp_path / "not.ext4").write_bytes(b"\0" * 4096)
    with pytest.raises(BundleError, match="not an ext4"):
        build_bundle("till", tmp_path / "not.ext4", ensure(tmp_path / "k"), tmp_path / "o")
    assert not (tmp_path / "o").exists()


# -- autonome update install: every refusal comes before anything is written ---------------


@pytest.fixture
def appliance_conf(made, tmp_path):
    """A system.conf as the image has it (the till's), its slots two files here."""
    slots = {n: tmp_path / f"rootfs-{n}.img" for n in "ab"}
    for p in slots.values():
        p.write_bytes(b"slot " + p.name.encode() * 1000)
    template = (ROOT / "images/overlay/etc/rauc/system.conf").read_text()
    conf = template.replace("@ROLE@", "till").replace("/boot/efi/grubenv", str(tmp_path / "env"))
    conf = conf.replace("/etc/rauc/keyring.pem", str(made["keys"].keyring))
    conf = conf.replace("/var/lib/autonome/rauc", str(tmp_path / "rauc"))
    for n, p in slots.items():
        conf = conf.replace(f"/dev/disk/by-partlabel/rootfs-{n}", str(p))
    (tmp_path / "system.conf").write_text(conf)
    cmdline = tmp_path / "cmdline"
    cmdline.write_text("root=PARTLABEL=rootfs-a ro rauc.slot=A console=ttyS0\n")
    return tmp_path, Rauc(conf=tmp_path / "system.conf"), cmdline, slots


def _refused(appliance_conf, bundle: Path, **kw) -> dict:
    d, rauc, cmdline, slots = appliance_conf
    before = {n: p.read_bytes() for n, p in slots.items()}
    status = install(bundle, rauc=rauc, path=d / "update-status.json", cmdline=cmdline, **kw)
    assert status["result"] == "failed" and status["ok"] is False
    assert read_status(d / "update-status.json") == status  # what the status bar shows
    assert {n: p.read_bytes() for n, p in slots.items()} == before  # no slot touched
    assert status["booted"] == "A" and status["slot"] == "B"
    return status


def test_install_refuses_another_keys_bundle(appliance_conf, made):
    status = _refused(appliance_conf, made["foreign"])
    assert "the bundle was refused" in status["reason"]
    assert "signature verification failed" in status["reason"]


def test_install_refuses_a_truncated_bundle(appliance_conf, made, tmp_path):
    cut = tmp_path / "cut.raucb"
    cut.write_bytes(made["good"].read_bytes()[:5000])
    status = _refused(appliance_conf, cut)
    assert "the bundle was refused" in status["reason"]
    assert "signature" in status["reason"].lower() or "invalid" in status["reason"].lower()


def test_install_refuses_the_other_roles_bundle(appliance_conf, made):
    status = _refused(appliance_conf, made["server"])
    assert "autonome-server-x86_64" in status["reason"]
    assert "autonome-till-x86_64" in status["reason"]
    assert status["version"] == "2.0"


def test_install_refuses_a_bundle_it_cannot_read(appliance_conf, tmp_path):
    status = _refused(appliance_conf, tmp_path / "nowhere.raucb")
    assert "cannot be read" in status["reason"]


def test_install_outside_the_ab_boot_is_refused(appliance_conf, made):
    d, rauc, cmdline, _ = appliance_conf
    cmdline.write_text("root=/dev/vda1 ro\n")
    status = install(made["good"], rauc=rauc, path=d / "s.json", cmdline=cmdline)
    assert status["result"] == "failed" and "rauc.slot" in status["reason"]


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small full file system needs root")
def test_install_on_a_full_data_partition_is_refused_and_says_so(appliance_conf, made, tmp_path):
    """A real full file system (a 4 MiB tmpfs filled to the last block): the install is
    refused before anything is written, and the reason still reaches the status file,
    rewritten in the block it held."""
    d, rauc, cmdline, slots = appliance_conf
    data = tmp_path / "data"
    data.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(data)], check=True)
    try:
        path = data / "update-status.json"
        write_status("good", path, slot="A", version="1.0")  # the last update's result
        (data / "outbox.log").write_bytes(b"sales")
        with open(data / "filler", "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        before = (data / "outbox.log").read_bytes()
        status = install(made["good"], rauc=rauc, path=path, cmdline=cmdline)
        assert status["result"] == "failed"
        assert "the data partition is full" in status["reason"]
        assert read_status(path)["reason"] == status["reason"]
        assert (data / "outbox.log").read_bytes() == before
    finally:
        subprocess.run(["umount", str(data)], check=True)


def test_update_cli_prints_the_refusal_and_fails(appliance_conf, made):
    d, _, _, _ = appliance_conf
    env = {**os.environ, "AUTONOME_UPDATE_STATUS": str(d / "st.json")}
    r = subprocess.run(
        [sys.executable, "-m", "appliance", "update", "--conf", str(d / "system.conf"),
         "install", str(made["foreign"])],
        cwd=ROOT, capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert r.returncode == 1
    # this host was not booted by the appliance's GRUB: refused for that first
    assert json.loads(r.stdout.splitlines()[-1])["result"] == "failed"
    assert "autonome update:" in r.stderr
    assert read_status(d / "st.json")["result"] == "failed"
