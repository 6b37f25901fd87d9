"""The UI contract document lists every wb- class the pages use, and the UI tests use no other."""

from __future__ import annotations

import re

from actionlab.paths import ROOT_DIR

CLASS = re.compile(r"wb-[a-z0-9_]+(?:-[a-z0-9_]+)*-?")
DOC = (ROOT_DIR / "docs" / "ui-contract.md").read_text(encoding="utf-8")
DOCUMENTED = set(re.findall(r"`\.?(wb-[a-z0-9_<>-]+)", DOC))


def documented(cls: str) -> bool:
    if cls in DOCUMENTED:
        return True
    # prefix classes such as wb-column-<key> cover wb-column-symptoms and the bare prefix
    return any(d.endswith(">") and cls.startswith(d.split("<")[0]) for d in DOCUMENTED) or any(
        d.split("<")[0] == cls for d in DOCUMENTED
    )


def classes_in(paths) -> set[str]:
    found = set()
    for path in paths:
        found |= set(CLASS.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_class_used_by_the_widgets_is_documented():
    used = classes_in((ROOT_DIR / "widgets").glob("*.py"))
    assert used, "no wb- classes found"
    missing = sorted(c for c in used if not documented(c))
    assert not missing, f"document these in docs/ui-contract.md: {missing}"


def test_browser_tests_use_only_documented_classes():
    used = classes_in((ROOT_DIR / "tests" / "ui").glob("test_*.py"))
    missing = sorted(c for c in used if not documented(c))
    assert not missing, missing


def test_pages_are_documented():
    for page in ("console.ipynb", "projector.ipynb", "participant.ipynb"):
        assert f"/voila/render/{page}" in DOC
        assert (ROOT_DIR / "notebooks" / page).exists()
