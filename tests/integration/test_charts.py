"""Charts: Chinese set in the packaged font (never a system font, never the Thin default of
the variable font), valid and reproducible PNGs, plain text for what people typed, a picture
instead of an error for empty data, and no charting libraries on participants' pages."""

from __future__ import annotations

import base64
import io
import os
import struct
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.text import Text

from actionlab import analysis, charts
from actionlab.paths import ROOT_DIR
from actionlab.services import Workbook
from actionlab.services.canvas import FACILITATOR_AUTHOR, Author
from actionlab.settings import Settings

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DIVERSITY_LABELS = {"department": "部门", "level": "职级", "profession": "专业", "gender": "性别"}


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with matplotlib
        assert data[12:16] == b"IHDR"
        return struct.unpack(">II", data[16:24])
    with Image.open(io.BytesIO(data)) as image:
        image.verify()
    with Image.open(io.BytesIO(data)) as image:
        return image.size


@pytest.fixture
def drawn(monkeypatch):
    """Every figure a chart renders, kept for a look at its texts."""
    figures: list[Figure] = []
    render = charts._png

    def keep(fig):
        figures.append(fig)
        return render(fig)

    monkeypatch.setattr(charts, "_png", keep)
    return figures


def ranking_frame(texts, lang_criteria=("important", "urgent")) -> pd.DataFrame:
    rows = []
    for i, text in enumerate(texts):
        total = 4.5 - i * 0.5 if i < len(texts) - 1 else np.nan
        rows.append({"card_id": i + 1, "text": text,
                     **{k: (np.nan if np.isnan(total) else total + j * 0.25)
                        for j, k in enumerate(lang_criteria)},
                     "total": total, "raters": 3 if i < len(texts) - 1 else 0,
                     "rank": pd.NA if np.isnan(total) else i + 1, "decided": i == 1})
    frame = pd.DataFrame(rows)
    frame["rank"] = frame["rank"].astype("Int64")
    return frame


def vote_frame(texts) -> pd.DataFrame:
    return pd.DataFrame([(i, t, "key_problem", len(texts) - i) for i, t in enumerate(texts)],
                        columns=["card_id", "text", "column", "votes"])


def matrix_frame(texts) -> pd.DataFrame:
    spots = [(4.5, 4.0), (4.5, 1.5), (2.0, 4.5), (1.5, 1.0), (4.5, 4.0), (np.nan, np.nan)]
    return pd.DataFrame([(i, t, *spots[i % len(spots)], 3, i == 0) for i, t in enumerate(texts)],
                        columns=["card_id", "text", "x", "y", "raters", "decided"])


DIVERSITY = {
    "第1组": {"department": {"办公室": 2, "财务处": 1}, "level": {"处级": 1, "科员": 2},
             "profession": {"管理": 3}, "gender": {"女": 2, "男": 1}},
    "第2组": {"department": {"信息中心": 3, "": 1}, "level": {"科级": 4},
             "profession": {"技术": 2, "": 2}, "gender": {"女": 1, "男": 3}},
}


def chinese_charts() -> dict[str, bytes]:
    topics = ["提高窗口服务效率，减少群众排队时间", "建立跨部门数据共享平台", "优化采购审批流程",
              "新员工培训体系"]
    return {
        "scores": charts.score_bars(ranking_frame(topics), [("important", "重要"), ("urgent", "迫切")],
                                    "zh", title="候选课题"),
        "votes": charts.vote_bars(vote_frame(["办事难在材料反复提交", "部门之间信息不通"]), "zh",
                                  column_labels={"key_problem": "关键问题"}),
        "matrix": charts.impact_matrix(matrix_frame(["引入自助服务终端", "推行一窗受理", "预约分时办理",
                                                     "延长周末服务时间", "简化材料清单", "尚未评分的办法"]),
                                       "效果", "可行性", 1, 5, "zh"),
        "fist": charts.fist_to_five([0, 1, 0, 2, 3, 1], "zh"),
        "diversity": charts.diversity_bars(DIVERSITY, DIVERSITY_LABELS, "zh"),
    }


def test_chinese_renders_from_the_packaged_font_without_missing_glyphs(drawn):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph … missing from font(s)" fails the test
        pngs = chinese_charts()
    for name, png in pngs.items():
        assert png_size(png) == ((960, 540) if name == "fist" else (1600, 900)), name
    packaged = charts.setup_fonts()
    assert packaged.name == "NotoSansCJK-VF.otf.ttc" and packaged.parent.name == "manimgx_fonts_cjk"
    used = set()
    for fig in drawn:
        for text in fig.findobj(Text):
            if text.get_visible() and text.get_text().strip():
                path = font_manager.findfont(text.get_fontproperties(), fallback_to_default=False)
                used.add(path)
                assert FT2Font(path).family_name.startswith("ActionLab CJK"), (text.get_text(), path)
                assert not text.get_parse_math() and not text.get_usetex()
    # Cut from the packaged collection into the cache, at a Regular (Medium) and a Bold weight.
    weights = {FT2Font(p).get_sfnt_table("OS/2")["usWeightClass"] for p in used}
    assert weights == {400, 700}
    assert all(not p.startswith("/usr/") for p in used)


