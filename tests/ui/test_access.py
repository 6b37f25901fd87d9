"""Access control in a real browser against a real Voila server, the way a curious or hostile
participant would probe it: by editing the link, by sending widget messages from the browser's
console, by talking to the kernel over its websocket, and by asking the server for files.

Closing entry (a new join refused, people with a personal link still back in) is shown in
tests/ui/test_room_control.py::test_entry_lock_presence_and_moving_a_person; the server's
refusal of the database and notebooks under /voila/files also in tests/ui/test_export.py.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, quote, urlparse

import pytest
from playwright.sync_api import expect

from actionlab.i18n import translator
from actionlab.record import Scope
from actionlab.services import Workbook
from actionlab.services.access import KEY_ATTEMPTS, KEY_FAILURES
from actionlab.settings import Settings
from tests.ui.room import PHONE, create_workshop, join

pytestmark = pytest.mark.ui

#: Controls only the facilitator's pages have (each is on the console; none may be in a
#: participant's kernel, shown or not).
FACILITATOR_CONTROLS = (
    "wb-create-submit", "wb-create-toggle", "wb-entry-lock", "wb-room-controls", "wb-room-go", "wb-room-mode",
    "wb-room-reveal", "wb-timer-start", "wb-ready-ask", "wb-question-push", "wb-move-group",
    "wb-member-role", "wb-proxy-select", "wb-vote-save", "wb-roster-import", "wb-export-button",
    "wb-survey-open", "wb-meeting-start", "wb-stage-save", "wb-assess-weights-save",
)

#: Every widget model the page's kernel has sent to the browser, shown or not: id, model
#: name, CSS classes and children. The page's front end (templates/frontend/) is
#: ``window.actionlabFrontend``, with the ipywidgets manager of the page's kernel.
MODELS = """async () => {
    await window.actionlabFrontend.ready;
    const manager = window.actionlabFrontend.manager;
    const state = (await manager.get_state()).state;
    return Object.entries(state).map(([id, m]) => ({
        id, name: m.model_name, classes: m.state._dom_classes || [],
        children: (m.state.children || []).map(c => String(c).replace("IPY_MODEL_", "")),
    }));
}"""

#: Sends widget messages as the browser's own widget views would (a value typed, a button
#: clicked), then waits for the kernel's answer to a kernel_info request: the kernel handles
#: its shell messages in order, so the forged ones have been handled when it answers.
FORGE = """async (steps) => {
    const manager = window.actionlabFrontend.manager;
    for (const [id, kind, value] of steps) {
        const model = await manager.get_model(id);
        if (kind === "set") { model.set("value", value); model.save_changes(); }
        else { model.send({event: "click"}, {}); }
    }
    await manager.kernel.requestKernelInfo();
}"""

#: Asks the page's own kernel connection to run code, as Jupyter's front end would.
EXECUTE_FROM_PAGE = """async (code) => {
    const kernel = window.actionlabFrontend.kernel;
    kernel.requestExecute({code, silent: false, store_history: false});
    const info = await kernel.requestKernelInfo();
    return info.content.status;
}"""


def workbook(server) -> Workbook:
    return Workbook.open(Settings(db_url=server.db_url))


def visit(page, url: str):
    page.goto(url)
    page.wait_for_selector(".wb-page")
    return page


def status_of(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()


def classes(models) -> set[str]:
    return {c for m in models for c in m["classes"]}


def under(models, root: str, cls: str) -> str:
    """The id of the first model with class ``cls`` among ``root``'s descendants."""
    by_id = {m["id"]: m for m in models}
    todo = list(by_id[root]["children"])
    while todo:
        model = by_id[todo.pop(0)]
        if cls in model["classes"]:
            return model["id"]
        todo += model["children"]
    raise AssertionError(f"no {cls} under {root}")


def with_class(models, cls: str) -> list[str]:
    return [m["id"] for m in models if cls in m["classes"]]


