"""Benchmark of the session records: time and memory of every export format for a large workshop.

``make bench`` runs it; ``python bench/bench_export.py --help`` lists the options.

A workshop in Chinese as a hospital's improvement programme would leave it after about a year:
5 groups × 8 people, 400 cards over the topic, restructuring, goal, strategy and action canvases
(texts of varying length, votes, scores, fist-to-five), 12 meetings held month after month from
the meeting templates (attendance, speaking rounds, questions, progress reports with the status
history of 80 actions, reviews, lessons, decisions, surveys) and the members' assessment. It is
written through the same services as the demo workshop (:func:`actionlab.demo.create_demo`,
given generated data instead of ``data/samples/demo.yaml``).

Then every format is exported for the whole programme, in fresh processes with a cache folder of
its own, empty at first: the first export is the cold time (the CJK font cut and the charts are
made and kept on disk), the second, in the same process, the warm time; then a new process
exports once more with those caches (a new session: the time includes loading the libraries of
the format). The minutes of one meeting are measured the same way in PDF and Word. Memory is the
peak resident size of a process (``ru_maxrss``): of the new process (warm), also shown as the
increase over its size after importing actionlab and opening the store, and of the one that made
the caches (cold). Targets (warm, per format): at most 2 s and 300 MB. They are reported, not
asserted: the exit code is 0 unless an export fails.

Everything the run writes (the SQLite store, the font and chart caches, matplotlib's font list)
goes to a temporary folder the benchmark owns and removes; ``--db URL`` puts the workshop in
that database instead (a new workshop each run).

The baseline is ``bench/baseline/records.ipynb``: the same whole-programme record written as a
typical notebook app would write it (pandas reads the tables; pandas, python-docx, openpyxl,
fpdf2 with the system's Noto Sans CJK and matplotlib write the files). An export runs in the
kernel, so its code cells (all but the one tagged "ui", the page) run in fresh processes exactly
as actionlab's export does: same store, same cache folders, same three measurements. The minutes
of one meeting have no baseline. ``--no-baseline`` skips it.

The output ends with one JSON object per metric per line::

    {"metric": "export_pdf_seconds", "value": 1.2, "unit": "s", "baseline": 9.8, "target": 2.0}
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# The parent process stays small (it imports no actionlab): a child started by ``exec`` counts the
# peak memory of the process it replaced, so a large parent would inflate every child's figure.

TARGET_SECONDS = 2.0
TARGET_MB = 300.0
FORMATS = ("md", "html", "docx", "pdf", "xlsx", "json")  # checked against format_names()
MINUTES_FORMATS = ("pdf", "docx")
STEP_TIMEOUT_S = 1800
BASELINE = Path(__file__).resolve().parent / "baseline" / "records.ipynb"

# -- generated data (the demo's format; see the docstring of actionlab.demo) ---------------------

THEMES = [
    {"name": "第{n}组 · 门诊预约", "unit": "门诊部",
     "scenes": ["预约挂号", "分时段就诊", "专家号源分配", "复诊预约", "候诊叫号"],
     "people": ["老年患者", "慢病复诊患者", "外地患者", "陪诊家属"],
     "metrics": ["平均候诊时间", "预约就诊率", "爽约率", "号源利用率"]},
    {"name": "第{n}组 · 检查等候", "unit": "医技科室",
     "scenes": ["CT预约", "超声检查", "抽血采样", "检查报告领取", "核磁共振排班"],
     "people": ["门诊患者", "住院患者", "急诊患者", "体检人员"],
     "metrics": ["检查预约等待天数", "报告出具时间", "设备使用率", "重复检查比例"]},
    {"name": "第{n}组 · 出入院服务", "unit": "住院服务中心",
     "scenes": ["入院登记", "床位调配", "出院结算", "医保审核", "出院带药"],
     "people": ["住院患者", "异地医保患者", "手术患者", "患者家属"],
     "metrics": ["出院结算时长", "床位周转率", "当日出院办结率", "入院等待时间"]},
    {"name": "第{n}组 · 医患沟通", "unit": "医务科",
     "scenes": ["病情告知", "投诉处理", "知情同意", "出院随访", "候诊宣教"],
     "people": ["患者家属", "手术患者", "老年患者", "儿童患者家长"],
     "metrics": ["投诉件数", "随访完成率", "满意度得分", "沟通记录完整率"]},
    {"name": "第{n}组 · 药品保障", "unit": "药学部",
     "scenes": ["门诊取药", "处方审核", "短缺药品替代", "静脉配液", "药品库存盘点"],
     "people": ["门诊患者", "临床医生", "病区护士", "慢病患者"],
     "metrics": ["取药等候时间", "处方合格率", "缺药次数", "库存周转天数"]},
]

TEXTS = {
    ("topic", "candidates"): [
        "{scene}流程繁琐、{people}反复排队的问题", "降低{metric}，让{people}少跑腿",
        "建立{scene}的统一标准和操作规范", "{unit}与临床科室在{scene}上的协同机制",
        "用信息化手段改造{scene}", "提升{people}对{scene}的满意度",
    ],
    ("topic", "subtopics"): [
        "{scene}环节的梳理与改进", "{people}的就医指引", "{metric}的日常监测", "跨科室的{scene}衔接",
        "{scene}的人员培训",
    ],
    ("restructure", "original"): ["{people}总说{scene}太慢，主要是因为{unit}人手不够"],
    ("restructure", "symptoms"): [
        "{weekday}上午{scene}窗口前经常排起{n}人以上的长队", "{people}平均要跑{k}趟才能办完{scene}",
        "近三个月关于{scene}的投诉有{n}件", "{metric}在高峰时段明显偏高",
        "{people}经常打电话到科室询问{scene}的进度", "护士要花大量时间向{people}解释{scene}的流程",
        "同一份材料在{scene}环节被要求提交两次", "夜间和周末{scene}基本没有人负责",
        "{people}看不懂{scene}的指引标识", "系统里显示的{scene}信息和现场不一致",
    ],
    ("restructure", "problems"): [
        "{scene}各环节之间没有明确的交接标准", "{unit}与信息科对{scene}的职责划分不清",
        "{scene}的排班没有参考实际就诊高峰", "{people}获取{scene}信息的渠道太少",
        "{scene}的数据分散在几个系统里，无法统一查看", "缺少对{metric}的日常监测",
        "新入职人员对{scene}的规定掌握不一", "{scene}的应急预案长期没有更新",
    ],
    ("restructure", "causes"): [
        "排班表多年沿用，没有根据{metric}调整", "{scene}的规定修订后没有专人负责培训",
        "各科室的系统由不同厂家开发，接口不通", "考核指标只看工作量，不看{metric}",
        "{people}的需求没有被纳入流程设计", "科室之间缺少定期的沟通会",
        "现场指引标识由不同部门分别制作，口径不一", "高峰时段临时调配人手需要层层审批",
        "对{scene}的问题只做事后处理，没有追溯原因",
    ],
    ("restructure", "restatements"): [
        "真正的问题是{scene}的流程没有从{people}的角度设计", "我认为关键在于{unit}和其他科室对{scene}缺少协同",
        "{metric}居高不下，根子在排班和人手配置", "信息不透明让{people}只能反复询问和排队",
        "{scene}缺少统一标准，每个人的做法都不一样", "问题不在人手多少，而在{scene}的环节太多",
    ],
    ("restructure", "key_problem"): [
        "由于{scene}缺少统一标准、科室之间协同不畅，{people}在{scene}环节反复等待，{metric}长期偏高",
    ],
    ("goals", "goals"): [
        "{metric}在年底前改善三成", "全院{scene}使用同一套操作规范", "{people}对{scene}的满意度达到90分",
        "小组每月复盘一次{metric}数据", "我能独立讲清楚{scene}的全部环节", "我负责的窗口做到一次告知",
    ],
    ("strategy", "options"): [
        "成立{scene}专项改进小组，每周例会跟踪", "根据近三个月数据重新编排{scene}的班次",
        "在自助机和公众号上开放{scene}进度查询", "编写{scene}标准作业手册并组织全员培训",
        "打通{unit}与信息科的系统接口", "设立{scene}现场引导员", "把{metric}纳入科室月度考核",
        "开展{people}座谈会，收集改进意见", "试行弹性排班，高峰时段增开窗口",
        "借鉴兄弟医院的做法，组织一次现场学习",
    ],
    ("actions", "actions"): [
        "收集并分析近三个月{scene}的{metric}数据", "起草{scene}标准作业手册初稿",
        "组织{unit}全员参加{scene}规范培训", "与信息科确定系统接口改造方案",
        "在两个试点科室试行新的{scene}流程", "制作{scene}现场指引标识并张贴",
        "召开{people}座谈会，整理意见清单", "修订{scene}应急预案并组织演练",
        "编排高峰时段弹性班次并试运行一个月", "每周汇总{metric}并在科室公示",
    ],
}
CLAUSES = [
    "上个月的抽样统计显示这种情况占到三成以上", "护士站和信息科对此各有说法", "患者在意见箱里多次提到这一点",
    "院办在季度例会上也点名提过", "这在周一和节假日后的第一天尤其明显", "如果不解决，年底评审时会被扣分",
    "不少年轻医生私下也表示过困惑", "兄弟医院去年做过类似的尝试，效果不错", "需要先和分管院领导沟通，争取支持",
    "小组内部对这一点的看法还不完全一致", "建议先在一个科室试点，再逐步推广", "相关数据可以从HIS系统中导出",
    "具体数字还需要到现场再核实一下", "这一条是在第一次研讨中大家反复提到的", "涉及的环节比较多，需要分步骤推进",
    "夜班同事反映的情况比白班更严重", "去年整改过一次，但没有坚持下来", "患者满意度调查中这一项得分最低",
    "有几位老专家提出了不同意见，值得认真听取", "财务科表示相关经费可以在下半年列支",
    "这件事牵涉到医保政策，要请医保办把关", "最好能用数据说话，避免凭感觉下结论",
    "雨雪天气时候诊大厅格外拥挤，轮椅和推车很难通过", "有位阿姨拄着拐杖在三楼和一楼之间往返了四次",
    "门诊楼改造期间临时通道绕远，指示牌又贴得太高", "少数民族患者和聋哑患者的沟通需求几乎没人顾及",
    "儿科家长情绪激动时，分诊护士往往首当其冲", "跨院区转诊的病历调阅仍靠传真和纸质复印件",
    "自助机偶尔死机，重启一次要等将近十分钟", "部分药品包装相似，发药时容易拿错，必须双人核对",
    "医保目录每年调整，窗口人员来不及消化新规定", "晚上八点以后只剩一个收费窗口，急诊患者怨声载道",
    "信息科的工程师只有三位，排期已经排到下季度", "职能部门之间的文件流转平均要盖四个章",
    "我们试着用鱼骨图拆解，发现真正卡脖子的是审批", "新冠疫情以后线上问诊量翻了一番，配套却没跟上",
    "同事们普遍觉得多写一张表格就是多一份负担", "临床科室主任对流程再造的态度有所保留",
    "实习生轮转频繁，刚熟悉规矩就换了科室", "停车场排队常常延误患者赶上预约的时段",
    "方言沟通障碍让外地老人更难理解医嘱", "夏季空调故障时，候诊区的温度接近三十度",
    "投诉电话的录音显示，约一半的不满源自等待而非诊疗本身", "若能与社区卫生服务中心联动，分流效果会更显著",
    "院长办公会已经批准了试点方案，但预算尚未到位", "有人提议借鉴航空公司值机的做法，值得一试",
    "请大家别急于下结论，先把现场走一遍、拍照留证", "上周暴雨导致地下通道积水，检查预约大面积顺延",
    "护理部愿意抽调两名骨干，前提是不影响病区排班", "我们把患者旅程画在白板上，一共数出了十七个触点",
    "手写处方基本淘汰了，可电子签名偶尔验证失败", "统计口径前后不一致，去年的基线数据需要重新清洗",
]
LONGER = [0, 0, 0, 1, 1, 1, 2, 2, 3, 5, 8, 12]  # how many clauses a text gets (most are short)
WEEKDAYS = ["周一", "周二", "周三", "周四", "周五"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = ["晓岚", "明远", "思琪", "嘉禾", "卓", "雨桐", "立群", "可心", "文博", "志航", "晨曦", "海宁",
         "静怡", "子涵", "浩然", "欣怡", "宇轩", "梓萱", "俊杰", "诗雨", "建国", "秀英", "国强", "丽娟",
         "振华", "玉兰", "伟", "芳", "敏", "磊", "婷", "强", "洁", "军", "霞", "鹏"]
PROFILE = {
    "department": ["门诊部", "护理部", "信息科", "医务科", "药学部", "财务科", "检验科", "放射科",
                   "住院服务中心", "医保办"],
    "level": ["科员", "主管", "副主任", "主任", "护士长"],
    "profession": ["临床医学", "护理", "药学", "信息技术", "医院管理", "财务"],
    "gender": ["男", "女"],
    "age_band": ["20–29", "30–39", "40–49", "50–59"],
}
ROLES = {0: "group_leader", 2: "liaison", 3: "learning_officer"}
RESOURCES = ["信息科配合两周", "试点科室的排班支持", "院办协调会一次", "打印制作费约两千元", "HIS系统导出权限"]
MEASURES = ["{metric}下降两成", "手册经科室主任签字发布", "试点一个月的记录完整", "座谈会意见清单",
            "培训覆盖率100%", "标识全部张贴到位"]
DONE = [
    "完成了“{action}”的前期调研", "“{action}”的初稿已经写好，发给组里征求意见",
    "“{action}”在试点科室运行了两周", "和{unit}沟通了改进方案，对方原则同意", "整理了{n}份{people}的反馈意见",
    "把{metric}的数据按周做成了图表", "“{action}”已全部完成，正在总结",
]
PROBLEMS = ["", "", "{unit}人手紧张，配合时间难以保证", "系统改造要等厂家排期，进度比预想慢",
            "部分科室对新流程有顾虑", "数据口径不统一，需要重新核对"]
HELPS = ["", "", "", "希望促进师帮忙协调信息科", "需要分管领导出面推动", "想请其他组分享试点经验"]
IMPROVEMENTS = ["准时开始，准时结束", "汇报前先把数据准备好", "讨论时多给不常发言的人机会",
                "会前把议程发给大家", "每项行动都写清楚下一步", "少讲过程，多讲结果和问题",
                "把争议点记下来，会后专门讨论", "请相关科室的同事列席"]
LESSONS = {
    "topic": ["先按标准给候选课题打分，讨论就不容易跑偏", "课题要小到几个月能见效，大到值得全组投入"],
    "learning": ["最先说出的问题往往不是真正的问题", "多问几个为什么，原因会从人手转到流程",
                 "各组互相点评，比促进师一个人点评收获更大", "让患者亲自试用，比开会讨论发现的问题多得多",
                 "先把事项分类，再谈时限，阻力小很多"],
    "decision": ["方案附上试点数据，决策会开得快得多", "决策前请相关科室主任提前看材料，会上争议少"],
    "tracking": ["试行阶段每周看一次数据，问题能早发现", "行动负责人每月当面汇报，拖延明显减少",
                 "受阻的行动要当场商量办法，不能只记录"],
    "consolidation": ["把新流程写进科室的工作制度，才能坚持下去", "试点经验整理成案例，在全院推广"],
}
DECISIONS = {
    "adopt": ("成本低、见效快，已在试点科室验证", "三个月后汇报{metric}的变化"),
    "revise": ("方向正确，但试点数据还不完整", "补充两个科室的试点结果后再议"),
    "reject": ("投入太大，超出本年度预算", "改为先做低成本的流程调整"),
}
NEEDS_TOPICS = ["policy", "leadership", "tools", "digital", "communication"]
NEEDS_FORMATS = ["workshop", "lecture", "visit", "online"]
QUESTIONS = ["real_problem", "who_owns", "evidence", "success_looks", "in_our_power", "quiet_voices",
             "how_working", "learned_today", "first_step", "what_differently"]
CRITERIA = ["important", "urgent", "complex", "feasible", "specific", "timely"]
#: Non-action columns and their share of a group's cards (the original statement and the key
#: problem take one card each; the columns marked 1 always get at least one card).
SHARES = [(("topic", "candidates"), 5, 1), (("topic", "subtopics"), 3, 0),
          (("restructure", "symptoms"), 10, 0), (("restructure", "problems"), 8, 0),
          (("restructure", "causes"), 10, 0), (("restructure", "restatements"), 8, 0),
          (("goals", "goals"), 8, 1), (("strategy", "options"), 10, 1)]
#: Meeting kinds after the kick-off and the first workshop, repeated as needed.
CYCLE = ["group_followup", "group_followup", "whole_class", "group_followup", "decision"]
MEETING_GAP_DAYS = 30


def spread(total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` near-equal whole numbers, the larger ones first."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def allot(budget: int) -> dict[tuple[str, str], int]:
    """How many cards each non-action column of one group gets out of ``budget``."""
    out = {("restructure", "original"): 1, ("restructure", "key_problem"): 1}
    rest = max(budget - 2, 0)
    total = sum(w for _c, w, _m in SHARES)
    exact = [(col, rest * w / total) for col, w, _m in SHARES]
    counts = {col: int(x) for col, x in exact}
    left = rest - sum(counts.values())
    for col, _x in sorted(exact, key=lambda e: e[1] - int(e[1]), reverse=True)[:left]:
        counts[col] += 1
    for col, _w, least in SHARES:
        counts[col] = max(counts[col], least)
    return {**out, **counts}


class Writer:
    """Chinese texts from the templates above, varying in length, the same for the same seed."""

    def __init__(self, rng: random.Random, theme: dict):
        self.rng = rng
        self.theme = theme

    def fill(self, template: str, **extra) -> str:
        t, r = self.theme, self.rng
        return template.format(scene=r.choice(t["scenes"]), people=r.choice(t["people"]),
                               metric=r.choice(t["metrics"]), unit=t["unit"],
                               weekday=r.choice(WEEKDAYS), n=r.randint(12, 60), k=r.randint(2, 4),
                               **extra)

    def card(self, key: tuple[str, str], i: int) -> str:
        bank = TEXTS[key]
        text = self.fill(bank[(i + self.rng.randrange(len(bank))) % len(bank)])
        clauses = self.rng.sample(CLAUSES, self.rng.choice(LONGER))
        for clause in clauses:
            if len(text) + len(clause) + 2 > 480:
                break
            text += "，" + clause
        return text + ("。" if clauses else "")


def workshop_data(n: int, groups: int, cards: int, actions: int, meetings: int,
                  seed: int = 6) -> dict:
    """The workshop in the format of ``data/samples/demo.yaml`` (Chinese only)."""
    rng = random.Random(seed)
    groups = max(1, min(groups, n))
    names = iter(rng.sample([s + g for s in SURNAMES for g in GIVEN], n))
    kinds = (["kickoff", "first_workshop"] + CYCLE * meetings)[:meetings]
    days = ([7, 21] + [21 + MEETING_GAP_DAYS * i for i in range(1, meetings)])[:meetings]
    last_day = days[-1] if days else 0
    made = [_group(rng, gi, size, budget, n_actions, max(last_day, 60), names)
            for gi, (size, budget, n_actions) in enumerate(zip(
                spread(n, groups), spread(max(cards - actions, 0), groups),
                spread(actions, groups), strict=True))]
    plans = [plan for _g, plan in made]
    return {
        "title": {"zh": "市第一人民医院“改善就医体验”行动学习项目"},
        "canvases": ["topic", "restructure", "goals", "strategy", "actions"],
        "reveal": {"restructure": ["restatements"]},
        "vote_rules": {"restructure": {"budget": 5, "cap": 2, "anonymous": False}},
        "start_days_ago": last_day + 14,
        "improvements": [{"zh": t} for t in IMPROVEMENTS],
        "groups": [group for group, _p in made],
        "meetings": [_meeting(rng, kind, day, plans) for kind, day in zip(kinds, days, strict=True)],
    }


def _group(rng: random.Random, gi: int, size: int, budget: int, n_actions: int, span: int,
           names) -> tuple[dict, Plan]:
    """One group's people and canvases, and its plan for the meetings."""
    theme = THEMES[gi % len(THEMES)]
    write = Writer(rng, theme)
    members = []
    for i in range(size):
        member = {"zh": next(names), "role": ROLES.get(i, "member"),
                  **{k: rng.choice(v) for k, v in PROFILE.items()}}
        if i % 2 == 0:
            member["subtask"] = write.fill("负责{scene}的{metric}改进")
        members.append(member)
    counts = allot(budget)

    def cards(key, extra=lambda i: {}) -> list[dict]:
        return [{"by": i % size, "zh": write.card(key, i), **extra(i)} for i in range(counts[key])]

    def marks(low: int) -> list[int]:
        return [rng.randint(low, 5) for _m in range(size)]

    n_sym, n_prob = counts[("restructure", "symptoms")], counts[("restructure", "problems")]
    n_goals, n_opts = counts[("goals", "goals")], counts[("strategy", "options")]
    chosen = [i for i in range(n_opts) if i % 5 in (0, 2)]
    topic = {
        "candidates": cards(("topic", "candidates"), lambda i: {
            "fields": {"kind": ["problem", "project", "task"][i % 3],
                       "source": ["service", "central_work", "review", "benchmark", "other"][i % 5]},
            "scores": {c: marks(3 if i == 0 else 1) for c in CRITERIA},
            "decided": i == 0}),
        "subtopics": cards(("topic", "subtopics"), lambda i: {
            "parent": "candidates#0",
            "fields": {"units": f"{theme['unit']}、信息科",
                       "problems": write.card(("restructure", "problems"), i),
                       "goals": write.fill("{metric}明显改善")}}),
    }
    restructure = {
        "original": cards(("restructure", "original")),
        "symptoms": cards(("restructure", "symptoms")),
        "problems": cards(("restructure", "problems"),
                          lambda i: {"parent": f"symptoms#{i % n_sym}"} if n_sym else {}),
        "causes": cards(("restructure", "causes"),
                        lambda i: {"parent": f"problems#{i % n_prob}"} if n_prob else {}),
        "restatements": cards(("restructure", "restatements"), lambda i: {
            "votes": [m for m in range(size) if (m + i) % 4 == 0]}),
        "key_problem": cards(("restructure", "key_problem"), lambda i: {
            "votes": list(range(size)), "decided": True}),
    }
    goals = cards(("goals", "goals"), lambda i: {
        "parent": "restructure.key_problem#0",
        "fields": {"level": ["organisation", "team", "individual"][i % 3],
                   "measure": write.fill("{metric}"), "deadline": f"2027-{i % 12 + 1:02d}-28",
                   "owner": i % size},
        "hands": marks(2), "decided": i % 2 == 0})
    options = cards(("strategy", "options"), lambda i: {
        "parent": f"goals.goals#{i % n_goals}",
        "scores": {"impact": marks(2), "feasibility": marks(1)}, "decided": i in chosen})
    actions = [{
        "by": i % size, "zh": write.card(("actions", "actions"), i),
        "parent": f"strategy.options#{(chosen or [0])[i % max(len(chosen), 1)]}",
        "fields": {"owner": i % size, "due": 45 + i * span // n_actions,
                   "resources": rng.choice(RESOURCES), "measure": write.fill(rng.choice(MEASURES))}}
        for i in range(n_actions)] if n_opts else []
    group = {"name": {"zh": theme["name"].format(n=gi + 1)}, "members": members, "topic": topic,
             "restructure": restructure, "goals": {"goals": goals},
             "strategy": {"options": options}, "actions": {"actions": actions}}
    return group, Plan(write, [a["zh"] for a in actions], size, ["not_started"] * len(actions))


