"""The door of the facilitator pages (console, projector): the key in the page's link.

Wrong keys are counted server-wide (``AccessService.check_facilitator_key``); after too many
the door stays shut for a while, whatever key comes, and the page says for how long.
"""

from __future__ import annotations

import ipywidgets as w

from actionlab.services import Workbook

from .common import esc, html_box

#: Why the door stayed shut → the class of the message (docs/ui-contract.md).
REASON_CLASS = {"missing": "wb-key-missing", "wrong": "wb-key-wrong", "throttled": "wb-key-throttled"}


def key_refusal(workbook: Workbook, key: str | None, _) -> w.Widget | None:
    """None when ``key`` opens the page; else the page to show instead of it."""
    check = workbook.access.check_facilitator_key(key)
    if check.ok:
        return None
    return html_box(
        f'<div class="wb-error wb-access-denied {REASON_CLASS[check.reason]}" role="alert">'
        f'{esc(check.message(_))}</div>',
        "wb-page",
    )
