"""An enterprise described in words (Chinese or English) → a typed Profile.

Rules over the shared vocabulary (`assistant.vocabulary`): roles, actions with the amount,
date, area or count said next to them, attestations ("no dishonesty record"),
certifications, locality, size, ownership, export share and exports. What the rules cannot
read stays unknown; the profile is echoed back so the user can correct it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, TypeVar

from pydantic import ValidationError

from assistant.answer.eligibility import LocalityMap
from assistant.answer.statements import CERTIFICATION_TITLES, attestation_patterns, attested
from assistant.ingest.conditions import to_wan
from assistant.ingest.restrictions import (
    QUARTER,
    all_vocabulary_matches,
    quarter_span,
    vocabulary_matches,
)
from assistant.text import ENGLISH_NUMBERS, cn_count
from assistant.types import Action, Profile
from assistant.vocabulary import (
    ACTIONS,
    ATTESTATIONS,
    INDUSTRIES,
    MANUFACTURING,
    ROLES,
    name_pattern,
)

_EMPLOYEES = [
    re.compile(r"(\d[\d,]*)\s*(?:名|个)?(?:员工|职工|人)"),
    re.compile(r"(\d[\d,]*)[- ]?(?:employees?|staff|people|workers)", re.I),
    re.compile(
        r"(?:headcount|workforce|staff of)\s*(?:of|is|:)?\s*(?:about|around|roughly)?\s*(\d[\d,]*)",
        re.I,
    ),
    re.compile(
        r"(?:员工|职工)(?:人数)?(?:约|有|共)?\s*(\d[\d,]*|[一二两三四五六七八九十百千]+)\s*(?:人|名)?"
    ),
    re.compile(r"([一二两三四五六七八九十百千]{2,})\s*(?:名|个)?(?:员工|职工)"),
]
_REVENUE = [
    re.compile(
        r"(?:年?营业收入|年营收|营收|年收入|营业额|销售收入|销售额|产值)\s*(?:约|为|达|是|有)?\s*"
        r"(\d+(?:[.,]\d+)*)\s*(亿元|万元|亿|万)"
    ),
    re.compile(
        r"(?:revenue|turnover|sales)[^.;,]{0,30}?RMB\s*(\d+(?:[.,]\d+)*)\s*(million|billion)",
        re.I,
    ),
    # "revenue of 120 million yuan": the currency after the number.
    re.compile(
        r"(?:revenue|turnover|sales)[^.;,]{0,30}?(\d+(?:[.,]\d+)*)\s*(million|billion)\s*"
        r"(?:yuan|RMB|CNY)",
        re.I,
    ),
]
# "出口占比三成", "出口占营收的一半": a share in words, as a percentage.
_SHARE_WORDS = re.compile(r"出口[^，。,;；]{0,12}?(?:([一二三四五六七八九])成|(一半))")
_SHARE = [
    re.compile(r"出口[^，。,;；]{0,14}?(\d+(?:\.\d+)?)\s*[%％]"),
    re.compile(r"export(?:s|ing)?[^,.;]{0,30}?(\d+(?:\.\d+)?)\s*%", re.I),
    re.compile(r"(\d+(?:\.\d+)?)\s*%[^,.;]{0,20}?export", re.I),
    re.compile(
        r"exports?\b[^.;]{0,60}?(\d+(?:\.\d+)?)\s*% of (?:its |our )?(?:operating )?revenue", re.I
    ),
    # "export revenue of RMB 49.6 million, i.e. 31%": decimals and "i.e." do not end it.
    re.compile(r"export (?:revenue|sales)(?:[^.;%]|\.\d|\bi\.e\.){0,60}?(\d+(?:\.\d+)?)\s*%", re.I),
]
_EXPORTS = [
    # Exports as a whole, not one channel's ("跨境电商出口额1380万元" is not the firm's exports),
    # nor what is paid on them ("出口信用保险保费60万元", "export credit insurance premium").
    (
        re.compile(
            r"(?<!电商)(?<!跨境)出口(?!信用|信保|保险|退税)(?:额|总额)?[^，。%％]{0,8}?"
            r"(\d+(?:\.\d+)?)\s*(亿|万)(美元|元)?"
        ),
        "zh",
    ),
    (
        re.compile(
            r"exports?(?!\s+(?:credit|tax))[^,.;%]{0,30}?(USD|RMB|US\$)\s*(\d+(?:\.\d+)?)\s*(million|billion)?",
            re.I,
        ),
        "en",
    ),
]
_YEARS = [
    re.compile(r"注册(?:了|满|已满|已经|已有|已|有)?\s*(\d+|[一两二三四五六])\s*(年|个月)"),
    re.compile(r"registered[^,.;]{0,40}?(?:for )?(\d+)\s*(years?|months?)", re.I),
]
_OWNERSHIP = [
    (
        "foreign_invested",
        re.compile(
            r"外资|外商投资|中外合资|(?:港|澳|台|韩|日|德|美|欧|新加坡)资(?:企业)?|"
            r"foreign[- ]invested|joint venture|"
            r"\b(?:Hong Kong|Macao|Taiwan|Korean|Japanese|German|American|U\.?S\.?|European|"
            r"Singapore(?:an)?|French|British)[- ](?:invested|owned|funded)|"
            r"\bowned by (?:our|a|its|the) (?:Hong Kong|Macao|Taiwan(?:ese)?|foreign|overseas) "
            r"(?:parent|shareholder|investor)|"
            r"\b(?:Hong Kong|Macao|Taiwan(?:ese)?|foreign|overseas) parent (?:company )?"
            r"(?:owns|holds)",
            re.I,
        ),
    ),
    ("state_owned", re.compile(r"国有|国企|state[- ]owned|\bSOE\b", re.I)),
    ("private", re.compile(r"民营|私营|民企|private", re.I)),
]
# A negation just before a title or role denies it: "目前还不是国家级专精特新“小巨人”企业",
# "我们自己不运营跨境电商平台", "we do not operate a platform".
_DENIED_BEFORE = re.compile(
    r"(?:不是|并非|非|没有|未|不|尚未|还不是)[^，。；,;]{0,8}$|"
    r"\b(?:not|never|no|don't|doesn't|do not|does not)\b[^,.;]{0,24}$",
    re.I,
)


def _affirmed(text: str, start: int) -> bool:
    """Whether a name at `start` is said of the enterprise, not denied."""
    return _DENIED_BEFORE.search(text[max(0, start - 30) : start]) is None


_SME = re.compile(r"中小企业|小微企业|\bSMEs?\b|small (?:and|or) medium", re.I)
_MONEY = re.compile(
    r"(?:(RMB|USD|CNY|US\$)\s*)?(\d+(?:[.,]\d+)*)\s*(亿元|万元|亿|万|million|billion)", re.I
)
_RD_RATIO = [
    re.compile(r"(?:研究开发费用|研发费用|研发投入)[^，。；,;]{0,12}?(\d+(?:\.\d+)?)\s*[%％]"),
    # "研发费用520万元，占营业收入4.7%", "约占营业收入的6.9%"
    re.compile(
        r"(?:研究开发费用|研发费用|研发投入)[^。；;]{0,20}?[，,]\s*(?:约)?占[^，。；,;]{0,10}?"
        r"(\d+(?:\.\d+)?)\s*[%％]"
    ),
    # "R&D expenses were RMB 6.1 million (7.1% of revenue)": decimals do not end the phrase.
    re.compile(
        r"R&D (?:spending|expenditure|expenses?|investment)(?:[^,.;]|\.\d){0,40}?"
        r"(\d+(?:\.\d+)?)\s*%",
        re.I,
    ),
]
_MONTHS_SAID = [
    re.compile(
        r"(?:期限|租期|运营|运行|经营|投入使用)(?:了|为|已|是)?\s*(\d{1,3}(?:\.\d+)?|[一二两三四五六七八九十]+)\s*"
        r"(年|个月)"
    ),
    re.compile(r"\bfor (\d{1,3}(?:\.\d+)?)\s*(years?|months?)\b", re.I),
    re.compile(
        rf"(\d+(?:\.\d+)?|{'|'.join(ENGLISH_NUMBERS)})[- ](years?|months?)[- ](?:loan|term|lease)",
        re.I,
    ),
    re.compile(
        r"(?:term of|tenor of|in operation for|operating for|operated for)\s*"
        r"(\d+(?:\.\d+)?)\s*(years?|months?)",
        re.I,
    ),
]
_AREA = re.compile(
    r"(\d+(?:,\d{3})*)\s*(?:平方米|平米|square met(?:re|er)s|sq\.? ?m|m²|m2\b)", re.I
)
_COUNT = re.compile(
    r"(\d+)\s*(?:家|local |other )?[^,.;，。]{0,20}?(?:企业|enterprises|exporters|firms)", re.I
)
_DATE_ZH = re.compile(r"(\d{4})年(\d{1,2})月(?:(\d{1,2})[日号])?")
# 2023-04-10, 2023.4.10, 2023/4/10: year first, so never ambiguous.
_DATE_NUMERIC = re.compile(r"(?<!\d)(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?!\d)")
_MONTHS = "january february march april may june july august september october november december"
# A month as enterprises write it: "November", "Nov", "Nov.", "Sept".
_MONTH_WORD = (
    r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?"
)
# "8 Nov 2023", "March 3, 2023", and a list sharing one year ("on 22 Aug, 9 Oct and 27 Nov
# 2023"): the first date, with the year the list ends on.
_DATE_EN = re.compile(
    rf"(?:(\d{{1,2}}) )?({_MONTH_WORD})(?: (\d{{1,2}}))?"
    rf"(?:(?:,| and| &)\s*\d{{1,2}} {_MONTH_WORD})*,? (\d{{4}})",
    re.I,
)
# "registered there since March 2020", "2019年8月在演示高新区注册": years to the date asked.
_REGISTERED_ON = [
    re.compile(
        r"(\d{4}年\d{1,2}月(?:\d{1,2}日)?)\s*(?:在[^，。；]{0,12}?)?"
        r"(?:注册|登记注册|成立|把注册地迁(?:到|至|入))"
    ),
    re.compile(
        r"(?:registered|incorporated|established)[^.;]{0,40}?\b(?:since|in|on)\s+"
        r"((?:\d{1,2} )?(?:" + "|".join(_MONTHS.split()) + r")(?: \d{1,2},?)? \d{4})",
        re.I,
    ),
    # Only the year ("2016年在县里注册", "registered there since 2014"): counted from its
    # last day, so the years are never more than it has been.
    re.compile(r"(\d{4})\s*年\s*(?:就|起)?\s*(?:在[^，。；]{0,12}?)?(?:注册|登记注册|成立)"),
    re.compile(
        r"(?:registered|incorporated|established|founded)[^.;]{0,40}?\b(?:since|in)\s+"
        r"(\d{4})\b(?!\s*(?:revenue|sales|exports))",
        re.I,
    ),
]
_SENTENCE_END = re.compile(r"[。；;!?！？]|\.(?=\s|$)")
_PIECE = re.compile(r"[，。；;!?！？]|,(?!\d{3})|\.(?=\s|$)|\band\b")
_ASKS = [
    re.compile(
        r"(?:哪些|什么|能否|可以|能不能|是否|可不可以|能).{0,12}(?:申请|享受|申报|支持|政策|补贴|补助|奖励|措施)"
    ),
    re.compile(
        r"\b(?:what|which)\b[^?]{0,60}\b(?:apply|support|subsid|award|measures?|qualify|eligible)|"
        r"\b(?:can|could) we (?:apply|get|claim|receive)|\b(?:are we|am I) eligible|"
        r"\bdo we qualify",
        re.I,
    ),
]
_DESCRIBES = re.compile(
    r"我们|我司|本公司|我公司|我们公司|本企业|我厂|\bwe(?:'re| are)\b|\bour (?:company|firm|factory)\b|"
    r"\bwe (?:make|run|have|employ|export|operate)",
    re.I,
)


def asks_what_applies(text: str) -> bool:
    """A question that describes the asker's enterprise and asks what it can apply for."""
    return bool(_DESCRIBES.search(text)) and any(p.search(text) for p in _ASKS)


