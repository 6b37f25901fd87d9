"""The method's canvases in a real browser, with every device of the room open at once.

A facilitator (console), the projector and members of two groups on their own phones work
through topic choice, problem restructuring, goals, strategy and the action plan: typed fields,
links between cards, "why?" drill-down, scores, fist-to-five, private restatements and the
reveal, dot votes within a budget (also entered by proxy), the group's decisions, the strategy
map and members' sub-tasks. Everything is checked where a person in the room would notice it,
and typed HTML must stay text on every page.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect  # waits up to 20 s (tests/ui/conftest.py)

from tests.ui import room

pytestmark = pytest.mark.ui

HOSTILE = '<img src=x onerror="document.body.dataset.pwned=1">'
HOSTILE_NAME = "Dan <img src=x onerror=pwned=1>"  # names hold at most 40 characters

#: The canvases every workshop here uses; a workshop keeps the library's order.
CANVASES = ("topic", "restructure", "goals", "strategy", "actions")
TITLES = {"topic": "Topic choice", "restructure": "Problem restructuring",
          "goals": "Goal setting", "strategy": "Strategy mapping", "actions": "Action plan"}

PROJECTOR = {"width": 1600, "height": 1000}


# -- the room --------------------------------------------------------------------------------
def create_workshop(pages, server, title: str):
    """The facilitator creates a two-group workshop with all five canvases; returns the
    console page and the join code."""
    return room.create_workshop(pages, server, title, canvases=CANVASES)


def open_projector(pages, server, console):
    projector = pages.open(server.base + console.locator(".wb-projector-link").get_attribute("href"),
                           **PROJECTOR)
    expect(projector.locator(".wb-group-panel")).to_have_count(2)
    expect(projector.locator(".wb-projector-canvas button")).to_have_text(
        [TITLES[k] for k in CANVASES])
    return projector


def join(pages, server, code: str, group_index: int, name: str):
    page = room.join(pages, server, code, group_index, name)
    expect(page.locator(".wb-canvas-tabs .lm-TabBar-tab")).to_have_text(
        [TITLES[k] for k in CANVASES])
    return page


def board(page, key: str):
    """A member's board of one canvas, after switching to its tab."""
    page.locator(".wb-canvas-tabs .lm-TabBar-tab").nth(CANVASES.index(key)).click()
    found = page.locator(f".wb-canvas-{key}")
    expect(found).to_be_visible()
    return found


def project(projector, key: str) -> None:
    """The facilitator switches the projector to one canvas."""
    projector.locator(".wb-projector-canvas button").nth(CANVASES.index(key)).click()
    expect(projector.locator(f".wb-group-1 .wb-canvas-{key}")).to_be_visible()
    expect(projector.locator(f".wb-group-2 .wb-canvas-{key}")).to_be_visible()


def facilitate(console, group: str, key: str):
    """The console's canvases tab, showing one group's board of one canvas."""
    room.console_tab(console, "canvases")
    console.locator(".wb-facilitate-group select").select_option(label=group)
    console.locator(".wb-facilitate-canvas select").select_option(label=TITLES[key])
    found = console.locator(f".wb-facilitate-board .wb-canvas-{key}")
    expect(found).to_be_visible()
    return found


# -- cards -------------------------------------------------------------------------------------
def exactly(text: str) -> re.Pattern:
    return re.compile("^" + re.escape(text) + "$")


def card(scope, text: str):
    """The card whose text is exactly ``text`` (within a page, board, panel or column)."""
    page = getattr(scope, "page", scope)  # a Locator knows its page; a Page is one
    return scope.locator(".wb-card").filter(
        has=page.locator(".wb-card-text", has_text=exactly(text)))


