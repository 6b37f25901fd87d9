"""The method library in data/: every file loads, counts and keys are right, bad files fail."""

from __future__ import annotations

import re

import pytest
import yaml

from actionlab.errors import LibraryError
from actionlab.library import Library
from actionlab.paths import DATA_DIR

METHOD_FILES = sorted((DATA_DIR / "method").glob("*.yaml"))
CANVAS_FILES = sorted((DATA_DIR / "canvases").glob("*.yaml"))

EXPECTED_COUNTS = {"stages": 6, "roles": 7, "steps": 10, "rules": 10}


@pytest.fixture(scope="module")
def library() -> Library:
    return Library(DATA_DIR)


def _assert_text(text, where):
    assert text.zh.strip(), f"{where}: empty zh"
    assert text.en.strip(), f"{where}: empty en"


def test_data_folders_are_not_empty():
    names = {p.stem for p in METHOD_FILES}
    assert set(EXPECTED_COUNTS) | {"criteria", "principles"} <= names
    assert CANVAS_FILES


@pytest.mark.parametrize("path", METHOD_FILES, ids=lambda p: p.name)
def test_method_file_loads_with_both_languages(library, path):
    assert path.read_text(encoding="utf-8").startswith("#"), "start with a comment line"
    items = library.items(path.stem)
    assert items, f"{path.name} has no items"
    for item in items:
        _assert_text(item.title, f"{path.name}:{item.key} title")
        _assert_text(item.body, f"{path.name}:{item.key} body")
    keys = [item.key for item in items]
    assert len(keys) == len(set(keys)), f"{path.name}: duplicate keys"


@pytest.mark.parametrize("name,count", sorted(EXPECTED_COUNTS.items()))
def test_counts(library, name, count):
    assert len(library.items(name)) == count


def test_criteria_has_at_least_six_core_tests(library):
    keys = [c.key for c in library.items("criteria")]
    assert len(keys) >= 6
    assert keys[:6] == ["important", "urgent", "complex", "feasible", "specific", "timely"]


def test_stage_and_role_keys(library):
    assert [s.key for s in library.items("stages")] == [
        "topic", "teams", "learning", "decision", "tracking", "consolidation",
    ]  # fmt: skip
    assert [r.key for r in library.items("roles")] == [
        "convener", "group_leader", "liaison", "learning_officer", "member", "facilitator",
        "expert",
    ]  # fmt: skip


def test_restructure_step_names_the_chain(library):
    body = library.item("steps", "restructure").body.zh
    assert "摆现象→查问题→析原因→找对策→定方案→抓落实" in body


@pytest.mark.parametrize("path", CANVAS_FILES, ids=lambda p: p.name)
def test_canvas_file_loads_with_both_languages(library, path):
    key = yaml.safe_load(path.read_text(encoding="utf-8"))["key"]
    canvas = library.canvas(key)
    _assert_text(canvas.title, f"{path.name} title")
    _assert_text(canvas.intro, f"{path.name} intro")
    for col in canvas.columns:
        _assert_text(col.title, f"{path.name}:{col.key} title")
        _assert_text(col.hint, f"{path.name}:{col.key} hint")


def test_canvas_keys_are_unique():
    keys = [yaml.safe_load(p.read_text(encoding="utf-8"))["key"] for p in CANVAS_FILES]
    assert len(keys) == len(set(keys))


def test_restructure_canvas_columns(library):
    canvas = library.canvas("restructure")
    assert canvas.column_keys == ("original", "symptoms", "problems", "causes", "restatements",
                                  "key_problem")
    assert canvas.step == 5
    assert canvas.column("causes").link_to == "problems" and canvas.column("causes").why == "causes"
    assert canvas.column("restatements").private and canvas.column("restatements").vote
    assert canvas.column("key_problem").decide is not None
    assert canvas.compare == ("original", "key_problem")


def test_topic_scoring_uses_the_six_criteria_of_the_method(library):
    col = library.canvas("topic").column("candidates")
    assert [c.key for c in col.score.criteria] == [
        "important", "urgent", "complex", "feasible", "specific", "timely"]
    assert col.score.criteria[0].title("zh") == library.item("criteria", "important").title("zh")
    assert (col.score.low, col.score.high, col.score.weighted) == (1, 5, True)
    assert col.field("kind").required and [o.key for o in col.field("kind").options] == [
        "task", "project", "problem"]
    assert library.canvas("topic").column("subtopics").count == (3, 5)


def test_goals_actions_and_strategy_map_definitions(library):
    goals = library.canvas("goals").column("goals")
    assert goals.consensus and goals.link_to == "restructure.key_problem"
    assert [f.key for f in goals.fields] == ["level", "measure", "deadline", "owner"]
    actions = library.canvas("actions").column("actions")
    assert [o.key for o in actions.field("status").options] == [
        "not_started", "in_progress", "done", "blocked"]
    assert actions.subtasks and actions.field("owner").type == "member"
    strategy = library.canvas("strategy")
    assert strategy.column("options").score.chart == "matrix"
    assert strategy.map[0] == "restructure.key_problem" and strategy.map[-1] == "actions.actions"