@dataclass
class Plan:
    """One group as the meetings see it: its writer, its actions and where each one stands."""

    write: Writer
    actions: list[str]
    size: int
    status: list[str]

    def advance(self, i: int, rng: random.Random) -> str | None:
        """Action ``i``'s status at the next report: its new status, or None if unchanged."""
        before = self.status[i]
        roll = rng.random()
        after = {"not_started": "in_progress" if roll < 0.7 else before,
                 "in_progress": "done" if roll < 0.35 else "blocked" if roll < 0.45 else before,
                 "blocked": "in_progress" if roll < 0.6 else before,
                 "done": before}[before]
        self.status[i] = after
        return after if after != before else None


def _attendance(rng: random.Random, size: int) -> dict[int, str]:
    marks = {}
    for m in range(size):
        roll = rng.random()
        if roll < 0.18:
            marks[m] = "absent" if roll < 0.06 else "excused" if roll < 0.1 else "late"
    return marks


def _meeting(rng: random.Random, kind: str, day: int, plans: list[Plan]) -> dict:
    groups = len(plans)
    attendance = [_attendance(rng, p.size) for p in plans]
    away = [{m for m, s in marks.items() if s in ("absent", "excused")} for marks in attendance]
    spec: dict = {"kind": kind, "day": day, "attendance": attendance,
                  "reviews": [rng.randint(3, 5) for _p in plans]}
    if kind != "kickoff":
        spec["round_seconds"] = 120
        spec["rounds"] = [[None if m in gone or rng.random() < 0.08 else rng.randint(40, 120)
                           for m in range(p.size)] for p, gone in zip(plans, away, strict=True)]
        spec["questions"] = [{"key": q} for q in rng.sample(QUESTIONS, 2)]
        spec["questions"].append({"key": rng.choice(QUESTIONS), "group": rng.randrange(groups)})
    if kind in ("group_followup", "whole_class"):
        spec["reports"] = []
        for p, gone in zip(plans, away, strict=True):
            reports = []
            for m in (m for m in range(p.size) if m not in gone):
                mine = [i for i in range(len(p.actions)) if i % p.size == m]
                moves = {i: p.advance(i, rng) for i in mine}
                action = p.actions[mine[0]] if mine else p.write.fill("{scene}的改进")
                reports.append({
                    "by": m, "done": p.write.fill(rng.choice(DONE), action=action),
                    "problems": p.write.fill(rng.choice(PROBLEMS)),
                    "help": p.write.fill(rng.choice(HELPS)),
                    "actions": {i: s for i, s in moves.items() if s is not None}})
            spec["reports"].append(reports)
    if kind == "decision":
        spec["decisions"] = []
        for p in plans:
            outcome = rng.choices(list(DECISIONS), weights=[6, 3, 1])[0]
            reasons, conditions = DECISIONS[outcome]
            spec["decisions"].append({"outcome": outcome, "reasons": {"zh": reasons},
                                      "conditions": p.write.fill(conditions)})
    if kind == "whole_class":  # per group: one list per question, a value per member
        spec["surveys"] = {"satisfaction": [[[rng.randint(3, 5) for _m in range(p.size)]
                                             for _q in range(4)] for p in plans]}
    if kind == "kickoff":  # per group: per member, [topic, format]
        spec["surveys"] = {"needs": [[[rng.choice(NEEDS_TOPICS), rng.choice(NEEDS_FORMATS)]
                                      for _m in range(p.size)] for p in plans]}
    stage = {"kickoff": "topic", "first_workshop": "learning", "decision": "decision"}.get(
        kind, "tracking" if day > 120 else "learning")
    if day > 250 and kind == "whole_class":
        stage = "consolidation"
    spec["lessons"] = [{"stage": stage, "zh": text,
                        **({"group": rng.randrange(groups)} if rng.random() < 0.6 else {})}
                       for text in rng.sample(LESSONS[stage], min(2, len(LESSONS[stage])))]
    return spec


