"""The key pair update bundles are signed with, and the keyring an image trusts.

A keys folder holds:
    ca.cert.pem        the keyring: the certificate of the CA; it goes into the image
                       (/etc/rauc/keyring.pem) and every bundle must chain to it
    signing.cert.pem   the certificate the bundles are signed with (issued by the CA)
    signing.key.pem    its private key (mode 0600)
    ca.key.pem         the CA's private key (development keys only; an integrator's
                       CA key never needs to be here)

`ensure(folder)` makes a development CA and signing pair there when the folder
holds none; an integrator's own folder (KEYS=) is used as it is. Nothing of it
is ever in git: the default folder is ~/.cache/autonome-images/keys.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEFAULT_KEYS", "Keys", "KeysError", "ensure", "keys_dir", "make_pair"]

DEFAULT_KEYS = (
    Path(os.environ.get("AUTONOME_IMAGE_CACHE", Path.home() / ".cache" / "autonome-images"))
    / "keys"
)

SIGNING_EXT = """basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=critical,codeSigning,emailProtection
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
"""


class KeysError(RuntimeError):
    """The keys folder is unusable; the message says what to put there."""


@dataclass(frozen=True)
class Keys:
    folder: Path

    @property
    def keyring(self) -> Path:
        return self.folder / "ca.cert.pem"

    @property
    def cert(self) -> Path:
        return self.folder / "signing.cert.pem"

    @property
    def key(self) -> Path:
        return self.folder / "signing.key.pem"


def _openssl(*args: str) -> None:
    try:
        subprocess.run(["openssl", *args], check=True, capture_output=True, text=True)
    except FileNotFoundError as e:
        raise KeysError("openssl is not installed (apt install openssl)") from e
    except subprocess.CalledProcessError as e:
        raise KeysError(f"openssl {args[0]} failed: {e.stderr.strip()}") from e


def make_pair(folder: Path, organisation: str = "Autonome development") -> Keys:
    """A new CA and a signing certificate it issued, in `folder` (created 0700)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    old = os.umask(0o077)
    try:
        ca_key, ca_cert = folder / "ca.key.pem", folder / "ca.cert.pem"
        keys = Keys(folder)
        _openssl(
            "req", "-x509", "-newkey", "rsa:3072", "-nodes", "-sha256", "-days", "3650",
            "-keyout", str(ca_key), "-out", str(ca_cert),
            "-subj", f"/O={organisation}/CN={organisation} update CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        )  # fmt: skip
        with tempfile.TemporaryDirectory() as tmp:
            csr, ext = Path(tmp) / "signing.csr", Path(tmp) / "ext.cnf"
            ext.write_text(SIGNING_EXT)
            _openssl(
                "req", "-newkey", "rsa:3072", "-nodes", "-sha256",
                "-keyout", str(keys.key), "-out", str(csr),
                "-subj", f"/O={organisation}/CN={organisation} bundle signing",
            )  # fmt: skip
            _openssl(
                "x509", "-req", "-in", str(csr), "-CA", str(ca_cert), "-CAkey", str(ca_key),
                "-CAcreateserial", "-CAserial", str(Path(tmp) / "ca.srl"),
                "-days", "1825", "-sha256", "-extfile", str(ext), "-out", str(keys.cert),
            )  # fmt: skip
        for f in (ca_cert, keys.cert):
            os.chmod(f, 0o644)
    finally:
        os.umask(old)
    return keys


def keys_dir() -> Path:
    """The keys folder of this build: KEYS= (make image|bundle KEYS=DIR, or
    AUTONOME_KEYS), else the development keys."""
    value = os.environ.get("AUTONOME_KEYS") or os.environ.get("KEYS")
    return Path(value).expanduser() if value else DEFAULT_KEYS


def ensure(folder: Path | None = None) -> Keys:
    """The keys of `folder`, made (development keys) when it holds none at all."""
    folder = Path(folder or keys_dir()).expanduser()
    keys = Keys(folder)
    present = [p for p in (keys.keyring, keys.cert, keys.key) if p.exists()]
    if not present:
        return make_pair(folder)
    missing = [p.name for p in (keys.keyring, keys.cert, keys.key) if not p.exists()]
    if missing:
        raise KeysError(
            f"{folder} lacks {', '.join(missing)}: a keys folder holds ca.cert.pem (the "
            "keyring), signing.cert.pem and signing.key.pem (docs/images.md)"
        )
    return keys
