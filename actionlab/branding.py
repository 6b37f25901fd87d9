"""An organisation's branding on every exported record: its name, a header line and a logo,
taken from the settings (``ACTIONLAB_BRAND_NAME``, ``ACTIONLAB_BRAND_HEADER``,
``ACTIONLAB_BRAND_LOGO``). See docs/records.md.
"""

from __future__ import annotations

from pathlib import Path

from .errors import InvalidInput
from .i18n import N_
from .record import Branding
from .settings import Settings

#: Largest logo file accepted (bytes): a logo is a small picture.
LOGO_LIMIT = 2 * 1024 * 1024
#: File signatures of the picture formats every export format can show.
SIGNATURES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
TEXT_LIMIT = 120


def logo_type(data: bytes) -> str | None:
    """The media type of a PNG or JPEG picture, else None."""
    for magic, media in SIGNATURES.items():
        if data.startswith(magic):
            return media
    return None


def load_logo(path: str | Path) -> tuple[bytes, str]:
    """A logo file's bytes and media type; a clear error for a missing, large or odd file."""
    path = Path(path).expanduser()
    try:
        size = path.stat().st_size
        if size > LOGO_LIMIT:
            raise InvalidInput(N_("The logo {file} is too large (at most 2 MB)."), file=path.name)
        data = path.read_bytes()
    except OSError:
        raise InvalidInput(N_("The logo file {file} cannot be read."), file=str(path)) from None
    media = logo_type(data)
    if media is None:
        raise InvalidInput(N_("The logo {file} is not a PNG or JPEG picture."), file=path.name)
    return data, media


def _line(text: str) -> str:
    return " ".join((text or "").split())[:TEXT_LIMIT]


def branding(settings: Settings) -> Branding:
    """The branding the settings ask for (empty when none is set)."""
    logo, media = (None, "image/png")
    if settings.brand_logo:
        logo, media = load_logo(settings.brand_logo)
    return Branding(name=_line(settings.brand_name), header=_line(settings.brand_header),
                    logo=logo, logo_type=media)