def ink(font: font_manager.FontProperties) -> int:
    fig = Figure(figsize=(4, 1), dpi=100)
    fig.text(0.02, 0.3, "课题选择", fontproperties=font, fontsize=40)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    from PIL import Image
    return int((np.asarray(Image.open(buf).convert("L")) < 128).sum())


def test_chart_text_is_heavier_than_the_thin_default_of_the_variable_font():
    family = charts.font_family(["课题选择"])
    thin = ink(font_manager.FontProperties(fname=str(charts.setup_fonts())))
    regular = ink(font_manager.FontProperties(family=family))
    bold = ink(font_manager.FontProperties(family=family, weight="bold"))
    assert regular > 1.8 * thin and bold > 1.1 * regular


def test_same_input_gives_the_same_bytes_also_from_the_font_cache():
    first = chinese_charts()
    assert chinese_charts() == first
    charts._families.clear()  # as in a new process: fonts come from the cache folder
    assert chinese_charts() == first


def test_different_input_gives_a_different_picture():
    one = charts.fist_to_five([0, 1, 0, 2, 3, 1], "en")
    assert charts.fist_to_five([0, 1, 0, 2, 3, 2], "en") != one


@pytest.mark.parametrize("text", ["$x^2$", r"budget $\frac{1", "from $5 to $10", "a $ b",
                                  r"\$ escaped", "<b>not html</b>", "👍 好主意"])
def test_typed_text_is_drawn_as_it_is(drawn, text):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pngs = [
            charts.score_bars(ranking_frame([text, "other"]), [("important", text)], "en", title=text),
            charts.vote_bars(vote_frame([text]), "en"),
            charts.impact_matrix(matrix_frame([text]), text, text, 1, 5, "en"),
            charts.diversity_bars({text: {"gender": {text: 2}}}, {"gender": text}, "en"),
        ]
    assert all(png[:8] == PNG_SIGNATURE for png in pngs)
    shown = [t for fig in drawn for t in fig.findobj(Text) if "$" in t.get_text()]
    if "$" in text:
        assert shown and all(not t.get_parse_math() for t in shown)


def test_an_emoji_no_font_has_becomes_a_box(drawn):
    charts.vote_bars(vote_frame(["👍 好"]), "zh")
    labels = [t.get_text() for t in drawn[0].findobj(Text)]
    assert "□ 好" in labels


@pytest.mark.parametrize("make", [
    lambda: charts.score_bars(pd.DataFrame(columns=["card_id", "text", "important", "total",
                                                    "raters", "rank", "decided"]),
                              [("important", "重要")], "zh"),
    lambda: charts.score_bars(ranking_frame(["没人评分"]), [("important", "重要")], "zh"),
    lambda: charts.vote_bars(vote_frame([]), "zh"),
    lambda: charts.vote_bars(vote_frame(["零票"]).assign(votes=0), "zh"),
    lambda: charts.impact_matrix(matrix_frame([]), "效果", "可行性", 1, 5, "zh"),
    lambda: charts.impact_matrix(matrix_frame(["a"]).assign(x=np.nan, y=np.nan), "x", "y", 1, 5, "zh"),
    lambda: charts.fist_to_five([0] * 6, "zh"),
    lambda: charts.fist_to_five([], "en"),
    lambda: charts.diversity_bars({}, DIVERSITY_LABELS, "zh"),
    lambda: charts.diversity_bars({"第1组": {}}, DIVERSITY_LABELS, "en"),
])
def test_empty_data_gives_a_no_data_picture(drawn, make):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        png = make()
    assert png_size(png)[0] in (960, 1600)
    messages = {t.get_text() for t in drawn[-1].findobj(Text)}
    assert messages & {"尚无评分", "尚无投票", "还没有人举手表决", "还没有人分组", "No hands shown yet",
                       "Nobody is in a group yet"}, messages


def test_chart_titles_and_labels_are_translated(drawn):
    charts.fist_to_five([0, 0, 0, 1, 2, 0], "en")
    charts.fist_to_five([0, 0, 0, 1, 2, 0], "zh")
    en, zh = ({t.get_text() for t in fig.findobj(Text)} for fig in drawn)
    assert {"Fist to five", "Fingers shown", "People", "Agreed: everyone shows 3 or more"} <= en
    assert {"五指表决", "伸出的手指数", "人数", "已达成共识：每人都不少于 3"} <= zh


def test_score_bars_mark_the_weighted_total_and_the_chosen_card(drawn):
    charts.score_bars(ranking_frame(["A", "B", "C"]), [("important", "Important"),
                                                       ("urgent", "Urgent")], "en")
    texts = [t.get_text() for t in drawn[0].findobj(Text)]
    assert "Weighted total" in texts and "4.5" in texts and "4.0" in texts
    assert "1. A" in texts and "✓ 2. B" in texts and "C" in texts  # C: not scored, no rank
    assert "not scored yet" in texts


