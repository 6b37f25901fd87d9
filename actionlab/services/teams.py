"""Teams (stage 2): the roster, groups of 4–8, roles with their duties, sub-tasks, diversity.

Size checks are warnings the facilitator may override, never refusals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import InvalidInput, LibraryError, NotFound
from ..i18n import N_
from ..library import Item, Library
from ..roster import RosterReport, read_roster
from ..text import block_text, line_text
from .access import FACILITATOR

if TYPE_CHECKING:
    from ..db.models import Member, Workshop
    from ..store import Store

GROUP_MIN, GROUP_MAX = 4, 8  # members per group, facilitator not counted
MAX_GROUPS = 5
PROFILE_FIELDS = ("unit", "department", "profession", "level", "gender", "age_band")
#: Attributes the diversity chart compares across groups (METHOD.md: membership principles).
DIVERSITY_FIELDS = ("department", "level", "profession", "gender")
#: Roles a person in a group may hold; facilitator and outside expert are not group members.
NON_MEMBER_ROLES = ("facilitator", "expert")
#: Longest value per roster column (the database column sizes).
PROFILE_LIMITS = {"unit": 120, "department": 120, "profession": 120, "level": 80, "gender": 40,
                  "age_band": 40}
MAX_SUBTASK = 400


@dataclass(frozen=True)
class Check:
    """A check the facilitator should look at (``message_id`` with ``params``)."""

    message_id: str
    params: dict

    def translated(self, _) -> str:
        """The message in ``_``'s language; a list among the params (names) is joined as that
        language writes lists."""
        return _(self.message_id, **{k: _(", ").join(v) if isinstance(v, list | tuple) else v
                                     for k, v in self.params.items()})


class TeamsService:
    def __init__(self, store: Store, library: Library):
        self.store = store
        self.library = library

    # -- roles ---------------------------------------------------------------------------
    def roles(self) -> tuple[Item, ...]:
        return self.library.items("roles")

    def role(self, key: str) -> Item:
        return self.library.item("roles", key)

    # -- changes by the facilitator ------------------------------------------------------
    def _member(self, workshop: Workshop, member_id: int) -> Member:
        try:
            member = self.store.find_member(int(member_id))
        except (NotFound, TypeError, ValueError):
            raise InvalidInput(N_("That person is not on the roster any more.")) from None
        if member.workshop_id != workshop.id:
            raise InvalidInput(N_("That person is not on the roster any more."))
        return member

    def assign(self, workshop: Workshop, member_id: int, group_id: int | None) -> Member:
        """Move a person to a group (None: not in a group yet)."""
        if group_id is not None and group_id not in {g.id for g in self.store.find_groups(workshop.id)}:
            raise InvalidInput(N_("Choose your group."))
        self._member(workshop, member_id)
        return self.store.update_member(FACILITATOR, int(member_id), group_id=group_id)

    def set_role(self, workshop: Workshop, member_id: int, role: str) -> Member:
        try:
            self.role(role)
        except LibraryError:
            raise InvalidInput(N_("Choose one of the roles.")) from None
        self._member(workshop, member_id)
        return self.store.update_member(FACILITATOR, int(member_id), role=role)

    def set_subtask(self, actor: str, workshop: Workshop, member_id: int, text: str) -> Member:
        """A member's own sub-task; the member or the facilitator writes it."""
        self._member(workshop, member_id)
        text = block_text(text)
        if len(text) > MAX_SUBTASK:
            raise InvalidInput(N_("A sub-task holds at most {n} characters."), n=MAX_SUBTASK)
        return self.store.update_member(actor, int(member_id), subtask=text or None)

    def set_profile(self, workshop: Workshop, member_id: int, **profile) -> Member:
        unknown = set(profile) - set(PROFILE_FIELDS)
        if unknown:
            raise InvalidInput(N_("Unknown roster column: {name}"), name=", ".join(sorted(unknown)))
        clean = {}
        for key, value in profile.items():
            value = line_text(value or "")
            if len(value) > PROFILE_LIMITS[key]:
                raise InvalidInput(N_("A roster entry holds at most {n} characters."),
                                   n=PROFILE_LIMITS[key])
            clean[key] = value or None
        self._member(workshop, member_id)
        return self.store.update_member(FACILITATOR, int(member_id), **clean)

    # -- checks --------------------------------------------------------------------------
    def checks(self, workshop: Workshop) -> list[Check]:
        """What the facilitator should look at: group sizes, group count, missing sub-tasks,
        people in no group, groups without a leader."""
        out: list[Check] = []
        groups = self.store.find_groups(workshop.id)
        members = [m for m in self.store.find_members(workshop.id) if m.role not in NON_MEMBER_ROLES]
        if len(groups) > MAX_GROUPS:
            out.append(Check(N_("{n} groups: a class has at most {max}."),
                                {"n": len(groups), "max": MAX_GROUPS}))
        for group in groups:
            people = [m for m in members if m.group_id == group.id]
            if not GROUP_MIN <= len(people) <= GROUP_MAX:
                out.append(Check(
                    N_("{group} has {n} members; a group works best with {low} to {high}."),
                    {"group": group.name, "n": len(people), "low": GROUP_MIN, "high": GROUP_MAX}))
            if people and not any(m.role == "group_leader" for m in people):
                out.append(Check(N_("{group} has no group leader yet."), {"group": group.name}))
        unplaced = [m.name for m in members if m.group_id is None]
        if unplaced:
            out.append(Check(N_("Not in a group yet: {names}"), {"names": unplaced}))
        no_task = [m.name for m in members if m.group_id is not None and not m.subtask]
        if no_task:
            out.append(Check(N_("No sub-task yet: {names}"), {"names": no_task}))
        return out

    def without_subtask(self, workshop: Workshop) -> list[Member]:
        return [m for m in self.store.find_members(workshop.id)
                if m.role not in NON_MEMBER_ROLES and not m.subtask]

    def diversity(self, workshop: Workshop) -> dict[int, dict[str, dict[str, int]]]:
        """Group id → attribute → value → head count (empty values counted as "")."""
        out: dict[int, dict[str, dict[str, int]]] = {}
        for m in self.store.find_members(workshop.id):
            if m.group_id is None or m.role in NON_MEMBER_ROLES:
                continue
            per = out.setdefault(m.group_id, {f: {} for f in DIVERSITY_FIELDS})
            for f in DIVERSITY_FIELDS:
                value = getattr(m, f) or ""
                per[f][value] = per[f].get(value, 0) + 1
        return out

    # -- roster import -------------------------------------------------------------------
    def read_roster(self, workshop: Workshop, data: bytes, filename: str) -> RosterReport:
        """Check a roster file (CSV or XLSX bytes) against the workshop; writes nothing."""
        return read_roster(data, filename, groups=self.store.find_groups(workshop.id),
                           roles=self.roles(), members=self.store.find_members(workshop.id))

    def import_roster(self, workshop: Workshop, data: bytes, filename: str) -> RosterReport:
        """Add everyone in a roster file, or nobody: a report with problems imports nothing.

        People come in without a device (``token_hash`` None); they claim their entry when
        they join with the same name in the same group. Raises :class:`InvalidInput` for a
        file that cannot be read at all."""
        report = self.read_roster(workshop, data, filename)
        if report.problems:
            return report
        added = self.store.add_members(FACILITATOR, workshop.id,
                                       [row.member_fields() for row in report.rows])
        report.imported = len(added)
        return report