# A question of its own ("第五条的截止时间是？") rather than a statement of fact.
_ASKS_SOMETHING = re.compile(
    r"[?？]|吗|呢|什么|哪|多少|几|如何|怎么|(?:how|what|when|which|where|who|why|is|are|does|do|can)",
    re.I,
)


def asks_something(text: str) -> bool:
    """A message with a question of its own in it."""
    return bool(_ASKS_SOMETHING.search(text))


def states_facts(text: str) -> bool:
    """A message that tells more about the asker's enterprise without asking anything, as
    an answer to the matcher's follow-up questions does ("我们2023年3月新购置生产设备800万元")."""
    return bool(_DESCRIBES.search(text)) and not _ASKS_SOMETHING.search(text)


def _first_number(patterns: list[re.Pattern[str]], text: str) -> re.Match[str] | None:
    for pattern in patterns:
        if match := pattern.search(text):
            return match
    return None


def _piece_around(text: str, start: int, end: int) -> str:
    """The comma-separated piece holding a match: where its amount and date are said."""
    left = max((m.end() for m in _PIECE.finditer(text, 0, start)), default=0)
    right = next((m.start() for m in _PIECE.finditer(text, end)), len(text))
    return text[left:right]


def _export_share(text: str, share: re.Match[str] | None) -> float | None:
    if share is not None:
        return float(share.group(1)) / 100
    if words := _SHARE_WORDS.search(text):
        return 0.5 if words.group(2) else cn_count(words.group(1)) / 10
    return None


