"""Who may do what: facilitator keys, participant links and join codes."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import InvalidInput, NotFound
from ..i18n import N_

if TYPE_CHECKING:
    from ..db.models import Member
    from ..store import Store

FACILITATOR = "facilitator"
#: Letters and digits that cannot be mistaken for one another when read off a projector.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6

#: The server document counting wrong facilitator keys (shared by every page's kernel).
KEY_ATTEMPTS = "key_attempts"
#: This many wrong keys within ``KEY_WINDOW`` seconds close every key check for a while ...
KEY_FAILURES = 5
KEY_WINDOW = 10 * 60
#: ... for ``KEY_COOLING`` seconds, doubled at each further closing up to ``KEY_COOLING_MAX``;
KEY_COOLING = 5 * 60
KEY_COOLING_MAX = 60 * 60
#: a day without a wrong key starts the doubling again.
KEY_FORGET = 24 * 60 * 60


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


def stored_member(store: Store, member_id: int) -> Member:
    """The member as stored now, for the rules of a member's write. A page keeps the Member
    it loaded; since then the facilitator may have moved the person to another group, changed
    their role or taken them off the list, and the page's old widgets still answer messages."""
    try:
        return store.find_member(member_id)
    except NotFound:
        raise InvalidInput(N_("You are no longer on this workshop's list. Join again.")) from None


def matches_any(digest: str, hashes: list[str]) -> bool:
    """Whether ``digest`` is one of ``hashes``, compared in constant time with every one of
    them (no early exit: the time taken says nothing about which, or whether, one matched)."""
    found = False
    for known in hashes:
        found |= hmac.compare_digest(digest, known)
    return found


@dataclass(frozen=True)
class KeyCheck:
    """The answer to a facilitator key: ``reason`` is ``ok``, ``missing``, ``wrong`` or
    ``throttled`` (too many wrong keys lately: no key is accepted for ``retry_after`` s)."""

    reason: str
    retry_after: float = 0.0

    @property
    def ok(self) -> bool:
        return self.reason == "ok"

    @property
    def retry_minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))

    def message(self, _) -> str:
        """What the refused page says, in the language of ``_``."""
        if self.reason == "throttled":
            if self.retry_minutes == 1:
                return _("Too many wrong keys. Try again in a minute.")
            return _("Too many wrong keys. Try again in {n} minutes.", n=self.retry_minutes)
        if self.reason == "wrong":
            return _("That facilitator key is not valid. Open the facilitator link printed when the server started.")
        return _("This page needs the facilitator link printed when the server started.")


def cooling_seconds(closings: int) -> float:
    """How long the ``closings``-th closing in a row lasts (1, 2, … → 5, 10, 20, 40, 60 min)."""
    return float(min(KEY_COOLING_MAX, KEY_COOLING * 2 ** max(0, closings - 1)))


def _record_failure(doc: dict, now: float) -> None:
    """Count one wrong key in the attempts document (edited in place, under its row lock)."""
    if now < doc.get("closed_until", 0):
        return  # another page closed the checks meanwhile
    if now - doc.get("last_failure", now) > KEY_FORGET:
        doc["closings"] = 0
    doc["last_failure"] = now
    failures = [t for t in doc.get("failures", []) if now - t < KEY_WINDOW] + [now]
    if len(failures) >= KEY_FAILURES:
        doc["closings"] = doc.get("closings", 0) + 1
        doc["closed_until"] = now + cooling_seconds(doc["closings"])
        failures = []
    doc["failures"] = failures


class AccessService:
    def __init__(self, store: Store, clock: Callable[[], float] = time.time):
        self.store = store
        self.clock = clock

    def issue_facilitator_key(self, key: str | None = None) -> str:
        """Store the hash of ``key`` (a new random key when None) and return the key."""
        key = key or new_secret(18)
        self.store.add_facilitator_key("system", hash_secret(key))
        return key

    def is_facilitator_key(self, key: str | None) -> bool:
        """Whether ``key`` is a valid facilitator key (no counting: pages use
        :meth:`check_facilitator_key`)."""
        if not key:
            return False
        return matches_any(hash_secret(key), self.store.find_facilitator_key_hashes())

    def check_facilitator_key(self, key: str | None) -> KeyCheck:
        """Check a key a page was opened with, throttling wrong keys server-wide: after
        ``KEY_FAILURES`` wrong keys within ``KEY_WINDOW`` every check is refused for a
        cooling-off period that grows with each closing. A right key clears the count of wrong
        ones; a missing key is not counted."""
        now = self.clock()
        doc = self.store.find_server_state(KEY_ATTEMPTS)
        closed_until = doc.get("closed_until", 0)
        if now < closed_until:
            return KeyCheck("throttled", closed_until - now)
        if not key:
            return KeyCheck("missing")
        if self.is_facilitator_key(key):
            if doc.get("failures"):
                self.store.update_server_state(KEY_ATTEMPTS, _forget)
            return KeyCheck("ok")
        doc = self.store.update_server_state(KEY_ATTEMPTS, lambda d: _record_failure(d, now))
        closed_until = doc.get("closed_until", 0)
        if now < closed_until:
            return KeyCheck("throttled", closed_until - now)
        return KeyCheck("wrong")


    def unlock(self) -> bool:
        """Forget every wrong key and any cooling-off (``actionlab keys --unlock``, for a
        facilitator shut out by someone guessing). Returns whether key checks were closed."""
        was_closed = self.store.find_server_state(KEY_ATTEMPTS).get("closed_until", 0) > self.clock()
        self.store.update_server_state(KEY_ATTEMPTS, dict.clear)
        return was_closed


def _forget(doc: dict) -> None:
    """A right key: the wrong ones before it no longer count (the doubling stays)."""
    doc["failures"] = []
