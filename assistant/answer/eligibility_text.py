"""An eligibility result → the chat's answer: a short list grouped met / to confirm, each
with amount, deadline, where to apply and a [n] citation, then the profile as read and the
questions that would settle the rest. User-facing words live in `_WORDS`, per language."""

from __future__ import annotations

from assistant.text import sentence_spans
from assistant.types import Citation, EligibilityResult, MeasureResult

_WORDS = {
    "zh": {
        "met": "符合条件的措施",
        "unknown": "可能符合、需确认的措施",
        "none": "根据所给信息，没有找到明确适用的措施。",
        "profile": "识别出的企业信息（如有误请更正）：",
        "amount": "金额",
        "estimate": "估算",
        "deadline": "截止",
        "apply": "申报",
        "open": "待确认",
        "questions": "补充以下信息可进一步确认：",
        "sample": "注：示例地区的政策均为演示用虚构文件，并非真实机关发布。",
        "sep": "；",
    },
    "en": {
        "met": "Measures you meet",
        "unknown": "Measures you may meet (to confirm)",
        "none": "From what you said, no measure clearly applies.",
        "profile": "Profile as read (correct it if wrong):",
        "amount": "amount",
        "estimate": "estimate",
        "deadline": "deadline",
        "apply": "apply",
        "open": "to confirm",
        "questions": "To settle the rest, tell me:",
        "sample": "Note: the sample localities' policies are illustrative, fictional documents.",
        "sep": "; ",
    },
}
_MAX_PER_GROUP = 6


# What each profile fact is called in the echo, so the user can see what was read and
# correct it in their own words.
_FACT_NAMES = {
    "zh": {
        "region": "地区",
        "industry": "行业",
        "employees": "员工人数",
        "annual_revenue_wan": "年营业收入（万元）",
        "ownership": "所有制",
        "export_share": "出口占营业收入",
        "products": "产品",
        "certifications": "资质",
        "above_designated_size": "规模以上",
        "registered_years": "成立年限",
        "annual_exports_wan": "年出口额（万元）",
        "annual_exports_usd_wan": "年出口额（万美元）",
        "roles": "身份",
        "actions": "已做事项",
        "attestations": "已声明",
        "served_enterprises": "服务企业数",
        "rd_ratio": "研发投入占营业收入",
        "as_of": "按日期",
        "amount_wan": "万元",
        "yes": "是",
        "no": "否",
    },
    "en": {
        "region": "region",
        "industry": "industry",
        "employees": "employees",
        "annual_revenue_wan": "annual revenue (10k RMB)",
        "ownership": "ownership",
        "export_share": "exports in revenue",
        "products": "products",
        "certifications": "certifications",
        "above_designated_size": "above designated size",
        "registered_years": "years registered",
        "annual_exports_wan": "annual exports (10k RMB)",
        "annual_exports_usd_wan": "annual exports (10k USD)",
        "roles": "roles",
        "actions": "done",
        "attestations": "stated",
        "served_enterprises": "enterprises served",
        "rd_ratio": "R&D in revenue",
        "as_of": "as of",
        "amount_wan": "10k RMB",
        "yes": "yes",
        "no": "no",
    },
}
_SHARES = {"export_share", "rd_ratio"}


def _fact(key: str, value: object, names: dict[str, str]) -> str:
    if isinstance(value, bool):
        return names["yes"] if value else names["no"]
    if key in _SHARES and isinstance(value, int | float):
        return f"{value * 100:g}%"
    if key == "actions" and isinstance(value, list):
        return ", ".join(_action(a, names) for a in value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _action(action: dict[str, object], names: dict[str, str]) -> str:
    bits = [str(action["kind"])]
    if action.get("amount_wan") is not None:
        bits.append(f"{action['amount_wan']:g} {names['amount_wan']}")
    bits += [f"{k}={v}" for k, v in action.items() if k not in {"kind", "amount_wan", "what"}]
    return " ".join(bits)


def _profile_line(result: EligibilityResult, language: str) -> str:
    names = _FACT_NAMES[language]
    shown = result.profile.model_dump(
        mode="json", exclude={"free_text"}, exclude_none=True, exclude_defaults=True
    )
    return _WORDS[language]["sep"].join(
        f"{names.get(key, key)} {_fact(key, value, names)}" for key, value in shown.items()
    )


def _what_it_gives(measure: MeasureResult) -> str:
    """The granting sentence: what the measure gives, in the clause's own words."""
    quote = measure.citations[0].quote
    sentences = [quote[a:b] for a, b in sentence_spans(quote, 0, len(quote))]
    granting = next((s for s in sentences if measure.benefit and measure.benefit in s), None)
    return granting or (sentences[0] if sentences else quote)


def _clip(text: str, limit: int, lead: str | None = None) -> str:
    """`text` on one line, without a leading clause number already shown, cut at `limit`."""
    text = " ".join(text.split())
    if lead and text.startswith(lead):
        text = text[len(lead) :].lstrip(" ：:.、．")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _line(measure: MeasureResult, n: int, language: str) -> str:
    words = _WORDS[language]
    colon = "：" if language == "zh" else ": "
    citation = measure.citations[0]
    where = f"{citation.doc_title} {citation.clause_number or ''}".strip()
    bits = [f"{where}{colon}{_clip(_what_it_gives(measure), 48, citation.clause_number)}"]
    if measure.estimate is not None:
        bits.append(f"{words['estimate']}{colon}{measure.estimate.computation}")
    elif measure.amounts:
        bits.append(f"{words['amount']}{colon}" + ", ".join(a.text for a in measure.amounts[:3]))
    if measure.deadlines:
        bits.append(f"{words['deadline']}{colon}{measure.deadlines[-1].text}")
    if measure.apply_to is not None:
        apply_to = measure.apply_to
        bits.append(f"{words['apply']}{colon}{_clip(apply_to.quote, 36, apply_to.clause_number)}")
    if measure.status == "unknown":
        open_ = [c for c in measure.conditions if c.status == "unknown"]
        bits.append(f"{words['open']}{colon}{len(open_)}")
    return f"- {words['sep'].join(bits)} [{n}]"


def eligibility_answer_text(result: EligibilityResult, language: str) -> tuple[str, list[Citation]]:
    """The answer text with [n] markers, and the citations (each measure's granting clause)."""
    words = _WORDS["zh" if language == "zh" else "en"]
    language = "zh" if language == "zh" else "en"
    lines: list[str] = [f"{words['profile']} {_profile_line(result, language)}"]
    citations: list[Citation] = []
    for status in ("met", "unknown"):
        # Closest fit first: the most conditions the profile already meets, then the fewest
        # left open.
        group = sorted(
            (m for m in result.measures if m.status == status),
            key=lambda m: (
                -sum(c.status == "met" for c in m.conditions),
                sum(c.status == "unknown" for c in m.conditions),
            ),
        )[:_MAX_PER_GROUP]
        if not group:
            continue
        lines.append(f"\n{words[status]}:")
        for measure in group:
            n = len(citations) + 1
            citations.append(measure.citations[0].model_copy(update={"n": n}))
            lines.append(_line(measure, n, language))
    if not citations:
        lines.append(words["none"])
    if result.follow_up_questions:
        lines.append(f"\n{words['questions']}")
        lines += [f"- {q}" for q in result.follow_up_questions]
    if any(not c.official for c in citations):
        lines.append(f"\n{words['sample']}")
    return "\n".join(lines), citations
