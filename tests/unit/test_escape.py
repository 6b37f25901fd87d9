"""md_escape: texts typed by people must stay plain text inside a Markdown record."""

from __future__ import annotations

import re

import pytest

from actionlab.exporters.escape import md_escape

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "[link](javascript:alert(1))",
    "![img](http://example.invalid/x.png)",
    "**bold** __bold__ *it* _it_",
    "`code` ``code``",
    "| pipe | table |",
    "# heading",
    "- item",
    "+ item",
    "* item",
    "1. first",
    "2) second",
    "> quote",
    "~~strike~~",
    "[^1] footnote",
    "<https://example.invalid>",
    "&lt;img&gt; &amp;",
    "back\\slash\\",
    "$x^2$",
    "    indented code",
    "===",
    "---",
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        (None, ""),
        ("plain text", "plain text"),
        ("中文内容，没有特殊字符。", "中文内容，没有特殊字符。"),
        ("a & b", "a &amp; b"),
        ("<b>", "&lt;b&gt;"),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        ("**bold**", r"\*\*bold\*\*"),
        ("snake_case", r"snake\_case"),
        ("`x`", r"\`x\`"),
        ("[a](b)", r"\[a\](b)"),
        ("a | b", r"a \| b"),
        ("# title", r"\# title"),
        ("C# and F#", r"C\# and F\#"),
        ("back\\slash", "back\\\\slash"),
        ("- item", r"\- item"),
        ("+ item", r"\+ item"),
        ("1. item", r"1\. item"),
        ("12) item", r"12\) item"),
        ("version 1.2 - ok", "version 1.2 - ok"),
        ("=== ", r"\==="),
        ("~~x~~", r"\~\~x\~\~"),
        ("{.class}", r"\{.class\}"),
        ("$5", r"\$5"),
        ("> quote", "&gt; quote"),
        ("  spaced  ", "spaced"),
        ("\tindented", "indented"),
    ],
)
def test_md_escape_examples(text, expected):
    assert md_escape(text) == expected


def test_newlines_become_br_and_each_line_is_escaped():
    assert md_escape("first\n- second\r\n# third\rfourth") == (
        r"first<br>\- second<br>\# third<br>fourth"
    )


def test_blank_lines_at_the_ends_are_dropped_inner_ones_kept():
    assert md_escape("\n\na\n\nb\n\n") == "a<br><br>b"


def test_unicode_line_separators_are_line_breaks():
    assert md_escape("a\u2028b\u2029c") == "a<br>b<br>c"


def test_control_characters_are_dropped():
    assert md_escape("a\x00b\x1bc\x7f") == "abc"


def test_result_is_a_single_line():
    for text in HOSTILE + ["a\nb\n\n\nc", "x\r\ny"]:
        assert "\n" not in md_escape(text)
        assert "\r" not in md_escape(text)


@pytest.mark.parametrize("text", HOSTILE)
def test_no_raw_angle_brackets_survive(text):
    escaped = md_escape(text)
    # the only "<" left is the one of a <br> we put in ourselves
    assert "<" not in escaped.replace("<br>", "")
    assert ">" not in escaped.replace("<br>", "")


def _render(markdown_text: str) -> str:
    mistune = pytest.importorskip("mistune")
    # escape=False: raw HTML passes through, like many Markdown viewers
    return mistune.create_markdown(escape=False, plugins=["strikethrough", "table", "footnotes"])(
        markdown_text
    )


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize(
    "context",
    ["{}", "- {}", "# {}", "| a | b |\n| --- | --- |\n| {} | x |", "paragraph\n{}"],
)
def test_rendered_markdown_keeps_text_plain(text, context):
    html = _render(context.format(md_escape(text)))
    tags = set(re.findall(r"</?([a-zA-Z0-9]+)", html))
    allowed = {"p", "ul", "li", "h1", "table", "thead", "tbody", "tr", "th", "td"}
    assert tags <= allowed, (text, context, html)


def test_rendered_markdown_shows_the_original_text():
    import html as htmlmod

    for text in HOSTILE:
        rendered = _render(md_escape(text))
        plain = htmlmod.unescape(re.sub(r"<[^>]+>", "", rendered)).strip()
        assert plain == text.strip(), (text, rendered)
