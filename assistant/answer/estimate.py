"""How much? A measure's rate and cap applied to the base the profile gives.

Only where the clause says its rate is a share of something the profile states as an
action's amount ("按设备投资额的10%", "30% of the premium actually paid"), or of its
increase on the year before where the profile gives the growth ("按研究开发费用增量部分的
10%"): a rate on interest or per container has a base the profile does not give, and a share
that limits something ("计入部分不超过设备投资额的30%") is not the rate paid. Then no
estimate is shown rather than a wrong one.
"""

from __future__ import annotations

import re

from assistant.answer.extractive import make_citation
from assistant.types import (
    Action,
    Amount,
    Citation,
    Document,
    Estimate,
    Measure,
    Profile,
    SearchHit,
)

# Actions whose stated amount can be the base of a rate, with the words a clause uses for
# that base ("按设备投资额的10%", "50% of the first-year platform service fee"). A rate of
# anything else (interest paid, an increase, a service fee the profile does not state) has
# no base here.
RATE_BASES: dict[str, tuple[str, ...]] = {
    "buy_equipment": ("设备投资额", "设备购置", "equipment investment", "equipment purchase"),
    "credit_insurance": ("保费", "premium"),
    "overseas_warehouse": ("租金", "建设", "租赁费", "rent", "construction", "lease cost"),
    "digital_contract": ("合同金额", "contract amount", "contract value"),
    "financial_lease": ("设备价款", "融资租赁"),
    "trade_fair": ("展位费", "booth fee"),
    "cloud": ("云服务费", "cloud service fee"),
}
# Actions whose increase on the year before can be the base ("按研究开发费用增量部分的10%",
# "按第四季度工业总产值增量的1%"), worked out from the amount and the growth the profile gives.
INCREASE_BASES: dict[str, tuple[str, ...]] = {
    "rd_spending": ("研究开发费用", "研发费用", "研发投入", "r&d"),
    "industrial_output": ("工业总产值", "产值", "industrial output", "output value"),
}
_INCREASE = re.compile(r"增量|增加额|增长部分|increase|increment", re.I)
# Before a share, words that make it a limit ("计入部分不超过设备投资额的30%"), not the rate
# the benefit is paid at.
_LIMIT_BEFORE = re.compile(
    r"不超过|不得超过|不高于|最多|上限|no more than|not exceed|up to|at most", re.I
)
_OF_ZH = re.compile(r"(?:按|按照|以|提高至|提高到|降低至|调整为)([^，。；,;]{1,24}?)的?\s*$")
_OF_EN = re.compile(r"^\s*of (?:the |its |their )?([^,.;]{1,60})", re.I)


def rate_base(text: str, start: int, end: int) -> str | None:
    """What a share in `text[start:end]` is a share of ("设备投资额", "first-year platform
    service fee"), or None when the text does not say or the share is a limit."""
    before = text[max(0, start - 30) : start]
    clause_start = max(before.rfind(mark) for mark in "，。；,;") + 1
    before = before[clause_start:]
    if _LIMIT_BEFORE.search(before):
        return None
    if zh := _OF_ZH.search(before):
        return zh.group(1)
    if en := _OF_EN.search(text[end : end + 80]):
        return en.group(1)
    return None


def _wan(value: float, language: str) -> str:
    unit = "万元" if language == "zh" else "万 yuan"
    return f"{value:,.2f}".rstrip("0").rstrip(".") + unit


