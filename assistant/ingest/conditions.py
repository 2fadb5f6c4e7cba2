"""Clause text → the conditions and amounts of the measure it grants, each with its span.

Rules, not a model: they read Chinese and English policy phrasing (不低于 / at least,
万元 / 亿元 / RMB million, 规上工业企业 / above designated size, 专精特新, date ranges).
Every Condition and Amount keeps the offsets of the words it came from; anything the rules
cannot tie to a span is not extracted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from assistant.text import cn_count
from assistant.types import Amount, Chunk, Condition, Measure
from assistant.vocabulary import INDUSTRY_PATTERNS

_NUM = r"(\d+(?:[.,]\d+)*)"

_RULES: list[tuple[re.Pattern[str], str, str, object]] = [
    (
        re.compile(
            # "纳入本市规模以上工业统计": counted in the above-designated-size statistics.
            r"规模以上工业企业|规上工业企业|规上企业|规模以上企业|纳入(?:本市|全市|本省|全省|本县)?规模以上工业统计|"
            r"above[- ]designated[- ]size",
            re.I,
        ),
        "above_designated_size",
        "==",
        True,
    ),
    (
        re.compile(r"(?:国家级)?专精特新[“\"]?小巨人[”\"]?|little giant", re.I),
        "certifications",
        "has",
        "little_giant",
    ),
    (
        re.compile(
            r"(?<!国家级)专精特新中小企业|\bSRDI\b|specialized, refined, distinctive and innovative",
            re.I,
        ),
        "certifications",
        "has",
        "srdi",
    ),
    (
        re.compile(r"高新技术企业|high[- ]tech enterprise", re.I),
        "certifications",
        "has",
        "high_tech",
    ),
    (
        re.compile(
            r"(?<!专精特新)(?:中小企业|中小型企业|小微企业)|small (?:and|or) medium[- ]sized enterprises?|\bSMEs?\b",
            re.I,
        ),
        "sme",
        "==",
        True,
    ),
    (
        re.compile(r"外商投资企业|外资企业|foreign[- ]invested", re.I),
        "ownership",
        "==",
        "foreign_invested",
    ),
    (re.compile(r"民营企业|private enterprises?", re.I), "ownership", "==", "private"),
    (
        re.compile(r"国有企业|国有控股|state[- ]owned(?! assets)", re.I),
        "ownership",
        "==",
        "state_owned",
    ),
]

_EXPORT_SHARE = [
    re.compile(
        r"出口(?:额|收入|销售额)?占(?:其)?(?:营业收入|销售收入|营收)(?:的)?(?:比重|比例)?"
        rf"(?:不低于|不少于|达到|超过|在)\s*{_NUM}\s*[%％]"
    ),
    re.compile(
        rf"export[^.;:]{{0,80}}?(?:at least|not less than|no less than|of)\s*{_NUM}\s*%", re.I
    ),
]
_EMPLOYEES = [
    (re.compile(rf"(?:从业人员|职工|员工)(?:人数)?\s*{_NUM}\s*人(以下|以上|及以上)"), None),
    (
        re.compile(
            rf"(fewer than|less than|under|no more than|at most|at least|more than)\s*{_NUM}\s*"
            r"(?:employees|staff|workers)",
            re.I,
        ),
        None,
    ),
]
_REVENUE = [
    re.compile(
        rf"(?:年?营业收入|主营业务收入|销售收入|营收)\s*(?:在|达到|不低于|超过|不超过)?\s*{_NUM}\s*"
        r"(万元|亿元)\s*(以上|以下|及以上)?"
    ),
    re.compile(
        rf"revenue of (at least|not less than|over|more than|below|under|less than) "
        rf"RMB\s*{_NUM}\s*(million|billion)?",
        re.I,
    ),
    # "its operating revenue in 2022 was RMB 5 million or more": the bound after the figure.
    re.compile(
        rf"revenue\b[^.;:]{{0,40}}?(?:RMB|CNY)\s*{_NUM}\s*(million|billion)?\s*"
        r"(or more|or above|and above|or less|or below|and below)",
        re.I,
    ),
]
# Any place: a name ending in 省/市/县/区, or capitalized words after "registered in"; the
# matcher resolves it against the places the corpus's documents name.
_REGISTERED_IN = [
    re.compile(
        r"在([\u4e00-\u9fff]{1,10}?(?:省|市|县|区|开发区))(?:行政区域内|内)?[^，。；]{0,14}?(?:注册|登记)"
    ),
    re.compile(r"registered (?:in|there in) ((?:the )?[A-Z][\w-]*(?: [A-Z][\w-]*){0,3})"),
]
_REGISTERED_YEARS = [
    re.compile(r"注册(?:并纳税)?(?:满|已满|不少于|超过)\s*(\d+|[一两二三四五六])\s*(年|个月)"),
    re.compile(
        rf"(?:registered|operating)[^.;]{{0,40}}?for at least\s*{_NUM}\s*(years?|months?)", re.I
    ),
]
_INDUSTRY_INCLUDE = re.compile(
    r"重点支持|重点行业|重点领域|仅限|限于|面向|属于|key (?:industries|sectors)|"
    r"priority (?:industries|sectors)|only",
    re.I,
)
_INDUSTRY_EXCLUDE = re.compile(
    r"不支持|不予支持|不包括|除外|不属于|不享受|不在.{0,8}范围|excluded|"
    r"not eligible|do(?:es)? not apply|cannot apply",
    re.I,
)

_BENEFIT = re.compile(
    r"(补贴|补助|奖励|贴息|资助|减免|减半|免费|优先|补足|扶持|担保|subsid|award|grant|reimburs|voucher|"
    r"refund|exempt|free of charge|priority|compensat|bonus|discount|receive)",
    re.I,
)
_MONEY = [
    re.compile(rf"{_NUM}\s*(亿元|万元|元)"),
    re.compile(rf"(?:RMB|CNY|USD|US\$)\s*{_NUM}\s*(million|billion)?", re.I),
]
_RATE = re.compile(rf"{_NUM}\s*(?:[%％]|percentage points)")
_CAP_CUE = re.compile(
    r"(最高|不超过|上限|封顶|最多|capped at|up to|maximum of|no more than|at most)\s*$", re.I
)
_DATE_ZH = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_MONTHS = "january february march april may june july august september october november december"
_DATE_EN = re.compile(
    r"(\d{1,2}) (" + "|".join(m.capitalize() for m in _MONTHS.split()) + r") (\d{4})"
)
_DEADLINE_CUE = re.compile(r"(截止|截至|之前|前|deadline|by|before|until|no later than)", re.I)


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def to_wan(value: float, unit: str | None) -> float:
    """An amount in 万元 (10,000 yuan), the unit Chinese policy thresholds use."""
    unit = (unit or "").lower()
    return {
        "亿元": value * 10_000,
        "元": value / 10_000,
        "million": value * 100,
        "billion": value * 100_000,
    }.get(unit, value)


def industries_in(text: str) -> list[str]:
    lowered = text.lower()
    return [code for code, pattern in INDUSTRY_PATTERNS.items() if pattern.search(lowered)]


def _sentences(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    for match in re.finditer(r"[。；;！？!?\n]|\.(?=\s)", text):
        yield start, match.end()
        start = match.end()
    if start < len(text):
        yield start, len(text)


class _Found:
    """The conditions read from one text so far, with spans in document offsets."""

    def __init__(self, text: str, base: int) -> None:
        self.text, self.base = text, base
        self.conditions: list[Condition] = []

    def add(
        self, field: str, op: str, value: object, match: re.Match[str], unit: str | None = None
    ) -> None:
        self.conditions.append(
            Condition(
                field=field,
                operator=op,
                value=value,
                unit=unit,
                text=match.group(0),
                start=self.base + match.start(),
                end=self.base + match.end(),
            )
        )


def _read_rules(found: _Found) -> None:
    """Size, SME status, ownership and the other facts one pattern names."""
    text = found.text
    ownerships = {
        value
        for pattern, field, _, value in _RULES
        if field == "ownership" and pattern.search(text)
    }
    # Naming several ownership types ("private, state-owned and foreign-invested alike")
    # opens a measure to all of them; only a single one restricts it.
    open_to_all = len(ownerships) > 1 or re.search(
        r"不论|无论|不分|各类所有制|regardless|alike", text, re.I
    )
    for pattern, field, op, value in _RULES:
        if field == "ownership" and open_to_all:
            continue
        match = pattern.search(text)
        if not match:
            continue
        if field == "ownership":
            sentence = next((text[s:e] for s, e in _sentences(text) if s <= match.start() < e), "")
            if _INDUSTRY_EXCLUDE.search(sentence):
                found.add(field, "not_in", [str(value)], match)
                continue
        found.add(field, op, value, match)


def _read_shares_and_staff(found: _Found) -> None:
    for pattern in _EXPORT_SHARE:
        for match in pattern.finditer(found.text):
            found.add("export_share", ">=", _number(match.group(1)) / 100, match, "share")
    for pattern, _ in _EMPLOYEES:
        for match in pattern.finditer(found.text):
            groups = match.groups()
            if groups[0] and groups[0][0].isdigit():
                count, word = _number(groups[0]), groups[1]
                op = "<=" if word == "以下" else ">="
            else:
                word, count = groups[0].lower(), _number(groups[1])
                op = ">=" if word in {"at least", "more than"} else "<="
            found.add("employees", op, count, match, "employees")


def _read_revenue(found: _Found) -> None:
    text = found.text
    for match in _REVENUE[0].finditer(text):
        value = to_wan(_number(match.group(1)), match.group(2))
        op = "<=" if match.group(3) == "以下" or "不超过" in match.group(0) else ">="
        found.add("annual_revenue_wan", op, value, match, "万元")
    for match in _REVENUE[1].finditer(text):
        below = match.group(1).lower() in {"below", "under", "less than"}
        value = to_wan(_number(match.group(2)), match.group(3) or "元")
        found.add("annual_revenue_wan", "<=" if below else ">=", value, match, "万元")
    for match in _REVENUE[2].finditer(text):
        value = to_wan(_number(match.group(1)), match.group(2) or "元")
        below = match.group(3).lower().endswith(("less", "below"))
        found.add("annual_revenue_wan", "<=" if below else ">=", value, match, "万元")


def _read_registration(found: _Found) -> None:
    for pattern in _REGISTERED_IN:
        for match in pattern.finditer(found.text):
            found.add("region", "in", [re.sub(r"^the ", "", match.group(1), flags=re.I)], match)
    for pattern in _REGISTERED_YEARS:
        for match in pattern.finditer(found.text):
            count = (
                cn_count(match.group(1))
                if not match.group(1).replace(",", "").isdigit()
                else _number(match.group(1))
            )
            years = count / 12 if match.group(2).startswith(("个月", "month")) else count
            found.add("registered_years", ">=", round(years, 3), match, "years")


def _read_industries(found: _Found) -> None:
    """A sentence naming industries restricts to them, or excludes them, by its cue word."""
    text = found.text
    for s, e in _sentences(text):
        sentence = text[s:e]
        codes = industries_in(sentence)
        if not codes:
            continue
        if _INDUSTRY_EXCLUDE.search(sentence):
            op = "not_in"
        elif _INDUSTRY_INCLUDE.search(sentence):
            op = "in"
        else:
            continue
        found.conditions.append(
            Condition(
                field="industry",
                operator=op,
                value=codes,
                text=sentence.strip(),
                start=found.base + s + (len(sentence) - len(sentence.lstrip())),
                end=found.base + s + len(sentence.rstrip()),
            )
        )


_READERS = (
    _read_rules,
    _read_shares_and_staff,
    _read_revenue,
    _read_registration,
    _read_industries,
)


def extract_conditions(text: str, base: int = 0) -> list[Condition]:
    """Conditions stated in `text`, whose offset in the document is `base`."""
    found = _Found(text, base)
    for read in _READERS:
        read(found)
    return found.conditions


def extract_amounts(text: str, base: int = 0) -> list[Amount]:
    amounts: list[Amount] = []
    for pattern in _MONEY:
        for match in pattern.finditer(text):
            before = text[max(0, match.start() - 14) : match.start()]
            unit = match.group(2) or ("元" if pattern is _MONEY[1] else None)
            kind = "cap" if _CAP_CUE.search(before) else "amount"
            amounts.append(
                Amount(
                    kind=kind,
                    value=to_wan(_number(match.group(1)), unit),
                    unit="万元",
                    text=match.group(0),
                    start=base + match.start(),
                    end=base + match.end(),
                )
            )
    for match in _RATE.finditer(text):
        amounts.append(
            Amount(
                kind="rate",
                value=_number(match.group(1)),
                unit="%",
                text=match.group(0),
                start=base + match.start(),
                end=base + match.end(),
            )
        )
    dates = [
        (m, f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}")
        for m in _DATE_ZH.finditer(text)
    ]
    months = {m.capitalize(): i for i, m in enumerate(_MONTHS.split(), start=1)}
    dates += [
        (m, f"{m.group(3)}-{months[m.group(2)]:02d}-{int(m.group(1)):02d}")
        for m in _DATE_EN.finditer(text)
    ]
    for match, iso in dates:
        around = text[max(0, match.start() - 12) : min(len(text), match.end() + 6)]
        kind = "deadline" if _DEADLINE_CUE.search(around) else "period"
        amounts.append(
            Amount(
                kind=kind,
                value=iso,
                text=match.group(0),
                start=base + match.start(),
                end=base + match.end(),
            )
        )
    return sorted(amounts, key=lambda a: a.start)


def benefit_of(text: str) -> str | None:
    match = _BENEFIT.search(text)
    return match.group(1) if match else None


def measure_of(chunk: Chunk) -> Measure | None:
    """The measure a clause grants, if it grants something with an amount, rate or priority."""
    benefit = benefit_of(chunk.text)
    if benefit is None:
        return None
    amounts = extract_amounts(chunk.text, chunk.start)
    concrete = any(a.kind in {"amount", "cap", "rate"} for a in amounts) or re.search(
        r"优先|免费|减半|free of charge|priority|exempt", chunk.text, re.I
    )
    if not concrete:
        return None
    return Measure(
        clause_id=chunk.clause_id,
        doc_id=chunk.doc_id,
        benefit=benefit,
        conditions=extract_conditions(chunk.text, chunk.start),
        amounts=amounts,
    )


SCOPE_CUE = re.compile(
    r"适用于|适用范围|条件|同时满足|同时具备|应当具备|须具备|"
    r"eligib|must meet|applies to|applicants? must|conditions?\b",
    re.I,
)
