"""What the image build puts into a slot's tree for the updates (called by images/rootfs.py).

- the packages RAUC needs on the appliance (`PACKAGES`, joined to the image's list);
- /etc/rauc/system.conf from the overlay with the role written into `compatible`;
- /etc/rauc/keyring.pem: the CA certificate of the keys folder (KEYS=, or the
  development keys made on first use), so that the image accepts the bundles
  signed with that folder's signing key, and no others;
- autonome-update-confirm.service enabled (the boot's health check).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .keys import Keys, ensure
from .keys import keys_dir as keys_dir_default

__all__ = ["PACKAGES", "UNITS", "install_update_config"]

#: rauc and its D-Bus service; squashfs-tools and e2fsprogs to read a bundle and label
#: a slot; grub-common's grub-editenv for RAUC's GRUB backend; dbus for rauc-service
PACKAGES = ["rauc", "rauc-service", "squashfs-tools", "e2fsprogs", "grub-common", "dbus"]
UNITS = ["autonome-update-confirm.service"]


def install_update_config(root: Path, role: str, keys_dir: Path | None = None) -> Keys:
    """Write the role's system.conf and the keyring into the tree at `root`."""
    keys = ensure(keys_dir or keys_dir_default())
    rauc = root / "etc" / "rauc"
    rauc.mkdir(parents=True, exist_ok=True)
    conf = rauc / "system.conf"
    template = Path(__file__).resolve().parent.parent / "overlay" / "etc" / "rauc" / "system.conf"
    conf.write_text(template.read_text().replace("@ROLE@", role))
    shutil.copyfile(keys.keyring, rauc / "keyring.pem")
    (rauc / "keyring.pem").chmod(0o644)
    subprocess.run(["chroot", str(root), "systemctl", "enable", "--quiet", *UNITS], check=True)
    return keys
