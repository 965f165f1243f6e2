"""`till.json`: who this till is (id, token, its server and its server's certificate)
and its settings."""

from __future__ import annotations

import json
import ssl
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, StrictBool, StrictInt, TypeAdapter, ValidationError, with_config

from appliance.protocol.configfile import ConfigError, first_error, reason
from appliance.protocol.tls import fingerprint_of_pem, pinned_context, same_fingerprint
from appliance.system.files import atomic_write

__all__ = ["CONFIG_NAME", "ConfigDamaged", "NotEnrolled", "Settings", "TillConfig"]

CONFIG_NAME = "till.json"


class NotEnrolled(RuntimeError):
    """The data folder holds no enrolled till."""


class ConfigDamaged(NotEnrolled):
    """The data folder's till.json is there but cannot be read (torn, empty, not JSON,
    not the shape of a till's): enrolling the till again replaces it."""


@with_config(ConfigDict(extra="forbid"))
@dataclass
class Settings:
    heartbeat_s: float = 1.0  # GET /health this often when online
    request_timeout_s: float = 1.0  # connect and read timeout of a lookup or a sale
    upload_timeout_s: float = 10.0  # read timeout of a batch upload or a snapshot download
    discovery_timeout_s: float = 3.0  # how long to look for the server at start
    #: while autonomous, how often the till checks whether its server answers again
    #: (mDNS alone is not enough: a server that was only cut off, by a cable or a
    #: switch, and never restarted does not announce itself again for minutes)
    back_probe_s: float = 5.0
    mdns_interfaces: list[str] = field(default_factory=list)  # [] = every interface
    mdns: StrictBool = True
    upload_batch: StrictInt = 500
    #: a refund above this (cents) needs a manager: the cashier is one, or a manager's PIN
    refund_manager_above: StrictInt = 5000

    @classmethod
    def from_dict(cls, data: Any, source: str = CONFIG_NAME) -> Settings:
        """The `settings` object of till.json; ConfigError naming the file and the
        key for a key unknown (misspelt) or a value of the wrong type."""
        try:
            return _SETTINGS.validate_python(data)
        except ValidationError as e:
            loc, error = first_error(e)
            why = reason(error)
            if why == "unknown key":
                why += f"; known: {', '.join(cls.__dataclass_fields__)}"
            raise ConfigError(source, ".".join(["settings", *map(str, loc)]), why) from None


_SETTINGS = TypeAdapter(Settings)


@dataclass
class TillConfig:
    till_id: int
    token: str = field(repr=False)
    server_id: str
    server_url: str | None = None
    name: str = ""
    settings: Settings = field(default_factory=Settings)
    #: The server's Ed25519 public key (base64), from enrolment: snapshots are checked
    #: with it. None for a till enrolled before snapshots were signed: it refuses them.
    signing_key: str | None = None
    #: The server's TLS certificate (PEM) and its SHA-256 fingerprint, from enrolment:
    #: the till trusts that certificate and nothing else. None for a till enrolled
    #: before the server spoke TLS: it cannot reach its server (`tls_context`).
    server_cert: str | None = field(default=None, repr=False)
    server_fingerprint: str | None = None

    def tls_context(self) -> ssl.SSLContext:
        """The context of every connection to the server: it trusts exactly the
        certificate pinned at enrolment. NotEnrolled without one (or a damaged one)."""
        context = None
        if self.server_cert:
            try:
                if same_fingerprint(fingerprint_of_pem(self.server_cert), self.server_fingerprint):
                    context = pinned_context(self.server_cert)
            except (ValueError, ssl.SSLError):  # not a PEM certificate
                context = None
        if context is None:
            raise NotEnrolled(
                "this till holds no valid certificate of its server (enrolled before the "
                "server spoke TLS, or till.json damaged): enrol it again "
                "(autonome till enroll --data DIR --code CODE)"
            )
        return context

    @classmethod
    def load(cls, data_dir: Path) -> TillConfig:
        path = Path(data_dir) / CONFIG_NAME
        if Path(data_dir).exists() and not Path(data_dir).is_dir():
            raise NotEnrolled(f"--data {data_dir} is a file, not a till's folder")
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(raw, dict):
                raise TypeError(f"a JSON {type(raw).__name__}, not an object")
            return cls(
                till_id=int(raw["till_id"]),
                token=str(raw["token"]),
                server_id=str(raw["server_id"]),
                server_url=raw.get("server_url"),
                name=str(raw.get("name", "")),
                settings=Settings.from_dict(raw.get("settings") or {}, str(path)),
                signing_key=raw.get("signing_key") or None,
                server_cert=raw.get("server_cert") or None,
                server_fingerprint=raw.get("server_fingerprint") or None,
            )
        except FileNotFoundError:
            raise NotEnrolled(
                f"no {CONFIG_NAME} in {data_dir}: enrol this till first "
                "(autonome till enroll --data DIR --code CODE)"
            ) from None
        except ConfigError:  # a setting misspelt: the file and the key are named
            raise
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            what = f"no {e}" if isinstance(e, KeyError) else str(e).splitlines()[0][:80]
            raise ConfigDamaged(
                f"{path} is damaged ({what or type(e).__name__}): this till cannot start; "
                f"enrol it again with a new code (autonome till enroll --data {data_dir} "
                "--code CODE), which keeps the damaged file as till.json.damaged"
            ) from None

    def save(self, data_dir: Path) -> None:
        body = asdict(self)
        atomic_write(
            Path(data_dir) / CONFIG_NAME,
            (json.dumps(body, indent=2) + "\n").encode(),
            mode=0o600,
        )

    def public(self) -> dict[str, Any]:
        """What may be shown or logged: everything but the token."""
        body = asdict(self)
        body.pop("token")
        return body
