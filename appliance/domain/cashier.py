"""Cashier PINs, stored only as salted PBKDF2 hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["hash_pin", "verify_pin"]

_ITERATIONS = 60_000


def hash_pin(pin: str, salt: str | None = None, iterations: int = _ITERATIONS) -> str:
    if not pin.isdigit() or not 4 <= len(pin) <= 8:
        raise ValueError("a PIN is 4 to 8 digits")
    salt = salt or secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), iterations).hex()
    return f"pbkdf2_sha256${iterations}${salt}${digest}"


def verify_pin(pin: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, digest = stored.split("$")
        if scheme != "pbkdf2_sha256":
            return False
        got = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), int(iterations)).hex()
    except (ValueError, AttributeError):
        return False
    return hmac.compare_digest(got, digest)
