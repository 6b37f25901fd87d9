"""The demo workshop: three groups with members and filled problem-restructuring canvases."""

from __future__ import annotations

from functools import lru_cache

import yaml

from .db.models import Workshop
from .paths import DATA_DIR
from .services import Workbook
from .services.access import hash_secret, new_secret
from .services.canvas import Author

DEMO_FILE = DATA_DIR / "samples" / "demo.yaml"


@lru_cache(maxsize=1)
def _demo_data() -> dict:
    with DEMO_FILE.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def find_demo(workbook: Workbook) -> Workshop | None:
    demos = [w for w in workbook.workshops.all() if w.is_demo]
    return demos[-1] if demos else None


def create_demo(workbook: Workbook, lang: str = "zh") -> Workshop:
    data = _demo_data()
    groups = data["groups"]
    ws = workbook.workshops.create(data["title"][lang], lang, len(groups), is_demo=True,
                                   actor="demo", group_names=[g["name"][lang] for g in groups],
                                   canvases=data.get("canvases", ["restructure"]))
    store = workbook.store
    for group, spec in zip(workbook.workshops.groups(ws), groups, strict=True):
        members = [
            store.add_member("demo", workshop_id=ws.id, group_id=group.id, name=m[lang],
                             token_hash=hash_secret(new_secret()), role=m.get("role", "member"))
            for m in spec["members"]
        ]
        boards = {"restructure": spec.get("cards", {})}
        boards.update({k: v for k, v in spec.items() if k in ws.canvases})
        for canvas, columns in boards.items():
            for column, cards in columns.items():
                for card in cards:
                    workbook.canvas.add_card(Author(members[card["by"]]), ws, group.id, canvas,
                                             column, card[lang])
    return ws
