"""QR codes for room mode: participants scan the join link from the projected screen.

The codes are plain SVG so they can sit inline in a widget's HTML, in an exported report or,
as a ``data:`` URI, in an ``<img>`` tag. Always a regular QR code (never a Micro QR, which
phone cameras do not read), black modules on white with a quiet zone of two modules.
"""

from __future__ import annotations

import base64
import io

import segno

BORDER = 2


def qr_svg(url: str, scale: int = 6) -> str:
    """An SVG document (no XML declaration) holding the QR code of ``url``.

    The SVG keeps its namespace so the same string works inline in HTML and as a standalone
    image. ``scale`` is the size of one module in pixels.
    """
    if not url:
        raise ValueError("qr_svg needs a non-empty URL")
    if scale < 1:
        raise ValueError("scale must be at least 1")
    code = segno.make_qr(url, error="m")
    buff = io.BytesIO()
    code.save(
        buff,
        kind="svg",
        scale=scale,
        border=BORDER,
        dark="#000000",
        light="#ffffff",
        xmldecl=False,
        svgns=True,
        nl=False,
    )
    return buff.getvalue().decode("utf-8")


def qr_data_uri(url: str, scale: int = 6) -> str:
    """The QR code of ``url`` as a ``data:image/svg+xml;base64,…`` URI for an ``<img>`` tag."""
    svg = qr_svg(url, scale=scale)
    encoded = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f"data:image/svg+xml;base64,{encoded}"
