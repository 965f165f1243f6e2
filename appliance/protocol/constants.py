"""Constants of the till-server protocol."""

from __future__ import annotations

__all__ = [
    "API_PREFIX",
    "API_VERSION",
    "DEFAULT_PORT",
    "MAX_BATCH",
    "MAX_BODY",
    "SERVICE_TYPE",
    "SNAPSHOT_SHA_HEADER",
    "SNAPSHOT_SIGNATURE_HEADER",
    "TILL_LAST_SEQ_HEADER",
    "TILL_TIME_HEADER",
]

API_VERSION = "v1"
API_PREFIX = f"/api/{API_VERSION}"
SERVICE_TYPE = "_autonome._tcp.local."
DEFAULT_PORT = 8470
#: Largest request body the server reads (8 MiB); more gets 413.
MAX_BODY = 8 * 1024 * 1024
#: Most records in one outbox upload; more gets 413.
MAX_BATCH = 2000
SNAPSHOT_SHA_HEADER = "X-Snapshot-Sha256"
#: The server's Ed25519 signature of the snapshot file's bytes, base64.
SNAPSHOT_SIGNATURE_HEADER = "X-Snapshot-Signature"
TILL_LAST_SEQ_HEADER = "X-Till-Last-Seq"
#: The till's wall clock (ISO 8601 with its time zone), sent with its health checks.
TILL_TIME_HEADER = "X-Till-Time"
