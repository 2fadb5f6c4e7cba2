"""An eligibility result → the chat's answer: a short list grouped met / to confirm, each
with amount, deadline, where to apply and a [n] citation, then the profile as read and the
questions that would settle the rest. User-facing words live in `_WORDS`, per language."""

from __future__ import annotations

from assistant.types import Citation, EligibilityResult, MeasureResult, within_document

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


def _profile_line(result: EligibilityResult) -> str:
    shown = result.profile.model_dump(
        mode="json", exclude={"free_text"}, exclude_none=True, exclude_defaults=True
    )
    parts = []
    for key, value in shown.items():
        if key == "actions":
            value = ", ".join(
                a["kind"] + "".join(f" {k}={v}" for k, v in a.items() if k != "kind") for a in value
            )
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        parts.append(f"{key}={value}")
    return "; ".join(parts)


def _line(measure: MeasureResult, n: int, language: str) -> str:
    words = _WORDS[language]
    bits = [within_document(measure.title) if " › " in measure.title else measure.title]
    if measure.estimate is not None:
        bits.append(f"{words['estimate']}: {measure.estimate.computation}")
    elif measure.amounts:
        bits.append(f"{words['amount']}: " + ", ".join(a.text for a in measure.amounts[:3]))
    if measure.deadlines:
        bits.append(f"{words['deadline']}: {measure.deadlines[-1].text}")
    if measure.apply_to is not None:
        bits.append(f"{words['apply']}: {measure.apply_to.quote[:60].replace(chr(10), ' ')}")
    if measure.status == "unknown":
        open_ = [c for c in measure.conditions if c.status == "unknown"]
        bits.append(f"{words['open']}: {len(open_)}")
    return f"- {words['sep'].join(bits)} [{n}]"


def eligibility_answer_text(result: EligibilityResult, language: str) -> tuple[str, list[Citation]]:
    """The answer text with [n] markers, and the citations (each measure's granting clause)."""
    words = _WORDS["zh" if language == "zh" else "en"]
    language = "zh" if language == "zh" else "en"
    lines: list[str] = [f"{words['profile']} {_profile_line(result)}"]
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