def cn_count_or_number(text: str) -> float:
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    if text.lower() in ENGLISH_NUMBERS:
        return float(ENGLISH_NUMBERS.index(text.lower()) + 1)
    return cn_count(text)


def _date(text: str) -> dt.date | None:
    found = [m for m in (_DATE_ZH.search(text), _DATE_NUMERIC.search(text)) if m]
    if found:
        first = min(found, key=lambda m: m.start())
        try:
            return dt.date(int(first.group(1)), int(first.group(2)), int(first.group(3) or 1))
        except ValueError:
            return None
    if en := _DATE_EN.search(text):
        month = [m[:3] for m in _MONTHS.split()].index(en.group(2).lower()[:3]) + 1
        day = int(en.group(1) or en.group(3) or 1)
        return dt.date(int(en.group(4)), month, day)
    return None


def _last_date(text: str) -> dt.date | None:
    """The last date said in `text`."""
    starts = [m.start() for p in (_DATE_ZH, _DATE_NUMERIC, _DATE_EN) for m in p.finditer(text)]
    return _date(text[max(starts) :]) if starts else None


# "RMB 400,000": a currency with no unit word is an amount in yuan.
_YUAN = re.compile(
    r"(RMB|CNY|USD|US\$)\s*(\d{1,3}(?:,\d{3})+|\d+)(?![\d.,]*\s*(?:million|billion))", re.I
)