@pytest.mark.parametrize("broken, message", [
    ({"fields": [{"key": "x", "type": "colour", "title": {"zh": "色", "en": "c"}}]}, "field type"),
    ({"fields": [{"key": "x", "type": "choice", "title": {"zh": "选", "en": "c"}}]}, "options"),
    ({"why": "nowhere"}, "'why'"),
    ({"link_to": "nowhere"}, "'link_to'"),
    ({"count": [5, 3]}, "count"),
    ({"score": {"criteria": [{"key": "a", "title": {"zh": "甲", "en": "a"}}], "chart": "matrix"}},
     "matrix"),
])
def test_bad_column_definitions_are_refused_with_the_reason(library, broken, message):
    from actionlab.library import parse_canvas

    doc = {"key": "bad", "title": {"zh": "坏", "en": "Bad"}, "intro": {"zh": "坏", "en": "Bad"},
           "columns": [{"key": "a", "title": {"zh": "甲", "en": "A"},
                        "hint": {"zh": "甲", "en": "A"}, **broken}]}
    with pytest.raises(LibraryError, match=message):
        parse_canvas(doc, "bad.yaml", library)


def test_unknown_names_raise(library):
    with pytest.raises(LibraryError):
        library.canvas("no_such_canvas")
    with pytest.raises(LibraryError):
        library.item("stages", "no_such_stage")
    with pytest.raises(LibraryError):
        library.items("no_such_file")


# --- malformed documents -------------------------------------------------------------------

GOOD_ITEM = {"key": "a", "title": {"zh": "甲", "en": "A"}, "body": {"zh": "甲。", "en": "A."}}
GOOD_COLUMN = {"key": "c", "title": {"zh": "列", "en": "Col"}, "hint": {"zh": "提示", "en": "Hint"}}
GOOD_CANVAS = {
    "key": "demo",
    "title": {"zh": "示例", "en": "Demo"},
    "intro": {"zh": "说明", "en": "Intro"},
    "columns": [GOOD_COLUMN],
}


def _write(tmp_path, folder, name, doc):
    (tmp_path / folder).mkdir(parents=True, exist_ok=True)
    path = tmp_path / folder / f"{name}.yaml"
    path.write_text(
        doc if isinstance(doc, str) else yaml.safe_dump(doc, allow_unicode=True),
        encoding="utf-8",
    )
    return path


def test_good_documents_load(tmp_path):
    _write(tmp_path, "method", "things", {"items": [GOOD_ITEM]})
    _write(tmp_path, "canvases", "demo", GOOD_CANVAS)
    lib = Library(tmp_path)
    assert [i.key for i in lib.items("things")] == ["a"]
    assert lib.canvas("demo").column_keys == ("c",)


@pytest.mark.parametrize(
    "item",
    [
        {**GOOD_ITEM, "title": {"en": "A"}},  # missing zh
        {**GOOD_ITEM, "body": {"zh": "", "en": "A."}},  # empty zh
        {**GOOD_ITEM, "body": {"zh": "甲。"}},  # missing en
        {k: v for k, v in GOOD_ITEM.items() if k != "key"},  # missing key
        {k: v for k, v in GOOD_ITEM.items() if k != "body"},  # missing body
    ],
    ids=["no-zh-title", "empty-zh-body", "no-en-body", "no-key", "no-body"],
)
def test_malformed_item_raises(tmp_path, item):
    _write(tmp_path, "method", "things", {"items": [item]})
    with pytest.raises(LibraryError):
        Library(tmp_path).items("things")


def test_item_file_that_is_not_a_mapping_raises(tmp_path):
    _write(tmp_path, "method", "things", "- just\n- a list\n")
    with pytest.raises(LibraryError):
        Library(tmp_path).items("things")


def test_item_file_with_bad_yaml_raises(tmp_path):
    _write(tmp_path, "method", "things", "items: [\n  key: : :\n")
    with pytest.raises(LibraryError):
        Library(tmp_path).items("things")


@pytest.mark.parametrize(
    "canvas",
    [
        {**GOOD_CANVAS, "title": {"en": "Demo"}},  # missing zh
        {k: v for k, v in GOOD_CANVAS.items() if k != "key"},  # missing key
        {**GOOD_CANVAS, "columns": [GOOD_COLUMN, dict(GOOD_COLUMN)]},  # duplicate column keys
        {**GOOD_CANVAS, "columns": []},  # no columns
        {k: v for k, v in GOOD_CANVAS.items() if k != "columns"},  # no columns at all
        {**GOOD_CANVAS, "columns": [{**GOOD_COLUMN, "hint": {"zh": "提示"}}]},  # column no en
        {**GOOD_CANVAS, "columns": [{k: v for k, v in GOOD_COLUMN.items() if k != "key"}]},
    ],
    ids=[
        "no-zh-title",
        "no-key",
        "duplicate-columns",
        "empty-columns",
        "missing-columns",
        "column-no-en",
        "column-no-key",
    ],
)
def test_malformed_canvas_raises(tmp_path, canvas):
    _write(tmp_path, "canvases", "demo", canvas)
    with pytest.raises(LibraryError):
        Library(tmp_path).canvases()


# --- privacy -------------------------------------------------------------------------------

MOBILE = re.compile(r"1[3-9]\d{9}")


def test_no_mobile_phone_numbers_in_data():
    offenders = []
    for path in sorted(DATA_DIR.rglob("*")):
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if MOBILE.search(text):
            offenders.append(str(path.relative_to(DATA_DIR)))
    assert not offenders, f"mobile phone numbers found in: {offenders}"


# --- documentation -------------------------------------------------------------------------


def test_example_in_canvas_docs_is_valid():
    from actionlab.library import parse_canvas
    from actionlab.paths import ROOT_DIR

    doc = ROOT_DIR / "docs" / "canvases.md"
    if not doc.exists():
        pytest.skip("docs/canvases.md is not there")
    blocks = re.findall(r"```yaml\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)
    assert blocks, "docs/canvases.md should show a YAML example"
    for block in blocks:
        canvas = parse_canvas(yaml.safe_load(block), "docs/canvases.md")
        assert canvas.key not in {yaml.safe_load(p.read_text("utf-8"))["key"] for p in CANVAS_FILES}