def add_card(scope, column: str, text: str, *, choices=None, texts=None, dates=None,
             parent: str | None = None):
    """Fill a column's add form (text, choice/member selects, text and date fields, the card it
    belongs to) and add the card; returns it once it shows."""
    col = scope.locator(f".wb-column-{column}")
    form = col.locator(".wb-add")
    form.locator(".wb-add-text textarea").fill(text)
    for key, label in (choices or {}).items():
        form.locator(f".wb-field-{key} select").select_option(label=label)
    for key, value in {**(texts or {}), **(dates or {})}.items():
        box = form.locator(f".wb-field-{key} input")
        box.fill(value)
        box.press("Tab")  # text fields send their value on blur
    if parent is not None:
        form.locator(".wb-field-parent select").select_option(label=parent)
    form.locator(".wb-add-button").click()
    added = card(col, text)
    expect(added).to_have_count(1)
    expect(form.locator(".wb-add-text textarea")).to_have_value("")  # the form was cleared
    return added


def assert_safe(*pages) -> None:
    """Typed HTML stayed text everywhere: no injected image, no script ran."""
    for page in pages:
        expect(page.locator('img[src="x"]')).to_have_count(0)
        assert page.evaluate("document.body.dataset.pwned") is None, page.url
        assert page.evaluate("window.pwned") is None, page.url


