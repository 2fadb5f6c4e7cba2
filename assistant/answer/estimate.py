"""How much? A measure's rate and cap applied to the base the profile gives.

Only where the clause's rate is a share of something the profile states as an action's
amount (equipment investment, premium paid, warehouse cost, contract value): a rate on an
increase, on interest or per container has a base the profile does not give, and no
estimate is shown rather than a wrong one.
"""

from __future__ import annotations

from assistant.answer.extractive import make_citation
from assistant.types import Amount, Citation, Document, Estimate, Measure, Profile, SearchHit

# Actions whose stated amount is the base a rate in their clause applies to.
RATE_BASES = frozenset(
    {
        "buy_equipment",
        "credit_insurance",
        "overseas_warehouse",
        "digital_contract",
        "financial_lease",
        "trade_fair",
        "cloud",
    }
)


def _wan(value: float, language: str) -> str:
    unit = "万元" if language == "zh" else "万 yuan"
    return f"{value:,.2f}".rstrip("0").rstrip(".") + unit


def estimate(
    measure: Measure, profile: Profile, hit: SearchHit, document: Document, language: str = "en"
) -> Estimate | None:
    """base × rate, capped; None unless the clause has a rate and the profile the base."""
    own = [a for a in measure.amounts if hit.chunk.start <= a.start < hit.chunk.end]
    rate = next((a for a in own if a.kind == "rate"), None)
    cap = next((a for a in own if a.kind == "cap"), None)
    if rate is None:
        return None
    kinds = [
        str(c.value)
        for c in measure.conditions
        if c.field == "action" and c.clause_id in {None, measure.clause_id}
    ] or [str(c.value) for c in measure.conditions if c.field == "action"]
    base = next(
        (
            action
            for kind in kinds
            if kind in RATE_BASES
            for action in profile.actions
            if action.kind == kind and action.amount_wan is not None
        ),
        None,
    )
    if base is None or base.amount_wan is None:
        return None
    percent = float(rate.value)
    raw = base.amount_wan * percent / 100
    cap_wan = float(cap.value) if cap is not None else None
    amount = min(raw, cap_wan) if cap_wan is not None else raw
    return Estimate(
        base_wan=base.amount_wan,
        rate_percent=percent,
        cap_wan=cap_wan,
        amount_wan=round(amount, 4),
        computation=_computation(base.amount_wan, percent, raw, cap_wan, language),
        citations=[_cite(hit, document, a) for a in (rate, cap) if a is not None],
    )


def _computation(base: float, percent: float, raw: float, cap: float | None, language: str) -> str:
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
