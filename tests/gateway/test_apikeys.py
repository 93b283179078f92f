from __future__ import annotations

from gateway.apikeys import API_KEY_PREFIX, generate_api_key, hash_api_key


def test_keys_are_prefixed_random_and_hashed_deterministically() -> None:
    keys = {generate_api_key() for _ in range(100)}
    assert len(keys) == 100
    key = keys.pop()
    assert key.startswith(API_KEY_PREFIX) and len(key) >= 40
    assert hash_api_key(key) == hash_api_key(key) != hash_api_key(key + "x")
    assert len(hash_api_key(key)) == 64
