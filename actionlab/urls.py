"""The page URLs of the workbook (see docs/ui-contract.md)."""

from __future__ import annotations

from urllib.parse import urlencode

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