# -- 1. topic choice ---------------------------------------------------------------------------
def test_topic_choice_scoring_and_sub_topics(pages, server):
    console, code = create_workshop(pages, server, "Topic choice " + HOSTILE)
    expect(console.locator(".wb-workshop-info .wb-workshop-title")).to_have_text(
        "Topic choice " + HOSTILE)
    projector = open_projector(pages, server, console)
    ana = join(pages, server, code, 0, "Ana Example")
    ben = join(pages, server, code, 0, "Ben Sample")
    cai = join(pages, server, code, 1, "Cai Example")
    a_topic, b_topic, c_topic = (board(p, "topic") for p in (ana, ben, cai))  # the first tab
    g1 = projector.locator(".wb-group-1 .wb-canvas-topic")
    g2 = projector.locator(".wb-group-2 .wb-canvas-topic")

    # -- candidates, with kind and source; one without a kind is incomplete ------------------
    chosen = "Referrals get lost between clinics"
    first = add_card(a_topic, "candidates", chosen,
                     choices={"kind": "Problem", "source": "Difficulties of the people served"})
    expect(first.locator(".wb-card-fields")).to_have_text("Kind Problem"
                                                         "Source Difficulties of the people served")
    expect(first).not_to_have_class(re.compile(r"\bwb-card-is-incomplete\b"))
    hostile = add_card(b_topic, "candidates", HOSTILE,
                       choices={"kind": "Project", "source": "Leaders' central work"})
    expect(hostile.locator(".wb-card-field-kind")).to_have_text("Kind Project")
    kindless = add_card(b_topic, "candidates", "Paper forms everywhere",
                        choices={"source": "Found in an inspection or review"})
    for scope in (b_topic, a_topic, g1):  # the author, the other member, the projector
        shown = card(scope, "Paper forms everywhere")
        expect(shown).to_have_class(re.compile(r"\bwb-card-is-incomplete\b"))
        expect(shown.locator(".wb-card-incomplete")).to_have_text("Incomplete: Kind")
    expect(kindless.locator(".wb-card-field-source")).to_have_text(
        "Source Found in an inspection or review")

    # the projector shows group 1's candidates, the hostile one as text, and not in group 2
    expect(g1.locator(".wb-column-candidates .wb-card-text")).to_have_text(
        [chosen, HOSTILE, "Paper forms everywhere"])
    expect(g2.locator(".wb-column-candidates .wb-card")).to_have_count(0)
    add_card(c_topic, "candidates", "Group two's own topic", choices={"kind": "Task"})
    expect(g2.locator(".wb-column-candidates .wb-card-text")).to_have_text(["Group two's own topic"])
    expect(g1.locator(".wb-column-candidates .wb-card")).to_have_count(3)
    expect(a_topic.locator(".wb-column-candidates .wb-card")).to_have_count(3)
    expect(c_topic.locator(".wb-column-candidates .wb-card")).to_have_count(1)

    # -- two members score the candidate; the projector's total follows --------------------
    on_projector = card(g1, chosen)
    expect(on_projector.locator(".wb-score-none")).to_be_visible()
    mine = card(a_topic, chosen)
    mine.locator(".wb-score-important select").select_option(label="5")
    expect(mine.locator(".wb-score-means")).to_have_text("Important 5.0")
    mine.locator(".wb-score-urgent select").select_option(label="4")
    expect(on_projector.locator(".wb-score-total")).to_have_text("Score 4.50")
    expect(on_projector.locator(".wb-score-raters")).to_have_text("(1 scored)")
    theirs = card(b_topic, chosen)
    theirs.locator(".wb-score-important select").select_option(label="3")
    expect(theirs.locator(".wb-score-means")).to_have_text("Important 4.0 · Urgent 4.0")
    theirs.locator(".wb-score-urgent select").select_option(label="2")
    expect(on_projector.locator(".wb-score-total")).to_have_text("Score 3.50")
    expect(on_projector.locator(".wb-score-raters")).to_have_text("(2 scored)")
    expect(on_projector.locator(".wb-score-means")).to_have_text("Important 4.0 · Urgent 3.0")
    expect(mine.locator(".wb-score-total")).to_have_text("Score 3.50")  # Ana sees it live too
    # a member's own scores stay theirs: Ana still sees her 5, not Ben's 3
    expect(mine.locator(".wb-score-important select")).to_have_value("5")
    expect(theirs.locator(".wb-score-important select")).to_have_value("3")
    on_projector.scroll_into_view_if_needed()
    pages.shot(projector, "projector-topic-scored")

    # -- the facilitator chooses the topic; members see the decision --------------------------
    expect(ana.locator(".wb-card-decide")).to_have_count(0)  # members do not decide
    desk = facilitate(console, "Group 1", "topic")
    expect(card(desk, chosen).locator(".wb-card-decide")).to_have_text("Choose this topic")
    card(desk, chosen).locator(".wb-card-decide").click()
    expect(card(desk, chosen).locator(".wb-card-decide")).to_have_text("Undo decision")
    for scope in (a_topic, b_topic, g1):
        expect(card(scope, chosen).locator(".wb-card-decided")).to_be_visible()
        expect(card(scope, chosen)).to_have_class(re.compile(r"\bwb-card-is-decided\b"))
        expect(card(scope, HOSTILE).locator(".wb-card-decided")).to_have_count(0)
    expect(c_topic.locator(".wb-card-decided")).to_have_count(0)
    pages.shot(console, "console-topic-decided")

    # -- 3 to 5 sub-topics of the chosen topic ------------------------------------------------
    subs = [
        ("Shared referral list", "Clinic A, Clinic B", HOSTILE, "One list for all referrals"),
        ("Referral owner per case", "Front desk", "Nobody follows a case", "Every case has an owner"),
        ("Patients told what happens next", "Nurses", "Patients call again and again",
         "Fewer repeat calls"),
    ]
    for i, (text, units, problems, goals) in enumerate(subs):
        for scope in (a_topic, b_topic, g1):
            expect(scope.locator(".wb-column-subtopics .wb-column-warning")).to_have_text(
                "⚠ Expected 3 to 5 cards")
        author = a_topic if i % 2 == 0 else b_topic
        sub = add_card(author, "subtopics", text, parent=chosen,
                       texts={"units": units, "problems": problems, "goals": goals})
        expect(sub.locator(".wb-card-parent")).to_have_text("↳ " + chosen)
        expect(sub).not_to_have_class(re.compile(r"\bwb-card-is-incomplete\b"))
    for scope in (a_topic, b_topic, g1):
        expect(scope.locator(".wb-column-subtopics .wb-card")).to_have_count(3)
        expect(scope.locator(".wb-column-subtopics .wb-column-warning")).to_have_count(0)
    expect(card(g1, "Shared referral list").locator(".wb-card-field-problems")).to_have_text(
        "Concrete problems " + HOSTILE)
    expect(g2.locator(".wb-column-subtopics .wb-card")).to_have_count(0)
    pages.shot(ana, "participant-topic")
    pages.shot(projector, "projector-topic")
    assert_safe(console, projector, ana, ben, cai)

    # -- on the phone, every canvas tab shows its whole title --------------------------------
    # Known product bug (left failing on purpose): the theme's rule for wrapping tabs,
    # `.wb-canvas-tabs > .lm-TabBar .lm-TabBar-tab {flex: 0 0 auto}` (actionlab.css), loses to
    # ipywidgets' more specific `.jupyter-widgets.jupyter-widget-tab > .lm-TabBar .lm-TabBar-tab
    # {flex: 0 1 144px}`, so long titles are cut ("Problem restructur").
    ana.locator(".wb-canvas-tabs .lm-TabBar-tab").first.scroll_into_view_if_needed()
    pages.shot(ana, "participant-tabs")
    cut = ana.locator(".wb-canvas-tabs .lm-TabBar-tab").evaluate_all(
        "tabs => tabs.filter(t => [t, ...t.querySelectorAll('*')].some("
        "e => e.scrollWidth > e.clientWidth + 1)).map(t => t.textContent)")
    assert cut == [], f"canvas tab titles cut off on a 420 px phone: {cut}"


