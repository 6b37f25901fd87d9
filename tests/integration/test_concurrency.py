"""Forty people writing at once, each from their own process as each page has its own kernel.

Every writer adds cards, edits its own and its group-mates' cards from the version it saw,
votes within the budget, takes votes back and deletes some of its cards, for a bounded time
(``ACTIONLAB_TEST_CONCURRENCY_SECONDS``, 4 s by default). Afterwards the store must hold every
acknowledged change exactly once, no edit may have replaced a version its writer never saw,
and the change log must count every acknowledged write once, with gapless revisions. Runs on
SQLite and on a real PostgreSQL server.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import threading
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from actionlab.errors import InvalidInput
from actionlab.services import Workbook
from actionlab.services.canvas import Author
from actionlab.settings import Settings
from tests.support.storeserver import running_store_server
from tests.support.writers import CANVAS, created, run_same_card_editor, run_writer, version

pytestmark = pytest.mark.integration

GROUPS = 5
PER_GROUP = 8
SECONDS = float(os.environ.get("ACTIONLAB_TEST_CONCURRENCY_SECONDS", "4"))
#: Change-log action of each acknowledged operation.
ACTIONS = {"add": "card.add", "edit": "card.update", "delete": "card.remove",
           "vote": "vote.add", "unvote": "vote.remove"}
#: Writers are fresh processes, none a fork of this one (no connection or engine shared with
#: the test), each opening its own workbook like a page's kernel. They are forked from
#: multiprocessing's fork server, which imported the workbook once: forty interpreters importing
#: SQLAlchemy one by one would take most of the run on two cores.
KERNELS = multiprocessing.get_context("forkserver")
KERNELS.set_forkserver_preload(["actionlab.services", "tests.support.writers"])


def _room(db_url: str, groups: int, per_group: int):
    """A workshop whose members joined through the service; returns it, their tokens by
    group, and the workbook used to set it up."""
    wb = Workbook.open(Settings(db_url=db_url), upgrade=True)
    ws = wb.workshops.create("Busy room", "en", groups, canvases=[CANVAS])
    tokens = {}
    for g, group in enumerate(wb.workshops.groups(ws), start=1):
        tokens[group.id] = [wb.workshops.join(ws.code, group.id, f"P{g}-{i}").token
                            for i in range(1, per_group + 1)]
    return wb, ws, tokens


def _finish(procs, timeout: float) -> None:
    for proc in procs:
        proc.join(timeout)
    alive = [p for p in procs if p.is_alive()]
    for proc in alive:
        proc.kill()
        proc.join(10)
    assert not alive, f"{len(alive)} writer(s) did not finish"


def _all_changes(store, after: int) -> list:
    changes, last = [], after
    while batch := store.find_changes(after=last):
        changes += batch
        last = batch[-1].revision
    return changes


@pytest.mark.parametrize("via", ["own store", "store server"])
def test_forty_writers_lose_nothing_and_never_overwrite_unseen(db_url, tmp_path, via):
    """Each writer opens the store itself, or (as participants' kernels under ``actionlab
    serve``) reaches it through the room's store server."""
    wb, ws, tokens = _room(db_url, GROUPS, PER_GROUP)
    start = wb.store.find_latest_revision()
    with contextlib.ExitStack() as stack:
        socket = ""
        if via == "store server":
            socket = stack.enter_context(running_store_server(db_url)).path
        ready, go = KERNELS.Queue(), KERNELS.Event()
        procs, outs = [], []
        for n, token in enumerate(t for group in tokens.values() for t in group):
            out = tmp_path / f"writer-{n}.json"
            outs.append(out)
            procs.append(KERNELS.Process(target=run_writer, daemon=True, args=(
                db_url, ws.code, token, 1000 + n, SECONDS, ready, go, str(out), socket)))
        for proc in procs:
            proc.start()
        for _ in procs:  # every kernel is up and has its own connection before the clock starts
            ready.get(timeout=300)
        go.set()
        _finish(procs, SECONDS + 120)

    records = [json.loads(Path(o).read_text(encoding="utf-8")) for o in outs]
    errors = [e for r in records for e in r["errors"]]
    assert not errors, errors[:5]
    acks = [dict(a, member=r["member"]) for r in records for a in r["acks"]]
    done = Counter(a["op"] for a in acks)
    refused = sum((Counter(r["refused"]) for r in records), Counter())
    busy = sum(r["busy"] for r in records)
    print(f"\n{len(records)} writers, {SECONDS:g} s: {sum(r['moves'] for r in records)} moves, "
          f"acknowledged {dict(done)}, refused {dict(refused)}, database busy {busy}")
    if not db_url.startswith("sqlite"):
        assert not busy
    assert all(done[op] for op in ACTIONS), done  # every kind of write happened

    # -- cards: every acknowledged add once, unless its deletion was acknowledged ------------------
    def named(a):  # a card's number and when it was added name it, see created()
        return a["card"], a["created"]

    added = {}
    for a in acks:
        if a["op"] == "add":
            assert named(a) not in added, a
            added[named(a)] = a
    deleted = {named(a) for a in acks if a["op"] == "delete"}
    assert deleted <= set(added)
    cards = {(c.id, created(c)): c for c in wb.canvas.cards(ws)}
    assert sorted(cards) == sorted(set(added) - deleted)
    assert not [t for t, n in Counter(c.text for c in cards.values()).items() if n > 1]
    reused = {n for n, k in Counter(card_id for card_id, _at in added).items() if k > 1}

    # -- edits: one line of versions per card, no two edits from the same version -------------------
    edits = {}  # (card, the version an edit started from) → the edit
    for a in acks:
        if a["op"] == "edit":
            assert (a["card"], a["base"]) not in edits, ("two edits won from one version", a)
            edits[(a["card"], a["base"])] = a
    for key, tip in added.items():
        while (key[0], tip["version"]) in edits:
            tip = edits.pop((key[0], tip["version"]))
        if key in cards:
            assert (cards[key].text, version(cards[key])) == (tip["text"], tip["version"])
    assert not edits, f"edits saved from versions no acknowledged write made: {edits}"

    # -- votes: what was acknowledged, within the budget and the cap ------------------------------
    # (a vote on a number SQLite handed on may have landed on the newer card: those are left
    # to the change-log count below)
    gone = {card_id for card_id, _at in deleted} | reused
    expected = Counter()
    for a in acks:
        if a["op"] in ("vote", "unvote") and a["card"] not in gone:
            expected[(a["member"], a["card"])] += 1 if a["op"] == "vote" else -1
    stored_votes = Counter((v.member_id, v.card_id) for v in wb.store.find_votes(ws.id))
    assert +Counter({k: n for k, n in stored_votes.items() if k[1] not in gone}) == +expected
    assert not -expected
    print(f"card numbers given again after a delete: {len(reused)}")
    rules = wb.voting.rules(ws, CANVAS)
    per_member = Counter()
    for (member_id, _card), n in stored_votes.items():
        per_member[member_id] += n
        assert n <= rules.cap
    assert max(per_member.values()) <= rules.budget

    # -- the change log: each acknowledged write once, revisions without gaps ---------------------
    changes = _all_changes(wb.store, start)
    assert [c.revision for c in changes] == list(range(start + 1, start + 1 + len(changes)))
    assert wb.store.find_latest_revision() == start + len(changes)
    logged = Counter((c.actor, c.action, c.entity_id if c.entity == "card" else c.payload["card_id"])
                     for c in changes)
    wanted = Counter((Author(wb.store.find_member(a["member"])).actor, ACTIONS[a["op"]], a["card"])
                     for a in acks)
    assert logged == wanted
    wb.close()


