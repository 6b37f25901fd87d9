"""The console's survey results, as the facilitator sees them in the browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .room import console_tab

pytestmark = pytest.mark.ui


def test_the_most_chosen_answer_stands_out_and_the_counts_line_up(pages, server):
    made = server.cli("demo", "--lang", "zh")  # the demo's class has answered its needs survey
    assert made.returncode == 0, made.stderr
    console = pages.open(server.url("console", key=server.key))
    console_tab(console, "evaluation")
    table = console.locator(".wb-survey-choice").first
    expect(table).to_be_visible()
    top = table.locator("tr.wb-survey-top")
    expect(top).not_to_have_count(0)
    other = table.locator("tbody tr:not(.wb-survey-top)").first

    def background(row) -> str:
        return row.locator("td").first.evaluate("e => getComputedStyle(e).backgroundColor")

    assert background(top.first) != background(other)  # the most chosen answer is marked
    counts = table.locator("tbody td")
    assert {counts.nth(i).evaluate("e => getComputedStyle(e).textAlign")
            for i in range(counts.count())} == {"right"}  # numbers line up on their last digit
    caption = table.locator("caption")
    assert caption.evaluate("e => getComputedStyle(e).fontWeight") in ("600", "700")
    pages.shot(console, "console-survey-zh")
