"""Ed25519 signatures of the snapshots: the server signs a snapshot file's bytes,
the till checks them with the public key it received at enrolment.

On the wire both are standard base64: the signature of 64 bytes, the raw
public key of 32 bytes. The private key stays on the server, PEM (PKCS#8).
Not imported by `appliance.protocol` itself: only who signs or verifies
pays for loading `cryptography`.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

__all__ = [
    "BadKey",
    "load_private_key",
    "load_public_key",
    "new_private_key_pem",
    "public_key_b64",
    "sign",
    "verify",
]


class BadKey(ValueError):
    """A key that is not an Ed25519 key in the expected encoding."""


def new_private_key_pem() -> bytes:
    """A fresh Ed25519 private key, PEM (PKCS#8, unencrypted: the file is mode 0600)."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as e:
        raise BadKey(f"not a PEM private key: {e}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise BadKey(f"not an Ed25519 key but {type(key).__name__}")
    return key


def public_key_b64(private: Ed25519PrivateKey) -> str:
    """The raw public key (32 bytes), base64: what a till keeps in till.json."""
    raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return base64.b64encode(raw).decode("ascii")


def load_public_key(b64: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(b64, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError, TypeError) as e:
        raise BadKey(f"not a base64 Ed25519 public key: {e}") from None


def sign(private: Ed25519PrivateKey, data: bytes) -> str:
    """The signature of `data`, base64."""
    return base64.b64encode(private.sign(data)).decode("ascii")


def verify(public: Ed25519PublicKey | str, data: bytes, signature_b64: str) -> bool:
    """True when `signature_b64` is this key's signature of exactly `data`.

    A malformed signature is simply not a good one (False); a malformed key
    raises BadKey, because that is the till's fault, not the snapshot's.
    """
    key = load_public_key(public) if isinstance(public, str) else public
    try:
        sig = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError, TypeError):
        return False
    if len(sig) != 64:
        return False
    try:
        key.verify(sig, data)
    except InvalidSignature:
        return False
    return True
