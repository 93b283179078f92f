from __future__ import annotations

import pytest

from gateway.passwords import hash_password, verify_password


def test_hash_verifies_only_its_password_and_is_salted() -> None:
    first = hash_password("s3cret")
    second = hash_password("s3cret")
    assert first != second
    assert first.startswith("scrypt$") and "s3cret" not in first
    assert verify_password("s3cret", first) and verify_password("s3cret", second)
    assert not verify_password("S3cret", first)


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "plain",
        "bcrypt$1$2$3$4$5",
        "scrypt$x$8$1$AAAA$AAAA",
        "scrypt$16384$8$1$!!!$AAAA",
        "scrypt$3$8$1$AAAA$AAAA",  # N not a power of two
        "scrypt$1073741824$8$1$AAAA$AAAA",  # N large enough to exhaust memory
        "scrypt$16384$8$1$AAAA$",
    ],
)
def test_malformed_or_hostile_hashes_never_match(encoded: str) -> None:
    assert verify_password("anything", encoded) is False
