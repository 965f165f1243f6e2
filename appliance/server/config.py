"""The server's data folder: `server.json`, `admin.token`, `signing.key`, `tls.key`,
`tls.crt`, `server.db`, `snapshots/`."""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.protocol import DEFAULT_PORT
from appliance.system.files import atomic_write, create_once

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = [
    "ServerConfig",
    "DataDir",
    "parse_hhmm",
    "new_server_id",
    "valid_server_id",
]

_SERVER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}$")


def new_server_id() -> str:
    return f"autonome-{secrets.token_hex(4)}"


def valid_server_id(text: str) -> bool:
    return bool(_SERVER_ID.match(text))


def parse_hhmm(text: str) -> time:
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise ValueError(f"not a time of day HH:MM: {text!r}")
    return time(int(m.group(1)), int(m.group(2)))


class DataDir:
    """Where one store server keeps everything."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    @property
    def db(self) -> Path:
        return self.root / "server.db"

    @property
    def settings(self) -> Path:
        return self.root / "server.json"

    @property
    def admin_token_file(self) -> Path:
        return self.root / "admin.token"

    @property
    def snapshots(self) -> Path:
        return self.root / "snapshots"

    def exists(self) -> bool:
        return self.settings.exists() and self.db.exists()

    def read_settings(self) -> dict[str, Any]:
        """server.json; a ConfigError naming the file (and the key) when it is damaged."""
        from .settings import checked_settings

        try:
            raw = json.loads(self.settings.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"{self.settings} is damaged ({e}); restore it from a backup") from e
        return checked_settings(raw, str(self.settings))

    def write_settings(self, settings: dict[str, Any]) -> None:
        data = json.dumps(settings, indent=2, sort_keys=True).encode() + b"\n"
        atomic_write(self.settings, data, shared=True)

    def admin_token(self) -> str:
        return self.admin_token_file.read_text(encoding="ascii").strip()

    def ensure_admin_token(self) -> str:
        if self.admin_token_file.exists():
            return self.admin_token()
        token = secrets.token_urlsafe(32)
        atomic_write(self.admin_token_file, token.encode() + b"\n", mode=0o600, shared=True)
        os.chmod(self.admin_token_file, 0o600)
        return token

    @property
    def signing_key_file(self) -> Path:
        return self.root / "signing.key"

    def signing_key(self) -> Ed25519PrivateKey:
        """The Ed25519 key that signs the snapshots, created (PEM, mode 0600) if absent.

        Created at `server init`; a folder initialised before snapshots were signed
        gets one the first time it is opened. Creation is exclusive (a hard link of a
        complete temp file): two processes racing keep the same key.
        """
        from appliance.protocol.signing import load_private_key, new_private_key_pem

        path = self.signing_key_file
        create_once(path, new_private_key_pem, 0o600)
        return load_private_key(path.read_bytes())

    @property
    def tls_key_file(self) -> Path:
        return self.root / "tls.key"

    @property
    def tls_cert_file(self) -> Path:
        return self.root / "tls.crt"

    def tls_certificate(self, server_id: str | None = None) -> str:
        """The PEM of the server's TLS certificate; made (and its key, mode 0600) if absent.

        Made at `server init`; a folder from before TLS gets them the first time it
        is opened (tills enrolled before then must be enrolled again: they hold no
        pin). A certificate that does not hold the key's public key is made again.
        Creation is exclusive, as for `signing.key`: two processes racing keep one key.
        """
        from appliance.protocol.tls import certificate_matches, new_key_pem, self_signed

        key_file, cert_file = self.tls_key_file, self.tls_cert_file
        create_once(key_file, new_key_pem, 0o600)
        key = key_file.read_bytes()
        if cert_file.exists() and certificate_matches(key, cert_file.read_bytes()):
            return cert_file.read_text(encoding="ascii")
        if server_id is None:
            server_id = self.read_settings()["server_id"] if self.settings.exists() else "autonome"
        cert = self_signed(key, str(server_id))
        if cert_file.exists():  # a certificate of another key: replaced
            atomic_write(cert_file, cert, shared=True)
        else:
            create_once(cert_file, lambda: cert, 0o644)
        return cert_file.read_text(encoding="ascii")

    def tls_fingerprint(self) -> str:
        """The SHA-256 fingerprint of `tls.crt` (AB:CD:...), the certificate made if absent."""
        from appliance.protocol.tls import fingerprint_of_pem

        return fingerprint_of_pem(self.tls_certificate())

    @property
    def db_url(self) -> str:
        """`db_url` from server.json if set (e.g. PostgreSQL), else the SQLite file."""
        if self.settings.exists():
            url = self.read_settings().get("db_url")
            if url:
                return str(url)
        return str(self.db)


@dataclass
class ServerConfig:
    """How to run one server process."""

    data: Path
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    mdns: bool = True
    mdns_interfaces: list[str] = field(default_factory=list)
    snapshot_at: str = "23:30"
    keep_snapshots: int = 3
    #: Seconds between two looks at the clock (nightly snapshot) and at the
    #: snapshot table (a version built by the CLI is announced in the TXT).
    tick_s: float = 2.0

    @property
    def dir(self) -> DataDir:
        return DataDir(self.data)
