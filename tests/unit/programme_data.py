"""A programme several weeks in, built through the services on a clock the test moves by hand:
topic chosen, teams formed, meetings held, reports and reviews, a decision meeting, actions
tracked after the adoption and lessons filed — with hostile text in what people typed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from actionlab.db.models import Card, Group, Member, Workshop
from actionlab.services.canvas import FACILITATOR_AUTHOR, Author

HOSTILE = "<script>alert(1)</script>"
#: A Monday at noon (UTC): the local day is the same in every time zone a test runs in.
T0 = datetime(2027, 1, 4, 12, 0, 0)
CLOCKED = ("actionlab.store", "actionlab.services.meetings", "actionlab.services.programme")
CANVASES = ["topic", "restructure", "goals", "strategy", "actions"]


class Clock:
    """The stored-time clock; ``day(n)`` moves it to noon of day ``n`` after T0."""

    def __init__(self):
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def day(self, n: int) -> date:
        self.now = T0 + timedelta(days=n)
        return self.now.date()


def install_clock(monkeypatch) -> Clock:
    clock = Clock()
    for module in CLOCKED:
        monkeypatch.setattr(f"{module}.utcnow", clock)
    return clock


@dataclass
class Built:
    ws: Workshop
    g1: Group
    g2: Group
    ann: Member
    ben: Member
    dee: Member
    key_problem: Card  # group 1's agreed key problem (hostile text)
    old_problem: Card  # group 1's other key problem, not agreed
    goal: Card
    loose_goal: Card  # linked to nothing
    strategy: Card
    action: Card  # Ann's, linked
    loose_action: Card  # Ben's, linked to nothing


def build_programme(wb, clock: Clock, lang: str = "en") -> Built:
    clock.day(0)
    ws = wb.workshops.create("Programme", lang, 2, canvases=CANVASES)
    g1, g2 = wb.workshops.groups(ws)
    fac = FACILITATOR_AUTHOR
    topic = wb.canvas.add_card(fac, ws, g1.id, "topic", "candidates", f"Fewer return visits {HOSTILE}",
                               fields={"kind": "problem"})
    wb.canvas.decide(fac, topic.id)
    wb.canvas.add_card(fac, ws, g1.id, "topic", "candidates", "Online booking", fields={"kind": "project"})
    for text in ("One guide", "Peak hours", "Kiosk"):
        wb.canvas.add_card(fac, ws, g1.id, "topic", "subtopics", text, parent_id=topic.id)

    clock.day(3)
    ann = wb.workshops.join(ws.code, g1.id, "Ann").member
    ben = wb.workshops.join(ws.code, g1.id, "Ben").member
    clock.day(4)
    dee = wb.workshops.join(ws.code, g2.id, "<b>Dee</b>").member

    clock.day(7)
    kickoff = wb.meetings.add(ws, "Kickoff", kind="kickoff")
    ws = wb.meetings.start(ws, kickoff.id)
    old = wb.canvas.add_card(fac, ws, g1.id, "restructure", "key_problem", "Too few counters")
    key = wb.canvas.add_card(fac, ws, g1.id, "restructure", "key_problem", f"Guidance differs {HOSTILE}")
    key = wb.canvas.decide(fac, key.id)
    goal = wb.canvas.add_card(Author(ann), ws, g1.id, "goals", "goals", "One checklist",
                              parent_id=key.id)
    loose_goal = wb.canvas.add_card(Author(ben), ws, g1.id, "goals", "goals", "Shorter queues")
    strategy = wb.canvas.add_card(Author(ann), ws, g1.id, "strategy", "options", "Checklist team",
                                  parent_id=goal.id)
    action = wb.canvas.add_card(Author(ann), ws, g1.id, "actions", "actions", "Merge the lists",
                                parent_id=strategy.id,
                                fields={"owner": ann.id, "due": "2027-02-01", "status": "not_started"})
    loose_action = wb.canvas.add_card(Author(ben), ws, g1.id, "actions", "actions", "Count visitors",
                                      fields={"owner": ben.id, "due": "2027-01-20",
                                              "status": "in_progress"})
    wb.canvas.add_card(fac, ws, g2.id, "restructure", "key_problem", "Forms are hard to read")
    ws = wb.meetings.end(ws)

    clock.day(30)
    followup = wb.meetings.add(ws, "Follow-up | one", kind="group_followup")
    ws = wb.meetings.start(ws, followup.id)
    wb.progress.report(ws, ann, done=f"Collected the lists {HOSTILE}", problems="Two versions",
                       help="Ask the convener", statuses={action.id: "in_progress"},
                       notes={action.id: "half <b>done</b>"})
    wb.reflection.reflect(ws, ann, quality=4, own_part=3, improvement=f"Start on time {HOSTILE}")
    wb.reflection.reflect(ws, ben, quality=5, own_part=4, improvement="Share the agenda")
    ws = wb.meetings.end(ws)

    clock.day(40)
    other = wb.meetings.add(ws, "Study visit", kind="visit")  # a kind no template has
    ws = wb.meetings.start(ws, other.id)
    ws = wb.meetings.end(ws)
    wb.meetings.add(ws, "Not held yet", kind="group_followup")

    clock.day(50)
    decision = wb.meetings.add(ws, "Decision", kind="decision")
    ws = wb.meetings.start(ws, decision.id)
    wb.decisions.decide(ws, g1.id, "adopt", proposal="Checklist team", reasons=f"Cheap {HOSTILE}",
                        conditions="Report in three months")
    wb.decisions.decide(ws, g2.id, "revise", proposal="Plain forms", reasons="Not tested yet")
    ws = wb.meetings.end(ws)

    clock.day(60)
    wb.store.update_card("facilitator", action.id, fields={**action.fields, "status": "done"})

    clock.day(70)
    wb.reflection.add_lesson(ws, "consolidation", "Put the procedure into the rules", group_id=g1.id)
    wb.reflection.add_lesson(ws, "learning", f"Ask why first {HOSTILE}", member=ann)
    wb.reflection.add_lesson(ws, "decision", "Bring trial figures", group_id=g2.id)
    return Built(wb.store.find_workshop_by_id(ws.id), g1, g2, ann, ben, dee, key, old, goal,
                 loose_goal, strategy, wb.store.find_card(action.id), loose_action)