def no_facilitator_powers(page) -> None:
    for cls in ("wb-create", "wb-create-toggle", "wb-room-controls", "wb-entry-lock", "wb-export-panel",
                "wb-console-tabs", "wb-projector-grid"):
        expect(page.locator(f".{cls}")).to_have_count(0)


# -- links -------------------------------------------------------------------------------------
def test_edited_links_give_no_powers_and_wrong_keys_are_throttled(pages, server):
    _console, code = create_workshop(pages, server, "Access test", groups=2)
    ann = join(pages, server, code, 0, "Ann")
    ben = join(pages, server, code, 1, "Ben")
    token = parse_qs(urlparse(ann.url).query)["me"][0]
    with workbook(server) as wb:
        ws = wb.workshops.get(code)
        other = wb.workshops.create("Another workshop", "en", 2)
        members = {m.name: m for m in wb.workshops.members(ws)}
    ben.close()

    page = pages.open(server.url("participant", code=code, me=token, key=server.key), **PHONE)
    # the facilitator's own key on a participant's link: still Ann, and nothing more
    expect(page.locator(".wb-member-name")).to_have_text("Ann")
    expect(page.locator(".wb-member-group")).to_have_text("Group 1")
    no_facilitator_powers(page)

    # Ann's token with Ben's member and group ids beside it: still Ann in group 1
    visit(page, server.url("participant", code=code, me=token, member=str(members["Ben"].id),
                           group=str(members["Ben"].group_id), name="Ben"))
    expect(page.locator(".wb-member-name")).to_have_text("Ann")
    expect(page.locator(".wb-member-group")).to_have_text("Group 1")

    # Ann's token on another workshop's link: nobody there; the page offers to join
    visit(page, server.url("participant", code=other.code, me=token))
    expect(page.locator(".wb-notice")).to_contain_text("not valid any more")
    expect(page.locator(".wb-member-name")).to_have_count(0)

    # a join link with group and member ids added: the join form, nobody chosen for you
    visit(page, server.url("participant", code=code, group=str(members["Ben"].group_id),
                           member=str(members["Ben"].id), me=""))
    expect(page.locator(".wb-join-group input[type=radio]")).to_have_count(2)
    expect(page.locator(".wb-join-group input:checked")).to_have_count(0)
    expect(page.locator(".wb-member-name")).to_have_count(0)
    no_facilitator_powers(page)

    # -- the facilitator's pages: no key, a wrong key, then too many wrong keys ----------------
    _ = translator("en")
    visit(page, server.url("console", lang="en"))
    expect(page.locator(".wb-access-denied.wb-key-missing")).to_be_visible()
    no_facilitator_powers(page)
    with workbook(server) as wb:
        assert wb.store.find_server_state(KEY_ATTEMPTS).get("failures", []) == []  # not counted
    wrong_keys = [server.key.upper(), server.key + "x", server.key[:-1], " " + server.key,
                  "' OR '1'='1"]
    for n, key in enumerate(wrong_keys[:KEY_FAILURES - 1]):
        visit(page, server.url("projector" if n % 2 else "console", key=key, code=code, lang="en"))
        expect(page.locator(".wb-access-denied.wb-key-wrong")).to_have_text(
            _("That facilitator key is not valid. Open the facilitator link printed when the server started."))
        no_facilitator_powers(page)
    visit(page, server.url("console", key=wrong_keys[-1], lang="en"))
    throttled = _("Too many wrong keys. Try again in {n} minutes.", n=5)
    expect(page.locator(".wb-access-denied.wb-key-throttled")).to_have_text(throttled)
    # now the right key too waits for the cooling-off, on every facilitator page
    for name in ("console", "projector"):
        visit(page, server.url(name, key=server.key, code=code, lang="en"))
        expect(page.locator(".wb-access-denied.wb-key-throttled")).to_have_text(throttled)
        no_facilitator_powers(page)
    # the participants are not affected
    ann.reload()
    expect(ann.locator(".wb-member-name")).to_have_text("Ann")

    # once the cooling-off is over (moved to the past here), the right key opens the console
    with workbook(server) as wb:
        wb.store.update_server_state(KEY_ATTEMPTS, lambda doc: doc.update(closed_until=0))
    visit(page, server.url("console", key=server.key, lang="en"))
    expect(page.locator(".wb-workshop-info .wb-join-code")).to_have_text(re.compile(r"^[A-Z2-9]{6}$"))
    expect(page.locator(".wb-create-toggle")).to_be_visible()


