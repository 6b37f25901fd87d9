"""The store's clock: naive UTC datetimes, as every timestamp column holds them."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)
