"""Who may do what: facilitator keys, participant links and join codes."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from ..store import Store

FACILITATOR = "facilitator"
#: Letters and digits that cannot be mistaken for one another when read off a projector.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret(nbytes: int = 24) -> str:
    return secrets.token_urlsafe(nbytes)


def new_join_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(code: str | None) -> str:
    """What a person typed as a join code, as stored: upper case, no spaces or dashes."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def member_actor(member_id: int) -> str:
    return f"member:{member_id}"


class AccessService:
    def __init__(self, store: Store):
        self.store = store

    def issue_facilitator_key(self, key: str | None = None) -> str:
        """Store the hash of ``key`` (a new random key when None) and return the key."""
        key = key or new_secret(18)
        self.store.add_facilitator_key("system", hash_secret(key))
        return key

    def is_facilitator_key(self, key: str | None) -> bool:
        if not key:
            return False
        digest = hash_secret(key)
        return any(hmac.compare_digest(digest, h) for h in self.store.find_facilitator_key_hashes())
