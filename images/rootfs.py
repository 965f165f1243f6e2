"""The root file system of a slot: Debian bookworm by mmdebstrap, the venv, the overlay.

Two stages, each cached under the cache folder (never in git):
- the base (Debian packages, and a venv at /opt/autonome with every dependency
  of the wheel installed offline from the wheel cache), a tarball keyed by what
  goes into it; rebuilt only when the package list or the dependencies change;
- the slot: the base unpacked, the autonome wheel installed into the venv (no
  dependencies: they are there), the overlay, the udev rules of drivers/udev, the
  role. Then `mkfs.ext4 -d` (disk.py) makes the slot's file system from it.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OVERLAY = Path(__file__).resolve().parent / "overlay"
UDEV = REPO / "drivers" / "udev"
VENV = "/opt/autonome"

# the packages of every image; the till adds Mesa's EGL/GBM for Kivy on KMS
COMMON = [
    "linux-image-amd64",
    "initramfs-tools",
    "systemd",
    "systemd-sysv",
    "systemd-resolved",
    "udev",
    "dbus",
    "kmod",
    "iproute2",
    "procps",
    "python3",
    "python3-venv",
    "ca-certificates",
    "tzdata",  # the receipts' time zone (zoneinfo): without it the store cannot be made
    "zstd",
]
TILL = ["libegl1", "libgl1", "libgles2", "libgl1-mesa-dri", "libgbm1", "libmtdev1", "libdrm2"]
ROLES = ("till", "server")
# change it when build_base makes another base from the same packages and wheels
BASE_RECIPE = "mmdebstrap-venv-1"
# kernel modules no appliance loads (radios, TV tuners, clusters' file systems and
# fabrics, the kernel's self-tests): left out of the slot, a third of its modules
UNUSED_MODULES = (
    "kernel/drivers/net/wireless",
    "kernel/drivers/media",
    "kernel/drivers/infiniband",
    "kernel/drivers/staging",
    "kernel/drivers/isdn",
    "kernel/drivers/comedi",
    "kernel/drivers/scsi/lpfc",
    "kernel/drivers/scsi/qla2xxx",
    "kernel/drivers/scsi/mpt3sas",
    "kernel/drivers/net/ethernet/mellanox",
    "kernel/drivers/net/ethernet/chelsio",
    "kernel/drivers/net/ethernet/qlogic",
    "kernel/drivers/net/ethernet/sfc",
    "kernel/net/wireless",
    "kernel/net/mac80211",
    "kernel/net/bluetooth",
    "kernel/drivers/bluetooth",
    "kernel/fs/xfs",
    "kernel/fs/btrfs",
    "kernel/fs/ocfs2",
    "kernel/fs/gfs2",
    "kernel/fs/ceph",
    "kernel/fs/nfs",
    "kernel/fs/nfsd",
    "kernel/fs/smb",
    "kernel/fs/f2fs",
    "kernel/fs/jfs",
    "kernel/fs/reiserfs",
    "kernel/fs/nilfs2",
    "kernel/arch/x86/kvm",
    "kernel/lib/test_bpf.ko",
)


class BuildError(RuntimeError):
    """A step of the build failed; the message says which and why."""


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
    try:
        return subprocess.run(cmd, check=True, **kw)
    except FileNotFoundError as e:
        raise BuildError(f"{cmd[0]} is not installed (see .ci/run for the apt packages)") from e
    except subprocess.CalledProcessError as e:
        raise BuildError(f"{' '.join(cmd[:3])}... failed with status {e.returncode}") from e


def _updates():
    """images.update (RAUC's system.conf, keyring, units) when that part is present."""
    try:
        from .update import rootfs as updates
    except ImportError:
        return None
    return updates


def packages(role: str) -> list[str]:
    extra = list(getattr(_updates(), "PACKAGES", []))
    found = COMMON + (TILL if role == "till" else []) + extra
    return list(dict.fromkeys(found))


def apt_sources() -> list[Path]:
    """This machine's own apt sources for Debian (the image uses the same mirror)."""
    found = []
    etc = Path("/etc/apt")
    for f in [etc / "sources.list", *sorted((etc / "sources.list.d").glob("*"))]:
        if f.suffix not in (".list", ".sources") or not f.is_file():
            continue
        text = f.read_text(errors="replace")
        if "bookworm" in text and "debian" in text:
            found.append(f)
    if not found:
        raise BuildError("no Debian bookworm source in /etc/apt: the image needs apt's mirror")
    return found


def wheels(cache: Path) -> tuple[Path, list[str]]:
    """The wheel of this repository and of exactly its dependencies, in a fresh folder
    (from the wheel cache cache/wheels, offline when it holds them all; what is
    downloaded joins the cache). Returns the folder and [autonome wheel, *deps]."""
    store = cache / "wheels"
    store.mkdir(parents=True, exist_ok=True)
    out = cache / "work" / "wheels"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    pip = [sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(out)]
    pip += ["--find-links", str(store)]
    try:  # offline first: everything already in the cache
        run(pip + ["--no-index", str(REPO)])
    except BuildError:
        run(pip + [str(REPO)])
    own = sorted(out.glob("autonome-*.whl"))
    if not own:
        raise BuildError("pip built no autonome wheel")
    deps = sorted(p.name for p in out.glob("*.whl") if p not in own)
    for name in deps:
        if not (store / name).exists():
            shutil.copy2(out / name, store / name)
    return out, [own[-1].name, *deps]


def base_key(role: str, deps: list[str], sources: list[Path]) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([packages(role), deps[1:]]).encode())
    for s in sources:
        h.update(s.read_bytes())
    # the recipe, not this whole file: a change to the slot's steps keeps the base
    h.update(BASE_RECIPE.encode())
    h.update(inspect.getsource(build_base).encode())
    return h.hexdigest()[:16]


