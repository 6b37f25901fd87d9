"""A group's own name beside its number, in record headings."""

from __future__ import annotations

import pytest

from actionlab.groupname import own_name


@pytest.mark.parametrize(("number", "name", "own"), [
    (1, "第1组", ""),
    (1, "第 1 组", ""),
    (1, "第1小组", ""),
    (1, "第1组 · 窗口等候", "窗口等候"),
    (2, "第2组：网上办理", "网上办理"),
    (2, "Group 2", ""),
    (2, "group 2 - Applying online", "Applying online"),
    (3, "Team 3: hand-offs", "hand-offs"),
    (1, "Group 12", "Group 12"),       # another number: the name is kept whole
    (1, "第12组", "第12组"),
    (2, "第1组 · 窗口等候", "第1组 · 窗口等候"),  # a name that says another number is kept
    (1, "窗口等候", "窗口等候"),
    (1, "  Blue team  ", "Blue team"),
    (1, "", ""),
    (1, None, ""),
])
def test_the_number_is_not_said_twice(number, name, own):
    assert own_name(number, name) == own