def _amount_in(piece: str) -> float | None:
    if money := _MONEY.search(piece):
        return _money_wan(money)[0]
    if yuan := _YUAN.search(piece):
        return to_wan(float(yuan.group(2).replace(",", "")), "元")
    return None


def _months_in(piece: str) -> float | None:
    match = _first_number(_MONTHS_SAID, piece)
    if match is None:
        return None
    months = cn_count_or_number(match.group(1)) * (12 if match.group(2)[0] in "年yY" else 1)
    # A year ("for 2023 year-end") is not a term: no loan or lease runs a century.
    return months if months <= 1200 else None


def _amount_wan(number: str, unit: str) -> float:
    """ "1.52" and "亿" (or "亿元", "million"…) as 万."""
    return to_wan(float(number.replace(",", "")), {"亿": "亿元", "万": "万元"}.get(unit, unit))


def _money_wan(match: re.Match[str]) -> tuple[float, bool]:
    """An amount in 万 and whether it is in US dollars."""
    currency, number, unit = match.group(1) or "", match.group(2), match.group(3).lower()
    usd = currency.upper() in {"USD", "US$"}
    return _amount_wan(number, unit), usd


def _actions(text: str) -> list[Action]:
    """Actions with what is said next to them. "一个2500万元设备投资的项目" with a major
    project named: the amount is the project's, as the clause about projects reads it. An
    action named more than once ("贷款用于购置设备…另有一批设备投资650万元") is read where
    its amount and date are said."""
    found = vocabulary_matches(ACTIONS, text, "profile")
    mentions = all_vocabulary_matches(ACTIONS, text, "profile")
    actions: list[Action] = []
    for code, first in found:
        candidates = [_action_at(text, code, m, found) for c, m in mentions if c == code] or [
            _action_at(text, code, first, found)
        ]
        chosen = max(candidates, key=lambda a: (a.amount_wan is not None) + (a.date is not None))
        if len(candidates) > 1:
            chosen = _latest_of_two_years(text, [m for c, m in mentions if c == code], chosen)
        actions.append(chosen)
    # "一个2500万元设备投资的项目 … 重大项目": the equipment investment is the project's.
    project = next((a for a in actions if a.kind == "major_project" and a.amount_wan is None), None)
    bought = next((a for a in actions if a.kind == "buy_equipment" and a.amount_wan), None)
    if project is not None and bought is not None and re.search(r"项目|project", text, re.I):
        actions[actions.index(project)] = project.model_copy(
            update={"amount_wan": bought.amount_wan, "date": project.date or bought.date}
        )
    return actions


def _action_at(
    text: str, code: str, match: re.Match[str], found: list[tuple[str, re.Match[str]]]
) -> Action:
    piece = _piece_around(text, match.start(), match.end())
    # A term is often said in the next piece ("贷款合同150万元，贷款期限2年"): read on to
    # the end of the sentence or the next action named.
    stops = [m.start() for c, m in found if c != code and m.start() > match.end()]
    sentence_end = next((m.start() for m in _SENTENCE_END.finditer(text, match.end())), len(text))
    following = text[match.start() : min([*stops, sentence_end])]
    # "…bought export credit insurance from Sinosure; the current policy runs from 1 October
    # 2023": the next sentence, when it names no other action, still speaks of this one.
    beyond = (
        _next_sentence(text, sentence_end) if sentence_end <= min(stops, default=1 << 30) else ""
    )
    # "2022年12月27日我们…签了合同，买了3台加工中心，…2023年1月到厂": a date said before
    # it in the sentence, after any other action, is its date rather than one that follows.
    opens = max((m.end() for m in _SENTENCE_END.finditer(text, 0, match.start())), default=0)
    others = [m.end() for c, m in found if c != code and opens <= m.end() <= match.start()]
    preceding = text[max([opens, *others]) : match.start()]
    area = _AREA.search(piece) or _AREA.search(following) or _AREA.search(beyond)
    amount = _amount_in(piece) or _amount_in(following) or _amount_in(beyond)
    return _valid(
        Action,
        kind=code,
        amount_wan=amount,
        date=_date(piece)
        or _quarter_end(piece)
        or _year_of_figure(piece, amount)
        or _last_date(preceding)
        or _date(following)
        or _date(beyond),
        area_sqm=float(area.group(1).replace(",", "")) if area else None,
        months=_months_in(piece) or _months_in(following) or _months_in(beyond),
        what=piece.strip()[:200] or None,
        growth=_growth_in(f"{piece}，{following}，{beyond}", amount),
    )