# -- 2. problem restructuring -------------------------------------------------------------
def test_restructuring_why_private_restatement_votes_and_agreement(pages, server):
    console, code = create_workshop(pages, server, "Restructuring")
    projector = open_projector(pages, server, console)
    ana = join(pages, server, code, 0, "Ana Example")
    ben = join(pages, server, code, 0, "Ben Sample")
    cai = join(pages, server, code, 1, "Cai Example")
    a_res, b_res, c_res = (board(p, "restructure") for p in (ana, ben, cai))
    project(projector, "restructure")
    g1 = projector.locator(".wb-group-1 .wb-canvas-restructure")
    desk = facilitate(console, "Group 1", "restructure")

    # -- the facilitator's vote rules: 3 votes each, at most 2 on a card, named -----------
    for box, value in ((".wb-vote-budget input", "3"), (".wb-vote-cap input", "2")):
        console.locator(box).fill(value)
        console.locator(box).press("Tab")
    console.locator(".wb-vote-anonymous input").uncheck()
    console.locator(".wb-vote-save").click()
    expect(console.locator(".wb-facilitate .wb-notice")).to_have_text("Voting rules saved.")
    for scope in (a_res, b_res):
        expect(scope.locator(".wb-vote-status")).to_have_text(
            "Votes left: 3 of 3 (at most 2 per card)")

    # -- first statement, symptoms, a problem linked to a symptom ---------------------------
    original = "Patients wait too long for referrals"
    add_card(a_res, "original", original)
    symptom = "Referral letters get lost"
    add_card(a_res, "symptoms", symptom)
    add_card(b_res, "symptoms", HOSTILE)
    problem = "No one owns the referral hand-off"
    linked = add_card(b_res, "problems", problem, parent=symptom)
    expect(linked.locator(".wb-card-parent")).to_have_text("↳ " + symptom)
    expect(card(g1, problem).locator(".wb-card-parent")).to_have_text("↳ " + symptom)
    expect(card(g1, HOSTILE)).to_have_count(1)

    # -- "why?" on the problem: the answer is a cause linked to it ------------------------------
    asked = card(a_res, problem)
    asked.locator(".wb-card-why").click()
    asked.locator(".wb-why-text textarea").fill("Each clinic uses its own system")
    asked.locator(".wb-why-save").click()
    for scope in (a_res, b_res, g1):
        cause = card(scope.locator(".wb-column-causes"), "Each clinic uses its own system")
        expect(cause.locator(".wb-card-parent")).to_have_text("↳ " + problem)
    expect(asked.locator(".wb-why-text")).to_have_count(0)  # the why form closed

    # -- private restatements: each member sees only their own --------------------------------
    ana_view = "Referrals have no owner across clinics"
    ben_view = "No shared system " + HOSTILE
    add_card(a_res, "restatements", ana_view)
    add_card(b_res, "restatements", ben_view)
    for scope, own in ((a_res, ana_view), (b_res, ben_view)):
        col = scope.locator(".wb-column-restatements")
        expect(col.locator(".wb-private-count")).to_have_text("1 written privately, not revealed yet")
        expect(col.locator(".wb-card-text")).to_have_text([own])
    for scope in (g1, desk):  # the projector and the facilitator see how many, not what
        col = scope.locator(".wb-column-restatements")
        expect(col.locator(".wb-private-count")).to_have_text("2 written privately, not revealed yet")
        expect(col.locator(".wb-card")).to_have_count(0)
    expect(c_res.locator(".wb-column-restatements .wb-private-count")).to_have_count(0)
    g1.locator(".wb-column-restatements").scroll_into_view_if_needed()
    pages.shot(projector, "projector-private")

    # -- the reveal: everyone sees both, without reload ---------------------------------------
    console.locator(".wb-reveal").click()
    for scope in (a_res, b_res, g1, desk):
        col = scope.locator(".wb-column-restatements")
        expect(col.locator(".wb-card-text")).to_have_text([ana_view, ben_view])
        expect(col.locator(".wb-private-count")).to_have_count(0)
    expect(c_res.locator(".wb-column-restatements .wb-card")).to_have_count(0)  # other group

    # -- Ana votes until her budget is used up ------------------------------------------------
    hers, his = card(a_res, ana_view), card(a_res, ben_view)
    hers.locator(".wb-vote-add").click()
    expect(hers.locator(".wb-vote-count")).to_have_text("● 1")
    hers.locator(".wb-vote-add").click()
    expect(hers.locator(".wb-vote-count")).to_have_text("● 2")
    hers.locator(".wb-vote-add").click()  # over the cap of 2 per card
    expect(a_res.locator(".wb-message .wb-error")).to_have_text("At most 2 votes on one card.")
    expect(hers.locator(".wb-vote-count")).to_have_text("● 2")
    his.locator(".wb-vote-add").click()
    expect(a_res.locator(".wb-message .wb-error")).to_have_count(0)
    expect(a_res.locator(".wb-vote-status")).to_have_text("Votes left: 0 of 3 (at most 2 per card)")
    his.locator(".wb-vote-add").click()  # nothing left
    expect(a_res.locator(".wb-message .wb-error")).to_have_text(
        "All 3 votes are used. Take one back to vote again.")
    expect(his.locator(".wb-vote-count")).to_have_text("● 1")
    expect(card(b_res, ana_view).locator(".wb-vote-names")).to_have_text("Ana Example×2")
    expect(b_res.locator(".wb-vote-status")).to_have_text("Votes left: 3 of 3 (at most 2 per card)")
    pages.shot(ana, "participant-votes-used")

    # -- the facilitator enters a vote for Ben (no device at hand) ---------------------------
    expect(desk.locator(".wb-vote-status")).to_have_text("Choose whom you are voting for.")
    desk.locator(".wb-proxy-select select").select_option(label="Ben Sample")
    expect(desk.locator(".wb-vote-status")).to_have_text("Votes left: 3 of 3 (at most 2 per card)")
    card(desk, ana_view).locator(".wb-vote-add").click()
    for scope in (desk, a_res, b_res, g1):
        expect(card(scope, ana_view).locator(".wb-vote-count")).to_have_text("● 3")
    expect(card(b_res, ana_view).locator(".wb-vote-names")).to_have_text(
        "Ana Example×2, Ben Sample")
    expect(card(b_res, ana_view).locator(".wb-vote-mine")).to_have_text("yours: 1")
    expect(b_res.locator(".wb-vote-status")).to_have_text("Votes left: 2 of 3 (at most 2 per card)")
    expect(desk.locator(".wb-vote-status")).to_have_text("Votes left: 2 of 3 (at most 2 per card)")

    # -- the group agrees the key problem; the projector compares it with the first statement --
    key_problem = "Referrals have no owner"
    add_card(b_res, "key_problem", key_problem)
    expect(a_res.locator(".wb-card-decide")).to_have_count(0)
    card(desk, key_problem).locator(".wb-card-decide").click()
    for scope in (a_res, b_res, g1):
        expect(card(scope, key_problem).locator(".wb-card-decided")).to_be_visible()
    compare = g1.locator(".wb-compare")
    expect(compare.locator(".wb-compare-first li")).to_have_text([original])
    expect(compare.locator(".wb-compare-agreed li")).to_have_text([key_problem])
    expect(a_res.locator(".wb-compare .wb-compare-agreed li")).to_have_text([key_problem])
    expect(projector.locator(".wb-group-2 .wb-compare .wb-compare-agreed li.wb-empty")).to_have_count(1)
    pages.shot(projector, "projector-restructure")
    card(desk, key_problem).scroll_into_view_if_needed()
    pages.shot(console, "console-restructure")
    assert_safe(console, projector, ana, ben, cai)