# -- widget messages ---------------------------------------------------------------------------
def texts(server, code: str, group) -> list[str]:
    with workbook(server) as wb:
        return sorted(c.text for c in wb.canvas.cards(wb.workshops.get(code), group.id))


def set_mode(server, code: str, mode: str) -> None:
    with workbook(server) as wb:
        wb.room.set_mode(wb.workshops.get(code), "restructure", mode)


def board_controls(models) -> tuple[str, str]:
    """The ids of the "new card" text and button of the symptoms column."""
    column = with_class(models, "wb-column-symptoms")
    assert len(column) == 1
    return under(models, column[0], "wb-add-text"), under(models, column[0], "wb-add-button")


def test_widget_messages_forged_in_the_browser_do_not_pass_the_rules(pages, server):
    console, code = create_workshop(pages, server, "Forged messages", groups=2)
    ann = join(pages, server, code, 0, "Ann")
    with workbook(server) as wb:
        group1 = wb.workshops.groups(wb.workshops.get(code))[0]

    # -- no facilitator control lives in a participant's kernel, shown or hidden -----------
    # (the console's controls for a member appear once its live loop has seen Ann join)
    expect(console.locator(".wb-member-role").first).to_be_attached()
    on_console = classes(console.evaluate(MODELS))
    assert set(FACILITATOR_CONTROLS) <= on_console, set(FACILITATOR_CONTROLS) - on_console
    models = ann.evaluate(MODELS)
    assert len(models) > 50  # the whole page, not an empty registry
    assert not set(FACILITATOR_CONTROLS) & classes(models)
    assert not classes(models) & {"wb-console", "wb-projector"}
    add_text, add_button = board_controls(models)

    # -- a locked step: a forged "add card" is refused by the service, not just hidden -----
    set_mode(server, code, "locked")
    expect(ann.locator(".wb-canvas-restructure.wb-step-locked")).to_be_visible()
    ann.evaluate(FORGE, [[add_text, "set", "written on a locked step"], [add_button, "click", None]])
    expect(ann.locator(".wb-canvas-restructure .wb-message .wb-error")).to_contain_text("locked")
    # ... and so is a hidden one
    set_mode(server, code, "hidden")
    expect(ann.locator(".wb-canvas-restructure.wb-step-hidden")).to_be_visible()
    ann.evaluate(FORGE, [[add_text, "set", "written on a hidden step"], [add_button, "click", None]])
    assert texts(server, code, group1) == []

    # the same messages on an open step go through: forging works, the rules stop it
    set_mode(server, code, "open")
    expect(ann.locator(".wb-canvas-restructure.wb-step-hidden")).to_have_count(0)
    ann.evaluate(FORGE, [[add_text, "set", "Ann's own card"], [add_button, "click", None]])
    expect(ann.locator(".wb-column-symptoms .wb-card-text")).to_have_text("Ann's own card")
    assert texts(server, code, group1) == ["Ann's own card"]


