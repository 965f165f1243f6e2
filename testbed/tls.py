"""TLS for the test bed's own servers (the fake store, the cable, the tests' stubs):
certificates made like the store server's, and an HTTPS ThreadingHTTPServer.
"""

from __future__ import annotations

import atexit
import shutil
import socket
import ssl
import tempfile
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from appliance.protocol.tls import fingerprint_of_pem, new_certificate, pinned_context

__all__ = ["Certificate", "TLSServer", "from_files", "make_certificate"]

_folders: list[str] = []


@dataclass(frozen=True)
class Certificate:
    """A key and its self-signed certificate, as files (ssl loads them from files)."""

    cert_pem: str
    cert_file: Path
    key_file: Path

    @property
    def fingerprint(self) -> str:
        return fingerprint_of_pem(self.cert_pem)

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert_file, self.key_file)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        """What a till enrolled with this certificate uses."""
        return pinned_context(self.cert_pem)


def make_certificate(name: str = "srv-1") -> Certificate:
    """A new key and certificate, as `autonome server init` makes them."""
    key, cert = new_certificate(name)
    folder = Path(tempfile.mkdtemp(prefix="autonome-test-tls-"))
    _folders.append(str(folder))
    (folder / "tls.key").write_bytes(key)
    (folder / "tls.key").chmod(0o600)
    (folder / "tls.crt").write_bytes(cert)
    return Certificate(cert.decode("ascii"), folder / "tls.crt", folder / "tls.key")


def from_files(cert_file: Path, key_file: Path) -> Certificate:
    """A server's own certificate and key, e.g. from its data folder."""
    return Certificate(Path(cert_file).read_text(), Path(cert_file), Path(key_file))


@atexit.register
def _clean() -> None:
    for folder in _folders:
        shutil.rmtree(folder, ignore_errors=True)


class TLSServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that speaks HTTPS with `context`. The handshake runs in
    the request's thread (a client that never finishes it holds up nobody); a
    handshake or connection that fails is dropped without a traceback."""

    daemon_threads = True
    allow_reuse_address = True
    handshake_timeout = 10.0

    def __init__(self, address: tuple[str, int], handler: Any, context: ssl.SSLContext) -> None:
        self.context = context
        super().__init__(address, handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(self.handshake_timeout)
        request.do_handshake()
        request.settimeout(None)
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], OSError):  # ssl.SSLError is an OSError
            return
        super().handle_error(request, client_address)
