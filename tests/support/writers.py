"""Writers for the concurrency tests, each run in its own process as a page's kernel would be.

A writer opens its own workbook on the shared database, comes back as its member through the
personal link's token, waits for the common start and then works on its group's board. It
writes down every change the workbook acknowledged (returned without error), with the card
versions it started from and got back, and counts what was refused; the test compares that
record with the store afterwards.
"""

from __future__ import annotations

import json
import random
import time
import traceback
from collections import Counter
from pathlib import Path

#: The columns writers use: one for plain cards, one that takes votes.
COLUMNS = ("symptoms", "key_problem")
CANVAS = "restructure"
#: Weights of what a writer does next.
MOVES = {"add": 30, "edit": 25, "edit_other": 10, "vote": 20, "unvote": 5, "delete": 10}
#: Every writer's first moves, whatever the time (a slow machine still sees every kind of
#: write, all writers doing the same at about the same moment).
OPENING = ("add", "add", "vote", "edit", "edit_other", "vote", "unvote", "delete")


def version(card) -> str:
    """A card's version: the time of its last save (what an editor starts from)."""
    return card.updated_at.isoformat()


def created(card) -> str:
    """When a card was added: with its number, it names the card even where SQLite gives a
    deleted card's number to the next new one."""
    return card.created_at.isoformat()


def _refusal(exc) -> str:
    return getattr(exc, "message_id", None) or f"{type(exc).__name__}: {exc}"


def run_writer(db_url: str, code: str, token: str, seed: int, seconds: float, ready, go,
               out: str, store_socket: str = "") -> None:
    """Write for ``seconds`` after ``go`` is set; the record goes to the JSON file ``out``.
    With ``store_socket``, through that store server, as a participant's page kernel does."""
    from actionlab.errors import Conflict, InvalidInput, StoreError
    from actionlab.services import Workbook
    from actionlab.services.canvas import Author, EditConflict
    from actionlab.settings import Settings

    record: dict = {"acks": [], "refused": Counter(), "busy": 0, "errors": [], "moves": 0}
    rng = random.Random(seed)
    # its own engine, like another kernel; or the room's store server, like a participant's
    wb = Workbook.open(Settings(db_url=db_url, store_socket=store_socket), remote=bool(store_socket))
    try:
        workshop = wb.workshops.get(code)
        member = wb.workshops.resume(code, token)
        author = Author(member)
        record["member"] = member.id
        mine: dict[int, object] = {}  # my cards → the version I last saw
        my_votes: Counter = Counter()  # card → my dots, as acknowledged
        serial = 0
        ready.put(member.id)
        if not go.wait(300):
            raise RuntimeError("no start signal")
        deadline = time.monotonic() + seconds

        def ack(op: str, **details) -> None:
            record["acks"].append({"op": op, **details})

        while record["moves"] < len(OPENING) or time.monotonic() < deadline:
            if record["moves"] < len(OPENING):
                move = OPENING[record["moves"]]
            else:
                move = rng.choices(list(MOVES), weights=list(MOVES.values()))[0]
            if move in ("edit", "delete") and not mine:
                move = "add"
            if move == "unvote" and not +my_votes:
                move = "vote"
            serial += 1
            record["moves"] += 1
            text = f"{member.name} #{serial} 卡片 ✓"
            try:
                if move == "add":
                    column = COLUMNS[len(mine) % 2] if serial <= 2 else rng.choice(COLUMNS)
                    card = wb.canvas.add_card(author, workshop, member.group_id, CANVAS,
                                              column, text)
                    mine[card.id] = card
                    ack("add", card=card.id, created=created(card), text=text,
                        version=version(card))
                elif move in ("edit", "edit_other"):
                    if move == "edit":
                        base = mine[rng.choice(sorted(mine))]
                    else:
                        others = [c for c in wb.canvas.cards(workshop, member.group_id, CANVAS)
                                  if c.author_id != member.id]
                        if not others:
                            continue
                        base = rng.choice(others)
                    try:
                        card = wb.canvas.edit_card(author, base.id, text, base=base)
                    except EditConflict as exc:
                        if base.id in mine:
                            mine[base.id] = exc.current  # as the editor would: theirs is shown
                        raise
                    if card.id in mine:
                        mine[card.id] = card
                    ack("edit", card=card.id, text=text, base=version(base),
                        version=version(card))
                elif move == "vote":
                    targets = [c for c in wb.canvas.cards(workshop, member.group_id, CANVAS)
                               if c.column == "key_problem"]
                    if not targets:
                        continue
                    card = rng.choice(targets)
                    wb.voting.vote(author, card.id)
                    my_votes[card.id] += 1
                    ack("vote", card=card.id)
                elif move == "unvote":
                    card_id = rng.choice(sorted(+my_votes))
                    my_votes[card_id] -= 1  # gone either way: taken back, or with its card
                    wb.voting.unvote(author, card_id)
                    ack("unvote", card=card_id)
                else:
                    card_id = rng.choice(sorted(mine))
                    wb.canvas.delete_card(author, card_id)
                    ack("delete", card=card_id, created=created(mine.pop(card_id)))
            except (InvalidInput, Conflict) as exc:
                record["refused"][_refusal(exc)] += 1
            except StoreError as exc:
                if "database is locked" in str(exc):
                    # SQLite's busy timeout ran out while others wrote: refused with a message,
                    # nothing written (the change-log count checks that)
                    record["busy"] += 1
                else:
                    record["errors"].append(f"{move}: {type(exc).__name__}: {exc}")
            except Exception as exc:  # noqa: BLE001 - every other failure is a finding
                record["errors"].append(f"{move}: {type(exc).__name__}: {exc}")
    except BaseException:  # noqa: BLE001 - reported to the test through the record
        record["errors"].append(traceback.format_exc())
    finally:
        wb.close()
        Path(out).write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")


def run_same_card_editor(db_url: str, code: str, token: str, card_id: int, rounds: int, barrier,
                         out: str) -> None:
    """Edit one card in ``rounds`` rounds together with the others at ``barrier``: everyone
    reads the card, then all save their own text from that same version at once."""
    from actionlab.services import Workbook
    from actionlab.services.canvas import Author, EditConflict
    from actionlab.settings import Settings

    outcomes: list[dict] = []
    errors: list[str] = []
    wb = Workbook.open(Settings(db_url=db_url))
    try:
        member = wb.workshops.resume(code, token)
        author = Author(member)
        for n in range(rounds):
            base = wb.store.find_card(card_id)
            text = f"{member.name} round {n}"
            barrier.wait(120)  # everyone holds the same version now
            try:
                saved = wb.canvas.edit_card(author, card_id, text, base=base)
                outcomes.append({"round": n, "won": True, "text": text, "base": version(base),
                                 "version": version(saved)})
            except EditConflict as exc:
                outcomes.append({"round": n, "won": False, "text": text, "base": version(base),
                                 "theirs": exc.current.text})
            except Exception as exc:  # noqa: BLE001 - a finding, reported below
                errors.append(f"round {n}: {type(exc).__name__}: {exc}")
            barrier.wait(120)  # the round is over for everyone before anyone reads again
    except BaseException:  # noqa: BLE001 - reported to the test through the record
        errors.append(traceback.format_exc())
        barrier.abort()
    finally:
        wb.close()
        Path(out).write_text(json.dumps({"outcomes": outcomes, "errors": errors},
                                        ensure_ascii=False), encoding="utf-8")