def build_base(role: str, cache: Path, wheel_dir: Path, deps: list[str]) -> Path:
    """The cached base tarball of a role, built by mmdebstrap when missing."""
    sources = apt_sources()
    key = base_key(role, deps, sources)
    tar = cache / f"base-{role}-{key}.tar"
    if tar.exists():
        print(f"base rootfs from the cache: {tar}", file=sys.stderr)
        return tar
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    partial = tar.with_suffix(".partial.tar")
    dep_wheels = " ".join(f"/tmp/wheels/{d}" for d in deps[1:])
    cmd = [
        "mmdebstrap",
        "--variant=apt",
        "--format=tar",
        "--include=" + ",".join(packages(role)),
        "--skip=cleanup/apt/cache",
        # the package cache: synced in before apt runs, back out after
        '--setup-hook=mkdir -p "$1"/var/cache/apt/archives "$1"/tmp/wheels',
        f"--setup-hook=sync-in {debs} /var/cache/apt/archives",
        f"--customize-hook=sync-in {wheel_dir} /tmp/wheels",
        f'--customize-hook=chroot "$1" python3 -m venv {VENV}',
        f'--customize-hook=chroot "$1" {VENV}/bin/pip install --quiet --no-index '
        f"--no-deps {dep_wheels}",
        f"--customize-hook=sync-out /var/cache/apt/archives {debs}",
        '--customize-hook=rm -rf "$1"/tmp/wheels "$1"/var/cache/apt/archives/*.deb',
        "bookworm",
        str(partial),
        *[str(s) for s in sources],
    ]
    run(cmd)
    partial.rename(tar)
    for old in cache.glob(f"base-{role}-*.tar"):
        if old != tar:
            old.unlink()
    return tar


def trim_modules(root: Path, kver: str) -> None:
    """Leave out the kernel modules of UNUSED_MODULES (the initrd keeps its own copy of
    what it needs to find the root), then the module index again."""
    modules = root / "usr" / "lib" / "modules" / kver
    for rel in UNUSED_MODULES:
        path = modules / rel
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    run(["chroot", str(root), "depmod", "-a", kver])


def build_slot(role: str, base: Path, wheel_dir: Path, wheel: str, work: Path) -> Path:
    """The slot's tree: the base, the autonome wheel, the overlay, the udev rules."""
    root = work / f"rootfs-{role}"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    run(["tar", "-C", str(root), "--numeric-owner", "--xattrs", "-xpf", str(base)])
    (root / "tmp" / "wheels").mkdir(parents=True, exist_ok=True)
    shutil.copy2(wheel_dir / wheel, root / "tmp" / "wheels" / wheel)
    run(
        ["chroot", str(root), f"{VENV}/bin/pip", "install", "--quiet", "--no-index", "--no-deps"]
        + ["--no-compile", f"/tmp/wheels/{wheel}"]
    )
    run(["chroot", str(root), f"{VENV}/bin/python", "-m", "compileall", "-q", VENV])
    shutil.rmtree(root / "tmp" / "wheels")
    run(["cp", "-a", "--no-preserve=ownership", f"{OVERLAY}/.", str(root)])
    (root / "etc" / "rauc" / ".keep").unlink(missing_ok=True)
    rules = root / "etc" / "udev" / "rules.d"
    rules.mkdir(parents=True, exist_ok=True)
    for rule in sorted(UDEV.glob("*.rules")):
        shutil.copy2(rule, rules / rule.name)
    etc = root / "etc"
    (etc / "autonome").mkdir(exist_ok=True)
    (etc / "autonome" / "role").write_text(f"AUTONOME_ROLE={role}\n")
    (etc / "hostname").write_text(f"autonome-{role}\n")
    (etc / "hosts").write_text(f"127.0.0.1 localhost\n127.0.1.1 autonome-{role}\n")
    # an empty machine-id: systemd makes one at each boot (the root is read-only)
    (etc / "machine-id").write_text("")
    for d in ("var/lib/autonome", "boot/efi"):
        (root / d).mkdir(parents=True, exist_ok=True)
    doc = root / VENV.lstrip("/") / "share" / "doc"
    doc.mkdir(parents=True, exist_ok=True)
    if (REPO / "docs" / "images.md").exists():
        shutil.copy2(REPO / "docs" / "images.md", doc / "images.md")
    boot = root / "boot"
    kernels = sorted(boot.glob("vmlinuz-*"))
    if not kernels:
        raise BuildError("the rootfs has no kernel in /boot")
    kver = kernels[-1].name.removeprefix("vmlinuz-")
    trim_modules(root, kver)
    for link, target in (("vmlinuz", f"vmlinuz-{kver}"), ("initrd.img", f"initrd.img-{kver}")):
        (boot / link).unlink(missing_ok=True)
        (boot / link).symlink_to(target)
    units = ["autonome-firstboot", "autonome-ready", "systemd-networkd", "systemd-resolved"]
    units += ["autonome-console"] + (["autonome-till"] if role == "till" else ["autonome-server"])
    run(["chroot", str(root), "systemctl", "enable", "--quiet", *units])
    run(["chroot", str(root), "systemctl", "mask", "--quiet", "apt-daily.timer"])
    updates = _updates()
    if updates is not None:
        updates.install_update_config(root, role)
    return root
