"""The store's calls and answers as JSON lines, between a page kernel and the store server.

Plain JSON loses what the store's values are: a date becomes a string, a tuple a list, a dict
keyed by numbers a dict keyed by strings, a row a dict. Such values travel tagged, as an object
with one key that starts with ``$``:

==========  =====================================================================
``$row``    a row of a model: ``[model, {column: value}]`` (read back as :class:`~actionlab.rows.Row`)
``$new``    a row to add (:class:`~actionlab.storetypes.NewRow`): ``[model, fields]``
``$edit``   a :class:`~actionlab.storetypes.RoomEdit`: ``[payload, rows]``
``$dt``     a datetime, ``$d`` a date, ``$tm`` a time (ISO 8601)
``$t``      a tuple, ``$s`` a set (lists)
``$map``    a dict whose keys are not all strings, or one that could be taken for a tag
==========  =====================================================================

Encoding a mapped object needs SQLAlchemy, which only the store server has; decoding never
does, so a participant's page kernel runs without it (:mod:`actionlab.remotestore`).
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Any

from .rows import Row, row_class
from .storetypes import NewRow, RoomEdit


def _columns(obj: Any) -> dict | None:
    """A mapped object's column values, or None for anything else."""
    state = getattr(obj, "_sa_instance_state", None)
    if state is None:
        return None
    return {attr.key: getattr(obj, attr.key) for attr in state.mapper.column_attrs}


def encode(value: Any) -> Any:
    """``value`` as JSON-ready data."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and not any(k.startswith("$") for k in value):
            return {k: encode(v) for k, v in value.items()}
        return {"$map": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, time):
        return {"$tm": value.isoformat()}
    if isinstance(value, tuple):
        return {"$t": [encode(v) for v in value]}
    if isinstance(value, (set, frozenset)):
        return {"$s": [encode(v) for v in value]}
    if isinstance(value, Row):
        return {"$row": [value.model, encode(dict(value.__dict__))]}
    if isinstance(value, NewRow):
        return {"$new": [value.model, encode(value.fields)]}
    if isinstance(value, RoomEdit):
        return {"$edit": [encode(value.payload), encode(list(value.rows))]}
    columns = _columns(value)
    if columns is not None:
        return {"$row": [type(value).__name__, encode(columns)]}
    raise TypeError(f"the store's wire cannot carry {type(value).__name__}")


_DECODERS = {
    "$dt": datetime.fromisoformat,
    "$d": date.fromisoformat,
    "$tm": time.fromisoformat,
    "$t": lambda items: tuple(decode(v) for v in items),
    "$s": lambda items: {decode(v) for v in items},
    "$map": lambda pairs: {decode(k): decode(v) for k, v in pairs},
    "$row": lambda pair: row_class(pair[0])(**decode(pair[1])),
    "$new": lambda pair: NewRow(pair[0], decode(pair[1])),
    "$edit": lambda pair: RoomEdit(decode(pair[0]), decode(pair[1])),
}


def decode(data: Any) -> Any:
    """The value :func:`encode` made ``data`` of (rows as :class:`~actionlab.rows.Row`)."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if isinstance(data, dict):
        if len(data) == 1:
            ((key, inner),) = data.items()
            decoder = _DECODERS.get(key)
            if decoder is not None:
                return decoder(inner)
        return {k: decode(v) for k, v in data.items()}
    return data


def dumps(message: dict) -> bytes:
    """One message as one line of UTF-8 JSON."""
    return json.dumps(encode(message), ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def loads(line: bytes) -> dict:
    return decode(json.loads(line))
