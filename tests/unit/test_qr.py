"""QR codes for join links: well-formed SVG, one code per URL, a data URI that round-trips."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

import pytest

from actionlab.qr import qr_data_uri, qr_svg

URL = "http://192.168.31.57:8866/voila/render/join.ipynb?code=K7P2"


def test_svg_is_well_formed_with_svg_root():
    svg = qr_svg(URL)
    assert not svg.startswith("<?xml")
    root = ET.fromstring(svg)
    assert root.tag.rsplit("}", 1)[-1] == "svg"
    assert root.tag == "{http://www.w3.org/2000/svg}svg"  # needed when used as an image


def test_black_on_white():
    svg = qr_svg(URL).lower()
    assert "#000" in svg and "#fff" in svg


def test_scale_changes_size():
    small = ET.fromstring(qr_svg(URL, scale=2))
    large = ET.fromstring(qr_svg(URL, scale=8))
    assert int(large.get("width")) == 4 * int(small.get("width"))


def test_different_urls_give_different_svgs():
    assert qr_svg(URL) != qr_svg(URL.replace("K7P2", "M3Q9"))
    assert qr_svg(URL) == qr_svg(URL)


def test_data_uri_decodes_back_to_svg():
    uri = qr_data_uri(URL)
    prefix = "data:image/svg+xml;base64,"
    assert uri.startswith(prefix)
    assert base64.b64decode(uri[len(prefix) :]).decode("utf-8") == qr_svg(URL)


def test_empty_url_is_refused():
    with pytest.raises(ValueError):
        qr_svg("")