# Growth said outright ("同比增长25%", "up 14% year on year"), or a fall.
_GROWTH_SAID = re.compile(
    r"(?:增长|增加|上升|提高)了?\s*(?:约|大约|近|超过)?\s*(?P<zh>\d+(?:\.\d+)?)\s*[%％]|"
    r"(?:下降|减少)了?\s*(?:约|大约|近)?\s*(?P<zh_fall>\d+(?:\.\d+)?)\s*[%％]|"
    r"\b(?:up|grew|growth of|increase of|increased|rose)\s+(?:by\s+)?"
    r"(?:about\s+|around\s+|nearly\s+)?(?P<en>\d+(?:\.\d+)?)\s*%|"
    r"\b(?:down|fell|decreased|declined)\s+(?:by\s+)?(?:about\s+)?(?P<en_fall>\d+(?:\.\d+)?)\s*%",
    re.I,
)
# A figure the enterprise only expects ("预计增长15%", "expected to grow 18%") is not a fact.
_FORECAST = re.compile(r"预计|预期|估计|力争|目标|expect|estimat|forecast|projected|target", re.I)
# The same figure for two years ("2022年研发费用620万（2021年是540万）", "RMB 24 million in
# 2022 against RMB 21 million in 2021"): the growth is worked out from them.
_YEAR_AMOUNT = [
    re.compile(
        r"(20\d\d)\s*年[^，。；,;\d%％]{0,12}?(?:是|为|的)?\s*(\d+(?:\.\d+)?)\s*(亿元|万元|亿|万)"
    ),
    re.compile(
        r"(?:RMB|CNY)\s*(\d+(?:[.,]\d+)*)\s*(million|billion)\s+in\s+(?:Q[1-4]\s+)?(20\d\d)", re.I
    ),
]
# Only a prior figure ("up from RMB 7 million", "比2021年的880万元"): against the action's own.
_PRIOR_SAID = re.compile(
    r"(?:against|up from|compared with|versus|vs\.?|比|较)\s*(?:RMB|CNY)?\s*"
    r"(?:20\d\d\s*年[^，。；\d]{0,8}?的?)?\s*(\d+(?:[.,]\d+)*)\s*(亿元|万元|亿|万|million|billion)",
    re.I,
)


def _amounts_by_year(segment: str) -> dict[int, float]:
    by_year: dict[int, float] = {}
    for found in _YEAR_AMOUNT[0].finditer(segment):
        by_year.setdefault(int(found.group(1)), _amount_wan(found.group(2), found.group(3)))
    for found in _YEAR_AMOUNT[1].finditer(segment):
        by_year.setdefault(int(found.group(3)), _amount_wan(found.group(1), found.group(2)))
    return by_year


def _latest_of_two_years(text: str, said: list[re.Match[str]], action: Action) -> Action:
    """An action whose figure is said for two years in separate places ("2022年营业收入…，
    研发费用1100万元…；2021年研发费用是950万元"): the latest year's figure, and its growth on
    the year before. A figure said with no year of its own is of the year its sentence named
    last before it."""
    by_year: dict[int, float] = {}
    for match in said:
        piece = _piece_around(text, match.start(), match.end())
        tagged = _amounts_by_year(piece)
        amount = _amount_in(piece)
        if not tagged and amount is not None:
            opens = max(
                (m.end() for m in _SENTENCE_END.finditer(text, 0, match.start())), default=0
            )
            years = re.findall(r"(20\d\d)\s*年", text[opens : match.start()])
            tagged = {int(years[-1]): amount} if years else {}
        for year, figure in tagged.items():
            by_year.setdefault(year, figure)
    found = _year_on_year(by_year)
    if found is None:
        return action
    year, growth = found
    update = {"amount_wan": by_year[year], "growth": growth, "date": dt.date(year, 12, 31)}
    return action.model_copy(update=update)