def test_a_moved_member_cannot_write_to_the_old_group_by_forged_messages(pages, server):
    _console, code = create_workshop(pages, server, "Moved member", groups=2)
    ann = join(pages, server, code, 0, "Ann")
    with workbook(server) as wb:
        ws = wb.workshops.get(code)
        group1, group2 = wb.workshops.groups(ws)
        ann_id = next(m.id for m in wb.workshops.members(ws) if m.name == "Ann")
    ann.locator(".wb-column-symptoms .wb-add-text textarea").fill("Ann's own card")
    ann.locator(".wb-column-symptoms .wb-add-button").click()
    expect(ann.locator(".wb-column-symptoms .wb-card-text")).to_have_text("Ann's own card")
    # a card's editor is built when first opened: Ann opens it once and closes it again
    ann.locator(".wb-column-symptoms .wb-card-edit").click()
    expect(ann.locator(".wb-column-symptoms .wb-card-editor textarea")).to_be_visible()
    ann.locator(".wb-column-symptoms .wb-card-cancel").click()
    expect(ann.locator(".wb-column-symptoms .wb-card-editor")).to_have_count(0)
    models = ann.evaluate(MODELS)
    add_text, add_button = board_controls(models)
    editing = with_class(models, "wb-card-editing")
    assert len(editing) == 1
    card_edit = with_class(models, "wb-card-edit")[0]
    editor = under(models, editing[0], "wb-card-editor")
    save = under(models, editing[0], "wb-card-save")

    # Ann is moved to group 2: her page shows group 2's board, but her old board's widgets
    # are still in her kernel; messages to them must not write to group 1 any more
    with workbook(server) as wb:
        wb.teams.assign(wb.workshops.get(code), ann_id, group2.id)
    expect(ann.locator(".wb-member-group")).to_have_text("Group 2")
    ann.evaluate(FORGE, [[add_text, "set", "into group 1 after the move"],
                         [add_button, "click", None]])
    ann.evaluate(FORGE, [[card_edit, "click", None], [editor, "set", "changed from group 2"],
                         [save, "click", None]])
    assert texts(server, code, group1) == ["Ann's own card"]
    assert texts(server, code, group2) == []


# -- code execution --------------------------------------------------------------------------
def kernel_message(msg_type: str, content: dict, session: str) -> dict:
    return {
        "header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": session,
                   "username": "", "date": datetime.now(UTC).isoformat(), "version": "5.3"},
        "parent_header": {}, "metadata": {}, "content": content, "channel": "shell", "buffers": [],
    }


@pytest.mark.refused_messages
def test_code_sent_to_a_kernel_from_the_browser_never_runs(pages, server, tmp_path):
    from websockets.sync.client import connect

    _console, code = create_workshop(pages, server, "No code", groups=1)
    ann = join(pages, server, code, 0, "Ann")
    kernel = ann.evaluate("JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")
    assert re.fullmatch(r"[0-9a-f-]{36}", kernel)
    # the server lists no kernels and no sessions to anyone
    for path in ("/api/kernels", "/api/sessions", "/api/kernelspecs", "/api/terminals"):
        assert status_of(server.base + path)[0] == 404, path

    # over a websocket of our own, as any script could open one
    marker = tmp_path / "ran-over-the-websocket"
    session = uuid.uuid4().hex
    url = f"ws://127.0.0.1:{server.port}/api/kernels/{kernel}/channels?session_id={session}"
    execute = kernel_message("execute_request", {
        "code": f"import pathlib; pathlib.Path({str(marker)!r}).write_text('ran')",
        "silent": False, "store_history": False, "user_expressions": {}, "allow_stdin": False,
        "stop_on_error": True}, session)
    info = kernel_message("kernel_info_request", {}, session)
    answers: dict[str, list[str]] = {execute["header"]["msg_id"]: [], info["header"]["msg_id"]: []}
    with connect(url, open_timeout=60, max_size=None) as ws:
        ws.send(json.dumps(execute))
        ws.send(json.dumps(info))  # handled after the execute request, had it reached the kernel
        while "kernel_info_reply" not in answers[info["header"]["msg_id"]]:
            raw = ws.recv(timeout=60)
            if isinstance(raw, bytes):
                continue  # widget messages with binary buffers: not an answer to us
            message = json.loads(raw)
            parent = message.get("parent_header", {}).get("msg_id")
            if parent in answers:
                answers[parent].append(message["header"]["msg_type"])
    assert answers[execute["header"]["msg_id"]] == []  # no reply, no output, not even "busy"
    assert not marker.exists()

    # through the page's own kernel connection, as Jupyter's front end would send it
    marker = tmp_path / "ran-from-the-page"
    status = ann.evaluate(EXECUTE_FROM_PAGE, f"import pathlib; pathlib.Path({str(marker)!r}).write_text('ran')")
    assert status == "ok"  # the kernel answered the request after it: it is alive
    assert not marker.exists()
    # and the page still works
    ann.locator(".wb-column-symptoms .wb-add-text textarea").fill("still here")
    ann.locator(".wb-column-symptoms .wb-add-button").click()
    expect(ann.locator(".wb-column-symptoms .wb-card-text")).to_have_text("still here")