# -- the child processes ------------------------------------------------------------------------

def build(args) -> dict:
    """Write the workshop into ``args.db``; what was made, as a dict."""
    import yaml

    from actionlab import demo
    from actionlab.exporters import format_names
    from actionlab.services import Workbook
    from actionlab.settings import Settings

    data = workshop_data(args.n, args.groups, args.cards, args.actions, args.meetings)
    source = Path(args.workdir) / "workshop.yaml"  # kept with --keep, to look at
    source.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    wb = Workbook.open(Settings(db_url=args.db), upgrade=True)
    start = time.perf_counter()
    ws = demo.create_demo(wb, "zh", data)
    seconds = time.perf_counter() - start
    store = wb.store
    meetings = store.find_meetings(ws.id)
    reports = store.find_progress_reports(ws.id)
    per_meeting = {m.id: sum(r.meeting_id == m.id for r in reports) for m in meetings}
    minutes = max(meetings, key=lambda m: (per_meeting[m.id], m.number)).number if meetings else None
    cards = store.find_cards(ws.id)
    made = {
        "code": ws.code, "minutes_meeting": minutes, "seconds": round(seconds, 1),
        "formats": list(format_names()),
        "counts": {
            "groups": len(store.find_groups(ws.id)), "members": len(store.find_members(ws.id)),
            "cards": len(cards), "actions": sum(c.canvas == "actions" for c in cards),
            "votes": len(store.find_votes(ws.id)), "scores": len(store.find_scores(ws.id)),
            "meetings": len(meetings), "reports": len(reports),
            "status changes": len(store.find_action_updates(ws.id)),
            "reflections": len(store.find_reflections(ws.id)),
            "lessons": len(store.find_lessons(ws.id)), "decisions": len(store.find_decisions(ws.id)),
            "characters": len({ch for c in cards for ch in c.text}),
        },
    }
    wb.close()
    return made


