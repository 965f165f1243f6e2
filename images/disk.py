"""The GPT disk of an appliance, made from files alone (no loop device, no mount).

    p1  ESP     vfat  256 MiB  GRUB (EFI/BOOT/BOOTX64.EFI), grub.cfg, grubenv, autonome.toml
    p2  rootfs-a ext4          slot A: the root file system, its kernel and initrd in /boot
    p3  rootfs-b ext4          slot B: empty until the first update is installed into it
    p4  data     ext4          /var/lib/autonome: the one writable place that lasts

Each file system is made as a file (`mkfs.ext4 -d`, `mkfs.vfat -C` and mtools),
then copied into the disk at its offset with `dd conv=sparse`.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .rootfs import BuildError, run

HERE = Path(__file__).resolve().parent
GRUB_CFG = HERE / "boot" / "grub.cfg"
ESP_MIB = 256
DATA_MIB = 512
ESP_TYPE = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
ROOT_TYPE = "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"  # Linux root (x86-64)
DATA_TYPE = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"  # Linux file system
GRUB_MODULES = (
    "part_gpt fat ext2 normal linux echo test loadenv configfile search search_label "
    "search_fs_file serial terminal all_video gfxterm efi_gop boot reboot sleep"
)
GRUBENV_DEFAULT = {"ORDER": "A B", "A_OK": "1", "A_TRY": "0", "B_OK": "0", "B_TRY": "0"}
# the stub inside the EFI binary: find the ESP by its label, read its grub.cfg
STUB = """search --no-floppy --set=esp --label ESP
set root=$esp
set prefix=($esp)/EFI/BOOT
configfile ($esp)/grub.cfg
"""


@dataclass(frozen=True)
class Layout:
    slot_mib: int
    esp_mib: int = ESP_MIB
    data_mib: int = DATA_MIB

    @property
    def total_mib(self) -> int:  # 1 MiB before, 1 MiB for the backup GPT after
        return 1 + self.esp_mib + 2 * self.slot_mib + self.data_mib + 1

    def starts(self) -> list[int]:
        a = 1 + self.esp_mib
        return [1, a, a + self.slot_mib, a + 2 * self.slot_mib]


def tree_usage(tree: Path) -> tuple[int, int]:
    """(MiB the tree takes, how many files and folders it holds)."""
    out = subprocess.run(
        ["du", "-s", "--block-size=1M", "-x", str(tree)], check=True, capture_output=True, text=True
    )
    count = subprocess.run(
        ["find", str(tree), "-xdev"], check=True, capture_output=True, text=True
    ).stdout.count("\n")
    return int(out.stdout.split()[0]), count


def slot_size_mib(tree: Path) -> int:
    """The partition of a slot: room for the tree and for a bigger update, 1.5 x its
    size rounded up to 64 MiB (the file system in it is sized to its content)."""
    used, _files = tree_usage(tree)
    return max(512, -(-int(used * 1.5 + 128) // 64) * 64)


def content_size_mib(tree: Path) -> tuple[int, int]:
    """(MiB, inodes) of a read-only file system that just holds the tree: what an update
    bundle carries and what its install writes and checks, so no empty room in it."""
    used, files = tree_usage(tree)
    return -(-int(used * 1.06 + 48) // 16) * 16, files + files // 10 + 1024


def make_ext4(
    path: Path, label: str, mib: int, tree: Path | None, inodes: int | None = None
) -> None:
    path.unlink(missing_ok=True)
    run(["truncate", "-s", f"{mib}M", str(path)])
    # GRUB 2.06 reads neither metadata_csum_seed nor orphan_file (mke2fs 1.47's defaults)
    cmd = ["mkfs.ext4", "-q", "-F", "-L", label, "-E", "root_owner=0:0"]
    cmd += ["-O", "^metadata_csum_seed,^orphan_file"]
    if inodes is not None:  # a file system sized to its tree: no reserve, a small journal
        cmd += ["-N", str(inodes), "-m", "0", "-J", "size=16"]
    if tree is not None:
        cmd += ["-d", str(tree)]
    run([*cmd, str(path)])


def make_rootfs(path: Path, label: str, tree: Path, limit_mib: int) -> int:
    """The slot's file system from the tree, sized to it (grown if mkfs finds it too
    small, never past the partition `limit_mib`). Returns its size in MiB."""
    mib, inodes = content_size_mib(tree)
    while True:
        try:
            make_ext4(path, label, min(mib, limit_mib), tree, inodes)
            return min(mib, limit_mib)
        except BuildError:
            if mib >= limit_mib:
                raise
            mib = -(-int(mib * 1.25) // 16) * 16


def grubenv_bytes(values: dict[str, str]) -> bytes:
    """GRUB's environment block: exactly 1024 bytes, '#'-padded (grub-editenv's format)."""
    body = "# GRUB Environment Block\n" + "".join(f"{k}={v}\n" for k, v in values.items())
    if len(body) > 1024:
        raise BuildError("grubenv holds more than 1024 bytes")
    return (body + "#" * (1024 - len(body))).encode()


def grub_cfg(role_args: str) -> str:
    return GRUB_CFG.read_text().replace("@ROLE_ARGS@", role_args)