# -- files -------------------------------------------------------------------------------------
def test_no_store_backup_or_notebook_is_served_and_only_the_pages_render(pages, server):
    made = server.cli("demo", "--lang", "en")
    assert made.returncode == 0, made.stderr
    code = made.stdout.strip().splitlines()[0]
    db_file = Path(server.db_url.removeprefix("sqlite:///"))
    backups = server.root / "data" / "backups"
    backups.mkdir(parents=True, exist_ok=True)
    with workbook(server) as wb:
        backup = wb.records.export(code, "json", backups, Scope())
    notebooks = Path(__file__).resolve().parents[2] / "notebooks"
    secrets = {db_file: db_file.read_bytes()[:16], backup: backup.read_bytes()[:40],
               notebooks / "analysis.ipynb": b"pandas"}
    assert secrets[db_file] == b"SQLite format 3\x00"

    paths = []
    for target in (db_file, backup, notebooks / "analysis.ipynb", notebooks / "console.ipynb"):
        absolute, name = target.as_posix(), target.name
        paths += [f"/voila/files{absolute}", f"/files{absolute}", f"/voila/files/{name}",
                  f"/files/{name}", f"/voila/files/..{absolute}", f"/api/contents{absolute}",
                  f"/api/contents/{name}", f"/notebooks/{name}", f"/tree/{name}",
                  f"/voila/files/%2e%2e/%2e%2e{quote(absolute)}", f"/voila/render{absolute}",
                  f"/voila/static/..%2f..%2f{name}", f"/voila/templates/actionlab/static/../../{name}"]
    paths += ["/voila/files/../data/backups/" + backup.name, "/voila/files/backups/" + backup.name,
              "/api/contents", "/tree", "/lab", "/lab/tree", "/notebooks", "/edit/console.ipynb",
              "/voila/render/analysis.ipynb", "/voila/render/./console.ipynb",
              "/voila/render/notebooks/../analysis.ipynb", "/voila/render/%2e%2e/pyproject.toml",
              "/voila/render/Console.ipynb"]
    for path in paths:
        status, body = status_of(server.base + path)
        # Voila's template-static handler answers a path that leaves its folder with 500
        # (its own assertion fails): refused too, with nothing of the file
        voila_quirk = path.startswith("/voila/templates/") and status == 500
        assert status in (403, 404) or voila_quirk, (path, status)
        for secret in secrets.values():
            assert secret not in body, path

    # Voila's own listing shows the three pages and nothing else; its content API no bytes
    status, body = status_of(server.base + "/voila/api/contents")
    assert status == 200
    listed = sorted(item["name"] for item in json.loads(body)["content"])
    assert listed == ["console.ipynb", "participant.ipynb", "projector.ipynb"]
    status, body = status_of(server.base + "/voila/api/contents/console.ipynb")
    assert json.loads(body)["content"] is None and b"widgets.pages" not in body

    # the three pages render; the analysis notebook is for JupyterLab only
    page = pages.open(server.url("participant", code=code), **PHONE)
    expect(page.locator(".wb-join-group")).to_be_visible()
    page.goto(server.base + "/voila/render/analysis.ipynb")
    expect(page.locator(".wb-page")).to_have_count(0)
    expect(page.locator("body")).to_contain_text("404")
