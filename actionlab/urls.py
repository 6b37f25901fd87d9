"""The page URLs of the workbook (see docs/ui-contract.md)."""

from __future__ import annotations

import re
from urllib.parse import urlencode, urlsplit, urlunsplit

from .errors import ActionlabError

PAGES = {
    "console": "console.ipynb",
    "participant": "participant.ipynb",
    "projector": "projector.ipynb",
}


def page_url(base: str, page: str, **params: str | None) -> str:
    """``base`` is the server root (``http://host:port/``); empty parameters are left out."""
    query = urlencode({k: v for k, v in params.items() if v})
    url = f"{base.rstrip('/')}/voila/render/{PAGES[page]}"
    return f"{url}?{query}" if query else url


def console_url(base: str, key: str) -> str:
    return page_url(base, "console", key=key)


def projector_url(base: str, key: str, code: str | None = None) -> str:
    return page_url(base, "projector", key=key, code=code)


def join_url(base: str, code: str | None = None) -> str:
    return page_url(base, "participant", code=code)


def member_url(base: str, code: str, token: str) -> str:
    return page_url(base, "participant", code=code, me=token)


# -- several rooms behind one address (docs/deployment.md) -----------------------------------
_PATH_CHARS = re.compile(r"[A-Za-z0-9._~/-]*")


def base_path(value: str | None) -> str:
    """The path a server's pages live under, as Voila wants it: ``/`` or ``/room1/``.

    ``room1``, ``/room1`` and ``/room1/`` are the same path; empty means ``/``. Anything but a
    plain path (a full URL, a query, ``..``, spaces) is refused."""
    text = (value or "").strip()
    parts = [part for part in text.split("/") if part]
    if not _PATH_CHARS.fullmatch(text) or any(part in {".", ".."} for part in parts):
        raise ActionlabError(f"the base URL must be a path such as /room1/, not {value!r}")
    return "/" + "".join(f"{part}/" for part in parts)


def with_base(url: str, base: str) -> str:
    """``url`` (an address ending in ``/``) with the path ``base`` added, unless its path
    already ends with it: ``https://host/`` + ``/room1/`` is ``https://host/room1/``, and so is
    ``https://host/room1/``."""
    parts = urlsplit(url)
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    if base != "/" and not path.endswith(base):
        path = path.rstrip("/") + base
    return urlunsplit(parts._replace(path=path))