def estimate(
    measure: Measure, profile: Profile, hit: SearchHit, document: Document, language: str = "en"
) -> Estimate | None:
    """base × rate, capped; None unless the clause has a rate and the profile the base."""
    own = [a for a in measure.amounts if hit.chunk.start <= a.start < hit.chunk.end]
    rates = [a for a in own if a.kind == "rate"]
    cap = next((a for a in own if a.kind == "cap"), None)
    if not rates:
        return None
    # The share paid is the one said to be "of" something: in "同比增长20%以上的，按…增量部分的
    # 10%" the 20% is a threshold.
    text, offset = hit.chunk.text, hit.chunk.start
    rate, named = next(
        (
            (a, said)
            for a in rates
            if (said := rate_base(text, a.start - offset, a.end - offset)) is not None
        ),
        (rates[0], None),
    )
    kinds = [
        str(c.value)
        for c in measure.conditions
        if c.field == "action" and c.clause_id in {None, measure.clause_id}
    ] or [str(c.value) for c in measure.conditions if c.field == "action"]
    base = next(
        (
            action
            for kind in kinds
            if named is not None and any(w in named.lower() for w in RATE_BASES.get(kind, ()))
            for action in profile.actions
            if action.kind == kind and action.amount_wan is not None
        ),
        None,
    )
    prefix = ""
    base_wan = base.amount_wan if base is not None else None
    if base is None and named is not None and _INCREASE.search(named):
        base, base_wan, prefix = _increase(named, kinds, profile, language)
    if base is None or base_wan is None or _below_its_floor(measure, base, hit):
        return None
    percent = float(rate.value)
    raw = base_wan * percent / 100
    cap_wan = float(cap.value) if cap is not None else None
    amount = min(raw, cap_wan) if cap_wan is not None else raw
    return Estimate(
        base_wan=base_wan,
        rate_percent=percent,
        cap_wan=cap_wan,
        amount_wan=round(amount, 4),
        computation=prefix + computation_text(base_wan, percent, raw, cap_wan, language),
        citations=[_cite(hit, document, a) for a in (rate, cap) if a is not None],
    )


def _increase(
    named: str, kinds: list[str], profile: Profile, language: str
) -> tuple[Action | None, float | None, str]:
    """The action whose increase a rate is on, the increase, and how it was worked out
    ("900万元 − 700万元 = 200万元"): from the amount and the growth the profile gives. The
    year before is rounded to 0.1万, as a growth said to four places allows."""
    for action in profile.actions:
        words = INCREASE_BASES.get(action.kind, ())
        if action.kind not in kinds or not any(w in named.lower() for w in words):
            continue
        if action.amount_wan is None or action.growth is None or action.growth <= 0:
            continue
        before = round(action.amount_wan / (1 + action.growth), 1)
        increase = round(action.amount_wan - before, 1)
        said = f"{_wan(action.amount_wan, language)} − {_wan(before, language)} = "
        return (
            action,
            increase,
            said + _wan(increase, language) + ("；" if language == "zh" else "; "),
        )
    return None, None, ""


def _below_its_floor(measure: Measure, base: Action, hit: SearchHit) -> bool:
    """Whether the base is under a floor the measure sets on that same amount ("当年完成设备
    投资额5亿元以上" against 200万 of equipment): no amount is estimated for a measure it fails.
    The floor is on the base when it is the base's action or names its words just before."""
    words = RATE_BASES.get(base.kind, ())
    text, start = hit.chunk.text, hit.chunk.start
    amount = base.amount_wan or 0.0
    for c in measure.conditions:
        if c.field != "action_amount" or c.operator not in {">=", ">"}:
            continue
        if not isinstance(c.value, int | float) or amount >= float(c.value):
            continue
        inside = start <= c.start < start + len(text)
        before = text[max(0, c.start - start - 12) : c.start - start].lower() if inside else ""
        if c.subject == base.kind or any(w in before or w in c.text.lower() for w in words):
            return True
    return False


def computation_text(
    base: float, percent: float, raw: float, cap: float | None, language: str
) -> str:
    """ "800万元 × 12% = 96万元，未超过400万元上限", in the language asked for."""
    text = f"{_wan(base, language)} × {percent:g}% = {_wan(raw, language)}"
    if cap is None:
        return text
    if raw <= cap:
        return text + (
            f"，未超过{_wan(cap, language)}上限"
            if language == "zh"
            else f", under the {_wan(cap, language)} cap"
        )
    return text + (
        f"，超过上限，按{_wan(cap, language)}计"
        if language == "zh"
        else f", capped at {_wan(cap, language)}"
    )


def _cite(hit: SearchHit, document: Document, amount: Amount) -> Citation:
    return make_citation(0, hit, document, amount.start, amount.end)
