"""`make bundle ROLE=till|server`: a signed RAUC update bundle of a slot's file system.

    python -m images.update.bundle --role till [--rootfs FILE] [--keys DIR]
                                   [--out FILE] [--version V]

The bundle (verity format) carries the slot's ext4 file system that `make image`
left in build/image/<role>-rootfs.ext4, a manifest (compatible
autonome-<role>-x86_64, the version) and a hook that labels the slot after it is
written. It is signed with the signing key of the keys folder (development keys
are made there on first use) and checked against its keyring before it is kept.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .keys import DEFAULT_KEYS, Keys, KeysError, ensure

__all__ = ["BundleError", "build_bundle", "compatible", "main"]

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
ROLES = ("till", "server")
TOOLS = ("rauc", "mksquashfs", "openssl")
#: zstd: a third of gzip's time on a 2 GB slot for the same size (Debian's kernel reads it)
MKSQUASHFS = "-comp zstd -Xcompression-level 6"


class BundleError(RuntimeError):
    """The bundle could not be made; the message says why."""


def compatible(role: str) -> str:
    return f"autonome-{role}-x86_64"


def default_version() -> str:
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return f"{project['version']}+{time.strftime('%Y%m%d%H%M%S', time.gmtime())}"


def manifest(role: str, version: str, description: str) -> str:
    return (
        "[update]\n"
        f"compatible={compatible(role)}\n"
        f"version={version}\n"
        f"description={description}\n"
        f"build={time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\n"
        "\n[bundle]\nformat=verity\n"
        "\n[hooks]\nfilename=hook.sh\n"
        "\n[image.rootfs]\nfilename=rootfs.ext4\nhooks=post-install\n"
    )


def rauc_info(bundle: Path, keyring: Path) -> str:
    """`rauc info` with this keyring: the bundle's manifest, or BundleError (bad signature,
    truncated, another key)."""
    with tempfile.TemporaryDirectory() as tmp:
        # rauc info reads a system.conf when there is one: an empty one of our own
        conf = Path(tmp) / "system.conf"
        conf.write_text("[system]\ncompatible=any\nbootloader=noop\n")
        r = subprocess.run(
            ["rauc", "--conf", str(conf), "--keyring", str(keyring), "info", str(bundle)],
            capture_output=True,
            text=True,
        )
    if r.returncode != 0:
        raise BundleError(rauc_reason(r.stderr or r.stdout))
    return r.stdout


def rauc_reason(output: str) -> str:
    """The line of rauc's output that says why (the last error it printed)."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    errors = [ln for ln in lines if "rror" in ln or "failed" in ln.lower()]
    text = (errors or lines or ["rauc failed without a message"])[-1]
    for prefix in ("rauc-Message:", "rauc-CRITICAL **:", "rauc-WARNING **:"):
        text = text.split(prefix, 1)[-1].strip()
    return text


def build_bundle(
    role: str, rootfs: Path, keys: Keys, out: Path, version: str | None = None
) -> Path:
    if role not in ROLES:
        raise BundleError(f"unknown role {role!r}: till or server")
    if missing := [t for t in TOOLS if shutil.which(t) is None]:
        raise BundleError(
            "missing tools: " + ", ".join(missing) + " (apt: rauc squashfs-tools openssl)"
        )
    if not rootfs.is_file():
        raise BundleError(
            f"{rootfs} does not exist: build the slot's file system first (make image ROLE={role})"
        )
    with open(rootfs, "rb") as f:
        f.seek(1024 + 56)
        if f.read(2) != b"\x53\xef":  # the ext2/3/4 superblock's magic
            raise BundleError(f"{rootfs} is not an ext4 file system")
    version = version or default_version()
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".bundle-") as tmp:
        content = Path(tmp) / "content"
        content.mkdir()
        image = content / "rootfs.ext4"
        try:
            os.link(rootfs, image)
        except OSError:
            subprocess.run(["cp", "--sparse=always", str(rootfs), str(image)], check=True)
        shutil.copy2(HERE / "hook.sh", content / "hook.sh")
        (content / "manifest.raucm").write_text(
            manifest(role, version, f"Autonome {role} {version}")
        )
        r = subprocess.run(
            ["rauc", "bundle", "--cert", str(keys.cert), "--key", str(keys.key)]
            + ["--keyring", str(keys.keyring), f"--mksquashfs-args={MKSQUASHFS}"]
            + [str(content), str(partial)],
            capture_output=True,
            text=True,
        )
        if r.returncode != 0:
            partial.unlink(missing_ok=True)
            raise BundleError(f"rauc bundle failed: {rauc_reason(r.stderr or r.stdout)}")
    try:
        rauc_info(partial, keys.keyring)
    except BundleError:
        partial.unlink(missing_ok=True)
        raise
    partial.rename(out)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="make bundle", description=__doc__.splitlines()[0])
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--rootfs", type=Path, help="(build/image/<role>-rootfs.ext4)")
    p.add_argument("--keys", type=Path, help=f"the keys folder ({DEFAULT_KEYS})")
    p.add_argument("--out", type=Path, help="(build/image/<role>.raucb)")
    p.add_argument("--version", help="(the project's version + the build time)")
    a = p.parse_args(argv)
    images = REPO / "build" / "image"
    rootfs = a.rootfs or images / f"{a.role}-rootfs.ext4"
    out = a.out or images / f"{a.role}.raucb"
    t0 = time.monotonic()
    try:
        keys = ensure(a.keys)
        bundle = build_bundle(a.role, rootfs, keys, out, a.version)
    except (BundleError, KeysError) as e:
        print(f"make bundle: {e}", file=sys.stderr)
        return 1
    mib = bundle.stat().st_size / 2**20
    print(
        f"{bundle}: {compatible(a.role)}, {mib:.0f} MiB, signed by {keys.cert} "
        f"(keyring {keys.keyring}); built in {time.monotonic() - t0:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