def _year_on_year(by_year: dict[int, float]) -> tuple[int, float] | None:
    """The latest year and its growth on the year before, when both figures are given."""
    years = sorted(by_year)
    if len(years) < 2 or years[-1] - years[-2] != 1 or by_year[years[-2]] <= 0:
        return None
    return years[-1], round(by_year[years[-1]] / by_year[years[-2]] - 1, 6)


def _growth_in(segment: str, amount_wan: float | None) -> float | None:
    """The year-on-year growth said about an action, or worked out from two years' figures."""
    for match in _GROWTH_SAID.finditer(segment):
        if _FORECAST.search(segment[max(0, match.start() - 15) : match.start()]):
            continue
        said = match.group("zh") or match.group("en")
        if said is not None:
            return float(said) / 100
        return -float(match.group("zh_fall") or match.group("en_fall")) / 100
    if _FORECAST.search(segment):
        return None
    by_year = _amounts_by_year(segment)
    if len(by_year) >= 2:
        found = _year_on_year(by_year)
        return found[1] if found else None
    prior = _PRIOR_SAID.search(segment)
    if prior is not None and amount_wan:
        before_wan = _amount_wan(prior.group(1), prior.group(2))
        return round(amount_wan / before_wan - 1, 6) if before_wan > 0 else None
    return None


def _year_of_figure(piece: str, amount_wan: float | None) -> dt.date | None:
    """A figure said for a year ("2022年研发费用620万", "RMB 24 million in 2022") is dated
    to the year's last day: the event a measure admits by date is that year's spending."""
    years = [year for year, figure in _amounts_by_year(piece).items() if figure == amount_wan]
    return dt.date(max(years), 12, 31) if years else None


def _quarter_end(text: str) -> dt.date | None:
    """The last day of a quarter said ("2022年第四季度", "Q4 2022"): when quarterly figures are
    dated."""
    found = QUARTER.search(text)
    return dt.date.fromisoformat(quarter_span(found)[1]) if found else None


def _next_sentence(text: str, end: int) -> str:
    """The sentence after the one ending at `end`, when it names no action of its own."""
    if end >= len(text):
        return ""
    stop = next((m.start() for m in _SENTENCE_END.finditer(text, end + 1)), len(text))
    sentence = text[end + 1 : stop]
    return "" if all_vocabulary_matches(ACTIONS, sentence, "profile") else sentence


def _exports(text: str) -> tuple[float | None, float | None]:
    for pattern, language in _EXPORTS:
        match = pattern.search(text)
        if not match:
            continue
        if language == "zh":
            value = to_wan(float(match.group(1)), {"亿": "亿元", "万": "万元"}[match.group(2)])
            return (None, value) if match.group(3) == "美元" else (value, None)
        value = to_wan(float(match.group(2)), (match.group(3) or "元").lower())
        return (None, value) if match.group(1).upper() in {"USD", "US$"} else (value, None)
    return None, None


# How many enterprises it serves: the count must be of enterprises, so that "服务合同16万元"
# is not read as sixteen.
_SERVED = [
    re.compile(
        r"(?:serves?|served|serving)[^,.;]{0,30}?(\d+)\s*(?:other\s+|local\s+|more\s+)*"
        r"(?:[\w-]+\s+){0,3}(?:enterprises|companies|firms|exporters|manufacturers)",
        re.I,
    ),
    re.compile(r"(?:为|服务(?:了)?)[^，。；]{0,16}?(\d+)\s*家[^，。；]{0,12}?(?:企业|公司|厂)"),
    re.compile(r"服务(?:了)?[^，。；]{0,16}?(?:企业|公司|厂)\s*(\d+)\s*家"),
]
# The date the enterprise asks about, when it says so ("现在是2023年8月15日", "we are
# applying on 10 July 2023"): which version is in force, and whether a window is open.
_TODAY_SAID = re.compile(
    r"现在是|今天是|目前是|截至今天|截至目前|申报日期|申请日期|拟于|计划于|"
    r"(?:今天|现在|今日)(?=\s*[，,:：]?\s*\d{4}\s*[年./-])|"
    r"\b(?:today is|as of|we are applying on|we will apply on|we apply on|applying on)\b|"
    r"\b(?:date today|today's date|today)\s*[:：]|"
    r"\bit(?:'s| is)(?=\s+(?:\d{1,2}\s+)?[a-z]+\s+(?:\d{1,2},?\s+)?\d{4}\b)",
    re.I,
)