def make_esp(path: Path, role_args: str, preseed: Path | None, work: Path) -> None:
    path.unlink(missing_ok=True)
    run(["mkfs.vfat", "-n", "ESP", "-F", "32", "-C", str(path), str(ESP_MIB * 1024)])
    stub = work / "grub-stub.cfg"
    stub.write_text(STUB)
    efi = work / "BOOTX64.EFI"
    run(
        ["grub-mkstandalone", "-O", "x86_64-efi", "-o", str(efi), "--modules=" + GRUB_MODULES]
        + ["--locales=", "--fonts=", "--themes=", f"boot/grub/grub.cfg={stub}"]
    )
    cfg = work / "grub.cfg"
    cfg.write_text(grub_cfg(role_args))
    env = work / "grubenv"
    env.write_bytes(grubenv_bytes(GRUBENV_DEFAULT))
    img = ["-i", str(path)]
    run(["mmd", *img, "::/EFI", "::/EFI/BOOT"])
    run(["mcopy", *img, str(efi), "::/EFI/BOOT/BOOTX64.EFI"])
    run(["mcopy", *img, str(cfg), "::/grub.cfg"])
    run(["mcopy", *img, str(env), "::/grubenv"])
    if preseed is not None:
        run(["mcopy", *img, str(preseed), "::/autonome.toml"])


def assemble(out: Path, layout: Layout, parts: list[Path]) -> None:
    """The GPT and the four file systems, written at their offsets (a sparse file)."""
    tmp = out.with_suffix(".partial")
    tmp.unlink(missing_ok=True)
    run(["truncate", "-s", f"{layout.total_mib}M", str(tmp)])
    a, b, d = layout.starts()[1:]
    table = (
        "label: gpt\n"
        f"start=1MiB, size={layout.esp_mib}MiB, type={ESP_TYPE}, name=ESP\n"
        f"start={a}MiB, size={layout.slot_mib}MiB, type={ROOT_TYPE}, name=rootfs-a\n"
        f"start={b}MiB, size={layout.slot_mib}MiB, type={ROOT_TYPE}, name=rootfs-b\n"
        f"start={d}MiB, size={layout.data_mib}MiB, type={DATA_TYPE}, name=data\n"
    )
    run(["sfdisk", "-q", "--no-reread", "--no-tell-kernel", str(tmp)], input=table.encode())
    for part, start in zip(parts, layout.starts(), strict=True):
        run(
            ["dd", f"if={part}", f"of={tmp}", "bs=1M", f"seek={start}", "conv=notrunc,sparse"]
            + ["status=none"]
        )
    tmp.rename(out)


def compress(img: Path) -> Path:
    out = img.with_name(img.name + ".zst")
    run(["zstd", "-q", "-f", "-T0", "-1", "--sparse", str(img), "-o", str(out)])
    return out


def write_preseed(img: Path, preseed: Path) -> None:
    """Put (or replace) autonome.toml on the ESP of a built disk image, in place."""
    run(["mcopy", "-o", "-i", f"{img}@@1M", str(preseed), "::/autonome.toml"])


def write_grubenv(img: Path, values: dict[str, str]) -> None:
    """Replace the grubenv of a built disk image (e.g. EXTRA_ARGS for the kernel)."""
    with tempfile.TemporaryDirectory() as d:
        env = Path(d) / "grubenv"
        env.write_bytes(grubenv_bytes(values))
        run(["mcopy", "-o", "-i", f"{img}@@1M", str(env), "::/grubenv"])


def read_grubenv(img: Path) -> dict[str, str]:
    text = read_esp_file(img, "grubenv").decode()
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line and line[0] != "#")


def partition(img: Path, name: str) -> tuple[int, int]:
    """(offset, size) in bytes of the partition named `name` (its PARTLABEL)."""
    import json

    out = subprocess.run(["sfdisk", "-J", str(img)], check=True, capture_output=True, text=True)
    table = json.loads(out.stdout)["partitiontable"]
    sector = int(table.get("sectorsize", 512))
    for part in table["partitions"]:
        if part.get("name") == name:
            return int(part["start"]) * sector, int(part["size"]) * sector
    raise BuildError(f"{img} has no partition {name!r}")


def dump_dir(img: Path, part: str, path: str, dest: Path) -> Path:
    """Copy the folder `path` of the ext4 partition `part` out of a disk image (debugfs:
    no mount). Returns the copy, dest/<basename of path>."""
    offset, size = partition(img, part)
    dest.mkdir(parents=True, exist_ok=True)
    fs = dest / f".{part}.ext4"
    run(
        ["dd", f"if={img}", f"of={fs}", "bs=1M", f"skip={offset // 2**20}"]
        + [f"count={size // 2**20}", "conv=sparse", "status=none"]
    )
    run(["debugfs", "-R", f"rdump {path} {dest}", str(fs)], capture_output=True)
    fs.unlink()
    return dest / Path(path).name


def read_esp_file(img: Path, name: str) -> bytes:
    with tempfile.TemporaryDirectory() as d:
        dst = Path(d) / "f"
        run(["mcopy", "-i", f"{img}@@1M", f"::/{name}", str(dst)])
        return dst.read_bytes()


def copy_sparse(src: Path, dst: Path) -> None:
    run(["cp", "--sparse=always", str(src), str(dst)])