def test_a_deleted_cards_number_is_not_given_to_the_next_card(db_url):
    """A page that still shows a card someone just deleted must not act on a new card that
    took its number (vote on it, delete it, show it as edited)."""
    wb, ws, tokens = _room(db_url, 1, 1)
    group_id, (token,) = next(iter(tokens.items()))
    ann = Author(wb.workshops.resume(ws.code, token))
    first = wb.canvas.add_card(ann, ws, group_id, CANVAS, "key_problem", "first")
    wb.canvas.delete_card(ann, first.id)
    second = wb.canvas.add_card(ann, ws, group_id, CANVAS, "key_problem", "second")
    wb.close()
    assert second.id != first.id


def test_two_saves_from_one_version_one_wins_the_other_is_told(db_url, tmp_path):
    """Four members of a group save the same card from the same version at the same moment,
    round after round: exactly one save wins each round, the others get the conflict with
    the winner's text, and the card ends with the last winner's text."""
    editors, rounds = 4, 12
    wb, ws, tokens = _room(db_url, 1, editors)
    group_id, group_tokens = next(iter(tokens.items()))
    owner = wb.workshops.resume(ws.code, group_tokens[0])
    card = wb.canvas.add_card(Author(owner), ws, group_id, CANVAS, "symptoms", "first words")
    barrier = KERNELS.Barrier(editors)
    outs = [tmp_path / f"editor-{n}.json" for n in range(editors)]
    procs = [KERNELS.Process(target=run_same_card_editor, daemon=True,
                           args=(db_url, ws.code, token, card.id, rounds, barrier, str(out)))
             for token, out in zip(group_tokens, outs, strict=True)]
    for proc in procs:
        proc.start()
    _finish(procs, 300)

    records = [json.loads(o.read_text(encoding="utf-8")) for o in outs]
    assert not [e for r in records for e in r["errors"]]
    by_round = defaultdict(list)
    for r in records:
        for outcome in r["outcomes"]:
            by_round[outcome["round"]].append(outcome)
    assert sorted(by_round) == list(range(rounds))
    last = None
    for n in range(rounds):
        outcomes = by_round[n]
        assert len({o["base"] for o in outcomes}) == 1  # everyone started from one version
        winners = [o for o in outcomes if o["won"]]
        assert len(winners) == 1, outcomes
        assert all(o["theirs"] == winners[0]["text"] for o in outcomes if not o["won"])
        last = winners[0]
    stored = wb.store.find_card(card.id)
    assert (stored.text, version(stored)) == (last["text"], last["version"])
    updates = [c for c in _all_changes(wb.store, 0)
               if c.action == "card.update" and c.entity_id == card.id]
    assert len(updates) == rounds
    wb.close()


def test_taking_back_votes_from_two_devices_at_once_counts_each_dot_once(db_url):
    """One person on two devices (or with the facilitator's proxy) takes dots back at the same
    moment: every take-back that is acknowledged removes its own dot."""
    wb, ws, tokens = _room(db_url, 1, 1)
    group_id, (token,) = next(iter(tokens.items()))
    ann = Author(wb.workshops.resume(ws.code, token))
    card = wb.canvas.add_card(ann, ws, group_id, CANVAS, "key_problem", "the one")
    for _ in range(3):
        wb.voting.vote(ann, card.id)
    devices = 6
    barrier, taken = threading.Barrier(devices), []

    def take_back() -> None:
        with Workbook.open(Settings(db_url=db_url)) as device:
            barrier.wait(60)
            try:
                device.voting.unvote(ann, card.id)
                taken.append(True)
            except InvalidInput:
                pass

    threads = [threading.Thread(target=take_back) for _ in range(devices)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(taken) == 3
    assert wb.store.find_votes(ws.id) == []
    assert [c.action for c in wb.store.find_changes(workshop_id=ws.id)].count("vote.remove") == 3
    wb.close()