# A place the description says the enterprise is not in: "(not in the Demo Hi-tech Zone)".
_NOT_THERE = re.compile(
    r"(?:\bnot|\boutside)\s+(?:registered\s+)?(?:in\s+)?(?:the\s+)?$|不在$|不属于$", re.I
)
# Where it says it is registered or based: "registered in …", "在样港市注册", "位于…".
_REGISTERED_BEFORE = re.compile(
    r"(?:registered|based|located|incorporated|headquartered)\s+(?:in|at)\s+"
    r"(?:[\w-]+[\s,]*){0,5}[(（]?\s*$|(?:注册(?:地)?(?:在|于)|位于|落户(?:在|于)?|坐落(?:在|于))[^，。；]{0,12}$",
    re.I,
)
_REGISTERED_AFTER = re.compile(r"^[^，。；,.]{0,12}注册")


def _region(text: str, localities: LocalityMap) -> str | None:
    """The place the enterprise is registered in: among the corpus's places the text names
    (and does not deny), those it says it is registered or based in, the most specific of
    them (a city over its province), the longest name first."""
    lowered = text.lower()
    named: list[tuple[str, bool]] = []
    for names in localities.aliases.values():
        for name in names:
            for found in re.finditer(re.escape(name), lowered):
                before = lowered[max(0, found.start() - 60) : found.start()]
                if _NOT_THERE.search(before[-30:]):
                    continue
                registered = bool(
                    _REGISTERED_BEFORE.search(before)
                    or _REGISTERED_AFTER.match(lowered[found.end() :])
                )
                named.append((name, registered))
    if not named:
        return None
    pool = {n for n, registered in named if registered} or {n for n, _ in named}
    inner = [
        n
        for n in pool
        if not any(
            n in localities.resolve(other) and n not in localities.names_of(other)
            for other in pool
            if other != n
        )
    ]
    return max(inner or pool, key=lambda n: (len(n), n))


def profile_from_text(text: str, localities: LocalityMap, today: dt.date | None = None) -> Profile:
    """Rules that read an enterprise's description; what they cannot read stays None."""
    return _with_shares_worked_out(_profile_as_stated(text, localities, today), text)


# R&D spending as an amount ("2022年研发费用912万元", "R&D spending was RMB 24 million").
_RD_SPENDING = [
    re.compile(
        r"(?:研究开发费用|研发费用|研发投入)\s*(?:约|为|达|是|有)?\s*(\d+(?:\.\d+)?)\s*(亿元|万元|亿|万)"
    ),
    re.compile(
        r"R&D (?:spending|expenses?|expenditure|costs?)[^.;,]{0,20}?RMB\s*(\d+(?:[.,]\d+)*)\s*"
        r"(million|billion)",
        re.I,
    ),
]


def _with_shares_worked_out(profile: Profile, text: str) -> Profile:
    """Export share and R&D share from the amounts the enterprise gives, where it states no
    share: "operating revenue RMB 58 million, of which export revenue RMB 37.7 million"."""
    revenue = profile.annual_revenue_wan
    if not revenue:
        return profile
    update: dict[str, float] = {}
    exports = profile.annual_exports_wan
    if profile.export_share is None and exports and exports <= revenue:
        update["export_share"] = round(exports / revenue, 4)
    spent = _first_number(_RD_SPENDING, text)
    if profile.rd_ratio is None and spent is not None:
        amount = _amount_wan(spent.group(1), spent.group(2))
        if amount <= revenue:
            update["rd_ratio"] = round(amount / revenue, 4)
    return profile.model_copy(update=update) if update else profile


def _profile_as_stated(text: str, localities: LocalityMap, today: dt.date | None) -> Profile:
    region = _region(text, localities)
    employees = _first_number(_EMPLOYEES, text)
    revenue = _first_number(_REVENUE, text)
    share = _first_number(_SHARE, text)
    years = _first_number(_YEARS, text)
    above = _above_designated_size(text)
    industries = _industries_named(text)
    roles = _roles(text, industries)
    certifications = [
        code
        for code, title in CERTIFICATION_TITLES.items()
        if any(_affirmed(text, m.start()) for m in title.finditer(text))
    ]
    exports_rmb, exports_usd = _exports(text)
    rd_ratio = _first_number(_RD_RATIO, text)
    served = _first_number(_SERVED, text)
    said_today = _TODAY_SAID.search(text)
    as_of = (_date(text[said_today.end() : said_today.end() + 40]) if said_today else None) or today
    return _valid(
        Profile,
        region=region,
        industry=industries[0] if industries else None,
        employees=int(cn_count_or_number(employees.group(1).replace(",", "")))
        if employees
        else None,
        annual_revenue_wan=_amount_wan(revenue.group(1), revenue.group(2)) if revenue else None,
        ownership=next((o for o, p in _OWNERSHIP if p.search(text)), None),
        export_share=_export_share(text, share),
        certifications=certifications,
        above_designated_size=above,
        registered_years=(
            (cn_count(years.group(1)) if not years.group(1).isdigit() else float(years.group(1)))
            / (12 if years.group(2).startswith(("个月", "month")) else 1)
            if years
            else _years_since(text, as_of)
        ),
        annual_exports_wan=exports_rmb,
        annual_exports_usd_wan=exports_usd,
        roles=roles,
        actions=_actions(text),
        attestations=[
            code
            for code, _ in vocabulary_matches(ATTESTATIONS, text, "profile")
            if attested(text, *attestation_patterns(code))
        ],
        served_enterprises=int(served.group(1)) if served else None,
        rd_ratio=float(rd_ratio.group(1)) / 100 if rd_ratio else None,
        as_of=as_of,
        free_text=text[:4000],
    )