def peak_mb() -> float:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, else KiB


def measure(args) -> dict:
    """Export ``args.runs`` times in this (fresh) process: times, the peak memory of the process
    and its size after the imports."""
    from actionlab.record import Scope
    from actionlab.services import Workbook
    from actionlab.settings import Settings

    wb = Workbook.open(Settings(db_url=args.db))
    scope = Scope(kind="meeting", meeting=args.meeting) if args.meeting else None
    base = peak_mb()
    seconds = []
    for _run in range(args.runs):
        start = time.perf_counter()
        name, _media, data = wb.records.render(args.code, args.measure, scope)
        seconds.append(time.perf_counter() - start)
    wb.close()
    return {"seconds": seconds, "peak_mb": peak_mb(), "base_mb": base, "bytes": len(data),
            "name": name}


def measure_baseline(args) -> dict:
    """:func:`measure` for the baseline notebook: its code cells run here, then ``export()``.
    The notebook loads its libraries when it runs, actionlab when it exports: the first export
    counts the cells' time, as actionlab's first export counts loading the format's libraries.
    The record is kept in the work folder (``--keep`` to look at it)."""
    import sqlalchemy  # noqa: F401 (the store's library, loaded before the base size as in measure)

    os.environ.update(BENCH_BASELINE_DB=args.db, BENCH_BASELINE_CODE=args.code)
    cells = json.loads(BASELINE.read_text(encoding="utf-8"))["cells"]
    base = peak_mb()
    start = time.perf_counter()
    space: dict = {"__name__": "__main__"}
    for cell in cells:
        if cell["cell_type"] == "code" and "ui" not in cell.get("metadata", {}).get("tags", []):
            exec(compile("".join(cell["source"]), f"{BASELINE.name}:{cell.get('id')}", "exec"),
                 space)
    seconds = []
    for _run in range(args.runs):
        data = space["export"](args.measure_baseline)
        seconds.append(time.perf_counter() - start)
        start = time.perf_counter()
    name = f"plain-record.{args.measure_baseline}"
    Path(args.workdir, name).write_bytes(data)
    return {"seconds": seconds, "peak_mb": peak_mb(), "base_mb": base, "bytes": len(data),
            "name": name}