# -- 3. goals, strategy map, action plan ------------------------------------------------------
def test_goals_strategy_map_and_action_plan(pages, server):
    console, code = create_workshop(pages, server, "Goals to actions")
    projector = open_projector(pages, server, console)
    ana = join(pages, server, code, 0, "Ana Example")
    ben = join(pages, server, code, 0, "Ben Sample")
    dan = join(pages, server, code, 1, HOSTILE_NAME)
    g1 = projector.locator(".wb-group-1")

    # -- the agreed key problem this group works on -------------------------------------------
    key_problem = "Referrals have no owner"
    add_card(board(ana, "restructure"), "key_problem", key_problem)
    card(facilitate(console, "Group 1", "restructure"), key_problem).locator(".wb-card-decide").click()
    expect(card(ana, key_problem).locator(".wb-card-decided")).to_be_visible()

    # -- goals: complete and linked to the key problem; one missing fields ---------------------
    a_goals, b_goals = board(ana, "goals"), board(ben, "goals")
    project(projector, "goals")
    goal = "Every referral has a named owner"
    measure = "95% of referrals tracked " + HOSTILE
    added = add_card(a_goals, "goals", goal, parent=key_problem,
                     choices={"level": "Team", "owner": "Ben Sample"},
                     texts={"measure": measure}, dates={"deadline": "2027-03-31"})
    for scope in (added, card(b_goals, goal), card(g1, goal)):
        expect(scope.locator(".wb-card-field")).to_have_text(
            ["Level Team", "Measure " + measure, "Deadline 2027-03-31", "Owner Ben Sample"])
        expect(scope.locator(".wb-card-parent")).to_have_text("↳ " + key_problem)
        expect(scope).not_to_have_class(re.compile(r"\bwb-card-is-incomplete\b"))
    vague = add_card(b_goals, "goals", "Shorter waits", choices={"level": "Individual"})
    for scope in (vague, card(a_goals, "Shorter waits"), card(g1, "Shorter waits")):
        expect(scope).to_have_class(re.compile(r"\bwb-card-is-incomplete\b"))
        expect(scope.locator(".wb-card-incomplete")).to_have_text(
            "Incomplete: Measure, Deadline, Owner")

    # -- fist-to-five on the goal: no consensus while a hand is below 3 -------------------
    for scope in (card(a_goals, goal), card(g1, goal)):
        expect(scope.locator(".wb-consensus-none")).to_be_visible()
    card(a_goals, goal).locator(".wb-score-consensus select").select_option(label="2")
    card(b_goals, goal).locator(".wb-score-consensus select").select_option(label="4")
    for scope in (card(a_goals, goal), card(b_goals, goal), card(g1, goal)):
        expect(scope.locator(".wb-consensus")).to_have_class(re.compile(r"\bwb-consensus-no\b"))
        expect(scope.locator(".wb-consensus")).to_have_text(
            "Fist to five: 2:1 4:1 · no consensus yet: lowest hand 2")
    card(a_goals, goal).locator(".wb-score-consensus select").select_option(label="3")
    for scope in (card(a_goals, goal), card(b_goals, goal), card(g1, goal)):
        expect(scope.locator(".wb-consensus")).to_have_class(re.compile(r"\bwb-consensus-yes\b"))
        expect(scope.locator(".wb-consensus")).to_have_text(
            "Fist to five: 3:1 4:1 · consensus: everyone at 3 or more")
    card(g1, goal).scroll_into_view_if_needed()
    pages.shot(projector, "projector-goals")

    # -- a strategy option for the goal, rated on impact and feasibility ----------------------
    a_strat, b_strat = board(ana, "strategy"), board(ben, "strategy")
    option = "One referral coordinator per clinic"
    add_card(b_strat, "options", option, parent=goal)
    expect(card(a_strat, option).locator(".wb-card-parent")).to_have_text("↳ " + goal)
    for scope, impact, feasibility in ((a_strat, "5", "4"), (b_strat, "4", "3")):
        rated = card(scope, option)
        rated.locator(".wb-score-impact select").select_option(label=impact)
        expect(rated.locator(".wb-score-means")).to_contain_text("Impact")
        rated.locator(".wb-score-feasibility select").select_option(label=feasibility)
        expect(rated.locator(".wb-score-means")).to_contain_text("Feasibility")
    for scope in (a_strat, b_strat):
        expect(card(scope, option).locator(".wb-score-raters")).to_have_text("(2 scored)")
        expect(card(scope, option).locator(".wb-score-means")).to_have_text(
            "Impact 4.5 · Feasibility 3.5")
        expect(card(scope, option).locator(".wb-score-total")).to_have_text("Score 4.00")

    # -- an action for the option: owner, due date, measure and status ---------------------
    a_act, b_act = board(ana, "actions"), board(ben, "actions")
    action = "Name coordinators in all clinics"
    done = add_card(a_act, "actions", action, parent=option,
                    choices={"owner": "Ana Example", "status": "In progress"},
                    texts={"measure": "Every clinic has a coordinator", "resources": "Half a day"},
                    dates={"due": "2027-01-15"})
    for scope in (done, card(b_act, action)):
        expect(scope.locator(".wb-card-field")).to_have_text(
            ["Owner Ana Example", "Due date 2027-01-15", "Resources Half a day",
             "Success measure Every clinic has a coordinator", "Status In progress"])
        expect(scope.locator(".wb-card-parent")).to_have_text("↳ " + option)
        expect(scope).not_to_have_class(re.compile(r"\bwb-card-is-incomplete\b"))

    # -- sub-tasks: Ana sets hers, Ben has none yet and is flagged ----------------------------
    project(projector, "actions")
    expect(g1.locator(".wb-no-subtask")).to_have_count(2)
    subtask = "Map the referral path " + HOSTILE
    ana.locator(".wb-my-subtask input").fill(subtask)
    ana.locator(".wb-my-subtask input").press("Tab")
    ana.locator(".wb-my-subtask-save").click()
    expect(ana.locator(".wb-my-subtask-box .wb-notice")).to_have_text("Saved.")
    for scope in (a_act, b_act, g1):
        subtasks = scope.locator(".wb-subtasks")
        expect(subtasks.locator("li")).to_have_text(
            ["Ana Example: " + subtask, "Ben Sample: no sub-task yet"])
        expect(subtasks.locator(".wb-no-subtask")).to_have_text(["Ben Sample: no sub-task yet"])
    expect(projector.locator(".wb-group-2 .wb-subtasks .wb-no-subtask")).to_have_text(
        [HOSTILE_NAME + ": no sub-task yet"])
    pages.shot(ben, "participant-actions")
    g1.locator(".wb-subtasks").scroll_into_view_if_needed()
    pages.shot(projector, "projector-actions")

    # -- the projector's strategy map: key problem → goal → option → action -------------------
    project(projector, "strategy")
    tree = g1.locator(".wb-strategy-map")
    path = [(0, key_problem), (1, goal), (2, option), (3, action)]
    for level, text in path:
        nodes = tree.locator(f".wb-map-level-{level}")
        expect(nodes).to_have_count(1)
        expect(nodes).to_contain_text(text)
    nested = tree.locator(" ".join(f".wb-map-level-{level}" for level, _t in path))
    expect(nested).to_contain_text(action)
    expect(tree.locator(".wb-map-node")).to_have_count(4)  # the incomplete goal is not linked
    expect(tree.locator(".wb-map-level-0")).to_have_class(re.compile(r"\bwb-map-decided\b"))
    expect(projector.locator(".wb-group-2 .wb-strategy-map .wb-map-node")).to_have_count(0)
    tree.scroll_into_view_if_needed()
    pages.shot(projector, "projector-strategy-map")
    expect(console.locator(".wb-roster")).to_contain_text(HOSTILE_NAME)
    expect(dan.locator(".wb-member-name")).to_have_text(HOSTILE_NAME)
    assert_safe(console, projector, ana, ben, dan)
