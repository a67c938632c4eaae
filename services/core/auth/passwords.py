"""Password hashing for careline's own users (issue 9 §1): scrypt from the standard library.

Stored as ``scrypt$n$r$p$salt_hex$digest_hex`` (the same scheme as billing's card PINs), verified in
constant time on a worker thread. An unknown user is checked against a dummy hash so the answer takes
as long as for a known one (no user enumeration by timing).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets

SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
MIN_PASSWORD_LENGTH = 12


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=32)


async def hash_password(password: str, *, n: int = SCRYPT_N) -> str:
    salt = secrets.token_bytes(16)
    digest = await asyncio.to_thread(_scrypt, password, salt, n, SCRYPT_R, SCRYPT_P)
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


async def verify_password(password: str, stored: str | None) -> bool:
    """True when ``password`` matches ``stored``; with ``stored`` None: the same time spent, then False."""
    encoded = stored or _DUMMY
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        if scheme != "scrypt":
            return False
        actual = await asyncio.to_thread(_scrypt, password, bytes.fromhex(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return stored is not None and hmac.compare_digest(actual, bytes.fromhex(digest))


_DUMMY = f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${'00' * 16}${'00' * 32}"