# -- the parent ----------------------------------------------------------------------------------

def child(argv: list[str], env: dict) -> dict:
    """Run this script in a child process; its last output line is JSON."""
    done = subprocess.run([sys.executable, __file__, *argv], env=env, capture_output=True,
                          text=True, timeout=STEP_TIMEOUT_S)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip()[-3000:] or f"exit code {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def private_env(root: Path, cache: str) -> dict:
    """The environment of a child: every cache and data folder inside ``root``."""
    env = dict(os.environ)
    for var, sub in (("XDG_CACHE_HOME", f"cache-{cache}"), ("XDG_CONFIG_HOME", "config"),
                     ("XDG_DATA_HOME", "data"), ("ACTIONLAB_HOME", "home"), ("MPLCONFIGDIR", "mpl")):
        env[var] = str(root / sub)
        (root / sub).mkdir(parents=True, exist_ok=True)
    env["PYTHONHASHSEED"] = "0"
    return env


def metric(name: str, value, unit: str, target=None, baseline=None) -> str:
    return json.dumps({"metric": name, "value": value, "unit": unit, "baseline": baseline,
                       "target": target})


def measure_format(fmt: str, meeting: int | None, common: list[str], env: dict,
                   flag: str = "--measure") -> dict:
    """One format in two fresh processes sharing an empty cache folder: the first exports twice
    (cold, then warm), the second once more with the caches the first left (a new session).
    ``flag`` ``--measure-baseline`` measures the baseline notebook instead."""
    argv = [flag, fmt, *common] + (["--meeting", str(meeting)] if meeting else [])
    first = child([*argv, "--runs", "2"], env)
    again = child([*argv, "--runs", "1"], env)
    return {"cold": first["seconds"][0], "warm": first["seconds"][1],
            "first": again["seconds"][0], "cold_peak_mb": first["peak_mb"],
            "peak_mb": again["peak_mb"], "increase_mb": again["peak_mb"] - again["base_mb"],
            "bytes": again["bytes"]}


