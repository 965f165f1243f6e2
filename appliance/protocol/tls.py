"""TLS between tills and the store server, pinned to the server's own certificate.

The server makes itself a self-signed certificate (ECDSA P-256, its own trust
anchor: basicConstraints CA) and serves HTTPS only. A till learns that
certificate at enrolment and from then on trusts it and nothing else:

- `pinned_context(cert_pem)`: OpenSSL verifies the chain against that one
  certificate, and the handshake is refused unless the server showed exactly
  it (its SHA-256 fingerprint), not merely one signed by its key. The host
  name is not checked: the server moves between addresses (mDNS), the pin
  replaces the name. Nor are the dates: a till without a real-time clock may
  boot in 1970.
- `enrolment_context(expected)`: the one unverified connection, for the
  enrolment call; with the fingerprint the integrator gave, the handshake is
  refused before the code is sent to anybody else.

A fingerprint is the SHA-256 of the certificate's DER bytes, written as
OpenSSL does (`openssl x509 -noout -fingerprint -sha256`): 32 upper-case hex
pairs joined by colons. `normalise_fingerprint` takes it with or without the
colons, in either case.

Making keys and certificates loads `cryptography`; the rest is the standard library.
"""

from __future__ import annotations

import hashlib
import re
import ssl

__all__ = [
    "CERT_YEARS",
    "PinMismatch",
    "certificate_matches",
    "der_to_pem",
    "enrolment_context",
    "fingerprint",
    "fingerprint_of_pem",
    "https_url",
    "new_certificate",
    "new_key_pem",
    "normalise_fingerprint",
    "pem_to_der",
    "pinned_context",
    "same_fingerprint",
    "self_signed",
]

CERT_YEARS = 20
#: X509_V_FLAG_NO_CHECK_TIME (OpenSSL >= 1.1): the pin, not the till's clock, decides.
_NO_CHECK_TIME = 0x200000
_HEX = re.compile(r"^[0-9a-f]{64}$")


class PinMismatch(ssl.SSLCertVerificationError):
    """The server showed a certificate other than the pinned one."""

    def __init__(self, presented: str, expected: str) -> None:
        super().__init__(1, f"certificate sha256 {presented} is not the pinned sha256 {expected}")
        self.presented = presented
        self.expected = expected
        self.verify_message = "not the pinned certificate"
        self.verify_code = 0


def fingerprint(der: bytes) -> str:
    """`AB:CD:...`: the SHA-256 of a certificate's DER bytes."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, 64, 2))


def pem_to_der(pem: str) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pem.strip() + "\n")


def der_to_pem(der: bytes) -> str:
    return ssl.DER_cert_to_PEM_cert(der)


def fingerprint_of_pem(pem: str) -> str:
    return fingerprint(pem_to_der(pem))


def normalise_fingerprint(text: str) -> str:
    """The fingerprint in its one written form; ValueError if it is not 32 hex pairs."""
    bare = re.sub(r"[\s:]", "", str(text)).lower()
    if not _HEX.match(bare):
        raise ValueError("a certificate fingerprint is 64 hex digits (SHA-256), colons allowed")
    return ":".join(bare[i : i + 2] for i in range(0, 64, 2)).upper()


def same_fingerprint(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    try:
        return normalise_fingerprint(a) == normalise_fingerprint(b)
    except ValueError:
        return False


def https_url(url: str) -> str:
    """The store server speaks HTTPS only: `http://h:p` and `h:p` become `https://h:p`."""
    url = url.strip().rstrip("/")
    if url.startswith("https://"):
        return url
    if url.startswith("http://"):
        return "https://" + url[len("http://") :]
    return "https://" + url


def _checking_socket(expected: str | None) -> type[ssl.SSLSocket]:
    """An SSLSocket class that checks the peer's certificate at the handshake."""

    class CheckedSocket(ssl.SSLSocket):
        pin = expected
        #: the certificate (DER) the peer showed at the handshake, kept after close
        peer_der: bytes | None = None

        def do_handshake(self, block: bool = False) -> None:  # type: ignore[override]
            super().do_handshake(block)
            der = self.peer_der = self.getpeercert(binary_form=True)
            if self.pin is None:
                return
            presented = fingerprint(der) if der else "none"
            if presented != self.pin:
                raise PinMismatch(presented, self.pin)

    return CheckedSocket


def pinned_context(cert_pem: str) -> ssl.SSLContext:
    """A client context that trusts exactly this certificate (see the module's text)."""
    pin = fingerprint_of_pem(cert_pem)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.verify_flags |= _NO_CHECK_TIME
    ctx.load_verify_locations(cadata=cert_pem)
    ctx.sslsocket_class = _checking_socket(pin)
    return ctx


def enrolment_context(expected: str | None = None) -> ssl.SSLContext:
    """The enrolment's context: no verification by OpenSSL; with `expected` (the
    fingerprint the integrator gave), the handshake fails on any other certificate."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.sslsocket_class = _checking_socket(normalise_fingerprint(expected) if expected else None)
    return ctx


def new_key_pem() -> bytes:
    """A new ECDSA P-256 private key, PEM (PKCS#8, unencrypted: the file is mode 0600)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def certificate_matches(key_pem: bytes, cert_pem: bytes) -> bool:
    """True when the certificate holds this key's public key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
        cert = x509.load_pem_x509_certificate(cert_pem)
    except ValueError:
        return False
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return key.public_key().public_bytes(*fmt) == cert.public_key().public_bytes(*fmt)


def self_signed(key_pem: bytes, common_name: str, *, years: int = CERT_YEARS) -> bytes:
    """The PEM of a self-signed certificate of this key, valid `years` years, a CA of
    its own (basicConstraints CA, path length 0): its own trust anchor."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = serialization.load_pem_private_key(key_pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"not an ECDSA key but {type(key).__name__}")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    now = datetime.now(UTC)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365 * years + years // 4))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(f"{common_name[:63]}.local")]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def new_certificate(common_name: str, *, years: int = CERT_YEARS) -> tuple[bytes, bytes]:
    """(key PEM, certificate PEM): a new key and its self-signed certificate."""
    key = new_key_pem()
    return key, self_signed(key, common_name, years=years)