Model = TypeVar("Model", Profile, Action)


def _valid(model: type[Model], **fields: Any) -> Model:
    """The model with every value the words give that it accepts: a figure out of range
    ("出口占营收150%", "员工99999999999人") is left unread rather than failing the question."""
    while True:
        try:
            return model(**fields)
        except ValidationError as exc:
            bad = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
            if not bad or not bad <= fields.keys():
                raise
            for name in bad:
                fields[name] = model.model_fields[name].get_default(call_default_factory=True)


def _above_designated_size(text: str) -> bool | None:
    if not re.search(r"规上|规模以上|above[- ]designated[- ]size", text, re.I):
        return None
    return not re.search(
        r"(?:尚未|未|没有?|还没有?|不是|非)(?:进入?|达到|纳入|列入)?\s*规|"
        r"not (?:yet )?(?:above|included|counted|in)\b[^.,;]{0,20}designated",
        text,
        re.I,
    )


def _roles(text: str, industries: list[str]) -> list[str]:
    """The roles it says it has, not those it denies; a maker in a manufacturing industry is
    a manufacturer."""
    roles = [
        code
        for code, match in all_vocabulary_matches(ROLES, text, "profile")
        if _affirmed(text, match.start())
        and not (code == "manufacturer" and _OTHERS_MAKING.search(text[: match.start()]))
    ]
    if not roles and industries and industries[0] in MANUFACTURING:
        roles = ["manufacturer"]
    if _NOT_A_MAKER.search(text):
        roles = [r for r in roles if r != "manufacturer"]
    return list(dict.fromkeys(roles))


# A factory that is someone else's: "货都是客户工厂生产的", "we buy them from factories in…".
_OTHERS_MAKING = re.compile(
    r"(?:客户|其他|别人|别家|上游|供应商)[^，。；]{0,4}$|"
    r"(?:customers?'?s?|suppliers?'?s?|other|from|by)\s+(?:\w+\s+){0,2}$",
    re.I,
)
# It says it makes nothing itself: a trader or a forwarder, whatever factories it names.
_NOT_A_MAKER = re.compile(
    r"(?:do not|don't|does not|doesn't|never) (?:make|manufacture|produce)|"
    r"(?:自己|本身|本公司|我们|公司)(?:并)?(?:不|没有)(?:生产|制造)|"
    r"\btrading (?:company|firm|house)\b|贸易公司|外贸公司|商贸公司|货代公司",
    re.I,
)


def _industries_named(text: str) -> list[str]:
    """The industries the text names, the one it names first leading: "we make X" opens a
    description. In a compound ("新能源汽车电机控制器", "化工新材料") the last name is the
    head noun and leads instead."""
    lowered = text.lower().replace("-", " ")  # "integrated-circuit packaging"
    # "不属于钢铁、水泥这类项目" denies the industry it names.
    mentions = sorted(
        (m.start(), -len(name), m.end(), code)
        for code, names in INDUSTRIES.items()
        for name in names
        for m in re.finditer(name_pattern(name.replace("-", " ")), lowered)
        if _affirmed(lowered, m.start())
    )
    if not mentions:
        return []
    start, _, end, lead = mentions[0]
    for other_start, _, other_end, code in mentions[1:]:
        if other_start > end or not re.search(r"[\u4e00-\u9fff]", lowered[start:end]):
            break
        if code != lead and other_start >= end - 1:
            lead, end = code, other_end
    ordered = [lead] + [code for *_, code in mentions if code != lead]
    return list(dict.fromkeys(ordered))


def _years_since(text: str, as_of: dt.date | None) -> float | None:
    """Years registered, from the date it says it registered to the date it asks about."""
    found = _first_number(_REGISTERED_ON, text)
    registered = _date(found.group(1)) if found else None
    if found is not None and registered is None and re.fullmatch(r"\d{4}", found.group(1)):
        registered = dt.date(int(found.group(1)), 12, 31)
    if registered is None:
        return None
    until = as_of or dt.date.today()
    return round(max(0.0, (until - registered).days / 365.25), 2)


def is_sme_stated(text: str) -> bool:
    return bool(_SME.search(text))


__all__ = ["asks_what_applies", "profile_from_text"]