#: The figures of one export: (key of the measurement, metric suffix, unit, target).
FIGURES = (("warm", "seconds", "s", TARGET_SECONDS), ("cold", "cold_seconds", "s", None),
           ("first", "new_session_seconds", "s", None), ("peak_mb", "peak_mb", "MB", TARGET_MB),
           ("increase_mb", "increase_mb", "MB", None), ("cold_peak_mb", "cold_peak_mb", "MB", None))


def ratio(value: float, base: float) -> str:
    return f"{value / base:5.2f}" if base else "    –"


def report(results: list[tuple[str, dict | str, dict | str | None]]) -> tuple[list[str], int]:
    """Print the tables; return the metric lines and the number of failed exports (the
    baseline's included)."""
    print(f"\n{'export':13s} {'cold s':>7s} {'warm s':>7s} {'new s':>6s} {'cold MB':>8s} "
          f"{'warm MB':>8s} {'+MB':>5s} {'size KB':>8s}")
    lines, failed = [], 0
    for label, res, base in results:
        key = label.replace(" ", "_")
        if isinstance(res, str):
            failed += 1
            print(f"{label:13s} FAILED: {res.splitlines()[-1] if res else ''}")
            continue
        misses = [what for what, bad in (("time", res["warm"] > TARGET_SECONDS),
                                         ("memory", res["peak_mb"] > TARGET_MB)) if bad]
        note = f"  over target ({', '.join(misses)})" if misses else ""
        print(f"{label:13s} {res['cold']:7.2f} {res['warm']:7.2f} {res['first']:6.2f} "
              f"{res['cold_peak_mb']:8.0f} {res['peak_mb']:8.0f} {res['increase_mb']:5.0f} "
              f"{res['bytes'] / 1024:8.0f}{note}")
        known = base if isinstance(base, dict) else {}
        lines += [metric(f"export_{key}_{suffix}", round(res[field], 3 if unit == "s" else 1),
                         unit, target, round(known[field], 3 if unit == "s" else 1)
                         if field in known else None)
                  for field, suffix, unit, target in FIGURES]
    print("cold: first export, empty caches; warm: the next one in the same process; new: the "
          "first in a new process once the caches are made.\n"
          "cold MB: peak of the process that made the caches; warm MB: peak of the new process; "
          "+MB: its peak over its size after importing actionlab and opening the store.\n"
          f"targets per format (warm): {TARGET_SECONDS} s, {TARGET_MB:.0f} MB")
    compared = [(label, res, base) for label, res, base in results if base is not None]
    if compared:
        print(f"\nplain notebook ({BASELINE.name}) beside actionlab, ratio = actionlab / plain\n"
              f"{'export':13s} {'warm s':>7s} {'plain':>7s} {'ratio':>5s} {'new s':>6s} "
              f"{'plain':>6s} {'ratio':>5s} {'warm MB':>8s} {'plain':>6s} {'ratio':>5s} "
              f"{'plain KB':>8s}")
    for label, res, base in compared:
        if isinstance(base, str):
            failed += 1
            print(f"{label:13s} plain notebook FAILED: {base.splitlines()[-1] if base else ''}")
            continue
        if isinstance(res, str):
            continue
        print(f"{label:13s} {res['warm']:7.2f} {base['warm']:7.2f} {ratio(res['warm'], base['warm'])} "
              f"{res['first']:6.2f} {base['first']:6.2f} {ratio(res['first'], base['first'])} "
              f"{res['peak_mb']:8.0f} {base['peak_mb']:6.0f} "
              f"{ratio(res['peak_mb'], base['peak_mb'])} {base['bytes'] / 1024:8.0f}")
    return lines, failed


