"""Password hashing with scrypt, a memory-hard function from the standard library.

Encoded form: `scrypt$N$r$p$salt$hash` (salt and hash base64, unpadded), so the cost parameters
travel with each hash and can be raised later without invalidating stored passwords.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

__all__ = ["DUMMY_HASH", "SCRYPT_BYTES", "hash_password", "verify_password"]

_SCHEME = "scrypt"
# N=2^15, r=8 costs 32 MiB and ~0.15 s per check here. OWASP advises N=2^17 (128 MiB); that much on
# every uncached Basic-auth request would let a few clients exhaust a small host, so we take the
# lower cost and keep it in each hash so it can be raised per deployment later.
_N = 2**15
_R = 8
_P = 1
_SALT_BYTES = 16
_KEY_BYTES = 32
#: The memory one check at the default cost holds while it runs: 128·N·r bytes (32 MiB).
SCRYPT_BYTES = 128 * _N * _R


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    # maxmem must cover 128 * n * r bytes plus headroom, or OpenSSL refuses.
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=_KEY_BYTES, maxmem=256 * n * r + 2**20
    )


#: Checked instead when there is no user or no password, at the same cost as a real hash, so a
#: sign-in takes as long whether the user exists or not. No password derives an all-zero key.
DUMMY_HASH = f"{_SCHEME}${_N}${_R}${_P}${_b64(bytes(_SALT_BYTES))}${_b64(bytes(_KEY_BYTES))}"


def hash_password(password: str) -> str:
    """A fresh salted scrypt hash of `password`, in the encoded form above."""
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _derive(password, salt, _N, _R, _P)
    return f"{_SCHEME}${_N}${_R}${_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, encoded: str) -> bool:
    """Whether `password` matches `encoded`. A malformed or foreign hash never matches."""
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != _SCHEME:
        return False
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, expected = _unb64(parts[4]), _unb64(parts[5])
    except (ValueError, binascii.Error):
        return False
    # Refuse parameters a tampered row could use to exhaust memory or time.
    if not (2 <= n <= 2**20 and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16 and expected):
        return False
    try:
        actual = _derive(password, salt, n, r, p)
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(actual, expected)