def test_long_lists_are_cut_with_a_note(drawn):
    charts.vote_bars(vote_frame([f"card {i}" for i in range(20)]), "en", limit=12)
    charts.score_bars(ranking_frame([f"topic {i}" for i in range(12)]), [("important", "I")], "en",
                      limit=8)
    votes, scores = ({t.get_text() for t in fig.findobj(Text)} for fig in drawn)
    assert "8 more cards not shown" in votes and "card 11" in votes and "card 12" not in votes
    assert "Best 8 of 12" in scores


def test_matrix_labels_do_not_overlap(drawn):
    texts = ["Self-service kiosks", "One-stop window", "Appointments by slot",
             "Shorter list of documents", "Weekend opening hours"]
    frame = pd.DataFrame([(i, t, x, y, 3, i == 1) for i, (t, (x, y)) in enumerate(zip(
        texts, [(4, 4), (4, 4), (4.33, 4), (5, 5), (4, 4.33)], strict=True))],
        columns=["card_id", "text", "x", "y", "raters", "decided"])
    charts.impact_matrix(frame, "Impact", "Feasibility", 1, 5, "en")
    fig = drawn[0]
    renderer = fig.canvas.get_renderer()
    boxes = [Text.get_window_extent(t, renderer) for t in fig.axes[0].texts if t.get_text() in texts]
    assert len(boxes) == len(texts)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b)


def test_shorten_and_wrap_count_chinese_characters_as_two_columns():
    assert charts.shorten("  many   spaces\nand lines ", 40) == "many spaces and lines"
    assert charts.shorten("提高窗口服务效率", 10) == "提高窗口…"
    assert charts.shorten("abcdefghij", 6) == "abcde…"
    assert charts.wrap("提高窗口服务效率，减少群众排队时间", 16) == "提高窗口服务效率，\n减少群众排队时间"
    assert charts.wrap("one two three four five six", 9) == "one two\nthree…"
    assert charts.wrap("Supercalifragilistic", 8, 3) == "Supercal\nifragili\nstic"


def test_data_uri():
    png = charts.fist_to_five([1, 0, 0, 0, 0, 0], "en")
    uri = charts.to_data_uri(png)
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == png


def test_charts_from_a_real_store(tmp_path):
    with Workbook.open(Settings(db_url=f"sqlite:///{tmp_path / 's.db'}"), upgrade=True) as wb:
        ws = wb.workshops.create("图表", "zh", 1, canvases=["topic", "strategy"])
        (group,) = wb.workshops.groups(ws)
        people = [Author(wb.workshops.join(ws.code, group.id, n).member) for n in ("小林", "王芳")]
        for i, text in enumerate(["课题甲", "课题乙 $100"]):
            card = wb.canvas.add_card(people[0], ws, group.id, "topic", "candidates", text,
                                      fields={"kind": "task"})
            for person in people:
                wb.scoring.score(person, card.id, "important", 3 + i)
            option = wb.canvas.add_card(people[1], ws, group.id, "strategy", "options", text)
            wb.scoring.score(people[0], option.id, "impact", 2 + i)
            wb.scoring.score(people[0], option.id, "feasibility", 4 - i)
        wb.canvas.decide(FACILITATOR_AUTHOR, option.id, True)
        column = wb.library.canvas("topic").column("candidates")
        criteria = [(c.key, c.title("zh")) for c in column.score.criteria]
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            bars = charts.score_bars(analysis.ranking(wb, ws, group.id, "topic", "candidates"),
                                     criteria, "zh", low=column.score.low, high=column.score.high)
            matrix = charts.impact_matrix(analysis.matrix_frame(wb, ws, group.id, "strategy", "options"),
                                          "效果", "可行性", 1, 5, "zh")
        assert png_size(bars) == png_size(matrix) == (1600, 900)


def test_participant_pages_import_neither_pandas_nor_matplotlib():
    code = ("import sys, widgets.participant; "
            "print('pandas' in sys.modules, 'matplotlib' in sys.modules)")
    env = {**os.environ, "PYTHONPATH": str(ROOT_DIR)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT_DIR, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False"]


def test_the_font_cache_lives_in_the_users_cache_folder():
    family = charts.font_family(["缓存"])
    files = [Path(e.fname) for e in font_manager.fontManager.ttflist if e.name == family]
    assert len(files) == 2 and all(f.is_file() and f.parent.name == "fonts" for f in files)
    assert all(str(f).startswith(os.environ["HOME"]) or "actionlab" in str(f) for f in files)


def test_diversity_puts_rare_values_together_as_other(drawn):
    departments = {f"dept {i}": 1 for i in range(10)} | {"other": 2, "": 1}
    charts.diversity_bars({"Group 1": {"department": departments}}, {"department": "Department"},
                          "en", most=3)
    legend = [t.get_text() for t in drawn[0].axes[0].get_legend().get_texts()]
    # The commonest three, then everything else (a value called "other" included), then
    # the people who gave none; the legend lists them top of the stack first.
    assert legend == ["not given", "other", "dept 2", "dept 1", "dept 0"]
    counts = [t.get_text() for t in drawn[0].axes[0].texts]
    assert counts == ["1", "1", "1", "9", "1"]