def run(args) -> int:
    root = Path(tempfile.mkdtemp(prefix="actionlab-bench-export-"))
    try:
        db = args.db or f"sqlite:///{root / 'bench.db'}"
        common = ["--db", db, "--workdir", str(root)]
        print(f"building the workshop ({args.n} people in {args.groups} groups, {args.cards} "
              f"cards, {args.actions} actions, {args.meetings} meetings) …", flush=True)
        made = child(["--build", *common, "--n", str(args.n), "--groups", str(args.groups),
                      "--cards", str(args.cards), "--actions", str(args.actions),
                      "--meetings", str(args.meetings)], private_env(root, "build"))
        print(f"built {made['code']} in {made['seconds']} s: "
              + ", ".join(f"{v} {k}" for k, v in made["counts"].items()), flush=True)
        changed = set(made["formats"]) ^ set(FORMATS)
        if changed:
            print(f"note: the formats differ from the expected ones: {sorted(changed)}")
        # matplotlib lists the system fonts once per machine: not part of any export.
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"],
                       env=private_env(root, "fontlist"), check=True, timeout=STEP_TIMEOUT_S)
        jobs = [(fmt, fmt, None) for fmt in made["formats"]]
        if made["minutes_meeting"]:
            jobs += [(f"minutes {fmt}", fmt, made["minutes_meeting"]) for fmt in MINUTES_FORMATS]
        common += ["--code", made["code"]]
        results: list[tuple[str, dict | str, dict | str | None]] = []
        for label, fmt, meeting in jobs:
            print(f"exporting {label} …", flush=True)
            res = attempt(fmt, meeting, common, private_env(root, label.replace(" ", "-")))
            base = None
            if args.baseline and meeting is None and fmt in FORMATS:
                print(f"exporting {label} with the plain notebook …", flush=True)
                base = attempt(fmt, None, common, private_env(root, f"plain-{fmt}"),
                               "--measure-baseline")
            results.append((label, res, base))
        lines, failed = report(results)
        for label, res, base in results:
            for who, out in (("", res), (" (plain notebook)", base)):
                if isinstance(out, str):
                    print(f"\n{label}{who} failed:\n{out}", file=sys.stderr)
        print("\n".join(lines))
        return 1 if failed else 0
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def attempt(fmt: str, meeting: int | None, common: list[str], env: dict,
            flag: str = "--measure") -> dict | str:
    """:func:`measure_format`, or what went wrong."""
    try:
        return measure_format(fmt, meeting, common, env, flag)
    except (RuntimeError, subprocess.TimeoutExpired, ValueError) as exc:
        return str(exc)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="SQLAlchemy URL (default: a temporary SQLite file)")
    parser.add_argument("--n", type=int, default=40, help="participants (default 40)")
    parser.add_argument("--groups", type=int, default=5, help="groups (default 5)")
    parser.add_argument("--cards", type=int, default=400, help="cards in all, actions included")
    parser.add_argument("--actions", type=int, default=80, help="action cards (default 80)")
    parser.add_argument("--meetings", type=int, default=12, help="meetings held (default 12)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--no-baseline", dest="baseline", action="store_false",
                        help="skip the plain notebook (every baseline is null)")
    internal = argparse.SUPPRESS
    parser.add_argument("--build", action="store_true", help=internal)
    parser.add_argument("--measure", help=internal)
    parser.add_argument("--measure-baseline", help=internal)
    parser.add_argument("--workdir", help=internal)
    parser.add_argument("--code", help=internal)
    parser.add_argument("--meeting", type=int, help=internal)
    parser.add_argument("--runs", type=int, default=2, help=internal)
    args = parser.parse_args()
    if args.n < 1 or args.groups < 1 or args.meetings < 0 or args.actions < 0 or args.cards < 0:
        parser.error("sizes must be positive")
    if args.build:
        print(json.dumps(build(args)))
        return 0
    if args.measure:
        print(json.dumps(measure(args)))
        return 0
    if args.measure_baseline:
        print(json.dumps(measure_baseline(args)))
        return 0
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
