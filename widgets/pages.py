"""Entry points of the three Voila pages: read the URL, open the workbook, build the view.

The notebooks only call these functions, so they stay thin.
"""

from __future__ import annotations

import logging
import os
import sys
from urllib.parse import parse_qs

from IPython.display import display

from actionlab.errors import ActionlabError
from actionlab.i18n import normalize_lang, translator
from actionlab.preheat import preheated, wait_for_request
from actionlab.services import Workbook
from actionlab.settings import Settings

from .common import esc, html_box


def query_params(query: str | None = None) -> dict[str, str]:
    """The page's query parameters (Voila puts the query string in ``QUERY_STRING``)."""
    raw = os.environ.get("QUERY_STRING", "") if query is None else query
    return {k: v[-1] for k, v in parse_qs(raw).items() if v}


def _fatal(exc: Exception, lang: str):
    _ = translator(lang)
    return html_box(
        f'<div class="wb-error wb-fatal" role="alert">{esc(_("The workbook cannot start: {detail}", detail=str(exc)))}</div>',
        "wb-page",
    )


def _page(builder, query: str | None, *, remote: bool = False):
    """Open the workbook, then (a preheated kernel) wait for the visitor, then build the page.

    Everything that does not depend on the visitor happens first: in a preheated kernel it is
    done before anyone asks (:mod:`actionlab.preheat`), so the visitor waits only for their
    own page to be built. ``remote``: reach the store through the room's store server when
    there is one (:mod:`actionlab.remotestore`)."""
    settings = Settings.from_env()
    try:
        workbook, failure = Workbook.open(settings, remote=remote), None
    except ActionlabError as exc:
        workbook, failure = None, exc
    if query is None and preheated():
        if workbook is not None:
            try:
                workbook.warm_up()
            except ActionlabError:  # the store is away now: the page will say so when built
                pass
        if wait_for_request():
            settings = Settings.from_env()  # the request's environment is the kernel's now
    params = query_params(query)
    lang = normalize_lang(params.get("lang") or settings.default_lang)
    if failure is not None:
        return _fatal(failure, lang)
    return builder(workbook, params, settings, lang)


def console_page(query: str | None = None, show: bool = True):
    from .console import ConsolePage

    view = _page(lambda wb_, p, s, lang: ConsolePage(wb_, p, s, lang), query)
    return _show(view, show)


def participant_page(query: str | None = None, show: bool = True):
    from .participant import ParticipantPage

    # a participant's kernel reaches the store through the room's store server, if any
    view = _page(lambda wb_, p, s, lang: ParticipantPage(wb_, p, s, lang), query, remote=True)
    return _show(view, show)


def projector_page(query: str | None = None, show: bool = True):
    from .projector import ProjectorPage

    view = _page(lambda wb_, p, s, lang: ProjectorPage(wb_, p, s, lang), query)
    return _show(view, show)


def log_to_server() -> None:
    """The workbook's log of this page goes to the kernel's own standard error, which is the
    server's log: ipykernel sends ``sys.stderr`` to the page, where no one would see it."""
    logger = logging.getLogger("actionlab")
    if not any(getattr(h, "actionlab_page", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.__stderr__)
        handler.setFormatter(logging.Formatter("[actionlab page %(process)d] %(levelname)s %(message)s"))
        handler.actionlab_page = True
        logger.addHandler(handler)


def _show(view, show: bool):
    widget = getattr(view, "widget", view)
    if show:
        log_to_server()
        display(widget)
        start = getattr(view, "start", None)
        if start:
            start()
    return view


__all__ = ["console_page", "participant_page", "projector_page", "query_params"]
