"""An eligibility result → the chat's answer: a short list grouped met / to confirm, each
with amount, deadline, where to apply and a [n] citation, then the profile as read and the
questions that would settle the rest. Its words are in `assistant.answer.messages`."""

from __future__ import annotations

import re

from assistant.answer.estimate import computation_text as _computation
from assistant.answer.messages import messages
from assistant.text import sentence_spans
from assistant.types import HEADING_SEPARATOR, Citation, EligibilityResult, MeasureResult

_MAX_PER_GROUP = 6


_SHARES = {"export_share", "rd_ratio"}
# The number a heading opens with: "Article 5", "第五条", "二、", "（三）", "2.".
_HEADING_NUMBER = re.compile(
    r"^(?:(?:Article|Section|Part|Chapter)\s+\d+|第[一二三四五六七八九十百零\d]+[章条项]|"
    r"[一二三四五六七八九十]+(?=、)|[（(][一二三四五六七八九十\d]+[)）]|\d+(?=[.、．)]))",
    re.I,
)


def clause_address(citation: Citation) -> str:
    """Where the clause sits, by the numbers of its headings: "Article 5 (2)" for an item of
    an article, "二（三）1" for a Chinese item, rather than the bare item number "2"."""
    parts = citation.heading_path.split(HEADING_SEPARATOR)[1:]
    numbers = [m.group(0) for part in parts if (m := _HEADING_NUMBER.match(part.strip()))]
    # A chapter above an article adds nothing a reader needs to find the article.
    while len(numbers) > 1 and re.match(r"第.+章|Chapter|Part", numbers[0], re.I):
        numbers.pop(0)
    if not numbers:
        return citation.clause_number or ""
    head, *rest = numbers
    if head.isascii() and not head.isdigit():
        return head + "".join(f"({n.strip('()（）')})" for n in rest)
    return head + "".join(n if n.startswith(("（", "(")) else f"{n}." for n in rest).rstrip(".")


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
    growth = action.get("growth")
    if isinstance(growth, int | float):
        # A share read as a percentage, as the enterprise said it ("growth=+28.6%").
        bits.append(f"growth={growth * 100:+.1f}%")
    skip = {"kind", "amount_wan", "what", "growth"}
    bits += [f"{k}={v}" for k, v in action.items() if k not in skip]
    return " ".join(bits)


def _profile_line(result: EligibilityResult, language: str) -> str:
    names = messages(language).fact_names
    shown = result.profile.model_dump(
        mode="json", exclude={"free_text"}, exclude_none=True, exclude_defaults=True
    )
    return (
        messages(language)
        .eligibility["sep"]
        .join(f"{names.get(key, key)} {_fact(key, value, names)}" for key, value in shown.items())
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
    words = messages(language).eligibility
    colon = "：" if language == "zh" else ": "
    citation = measure.citations[0]
    where = f"{citation.doc_title} {clause_address(citation)}".strip()
    bits = [f"{where}{colon}{_clip(_what_it_gives(measure), 48, citation.clause_number)}"]
    if (worked := measure.estimate) is not None:
        # In the answer's own language, whatever language the match was made in.
        computation = _computation(
            worked.base_wan,
            worked.rate_percent,
            worked.base_wan * worked.rate_percent / 100,
            worked.cap_wan,
            language,
        )
        bits.append(f"{words['estimate']}{colon}{computation}")
    elif measure.amounts:
        bits.append(f"{words['amount']}{colon}" + ", ".join(a.text for a in measure.amounts[:3]))
    # Only a date the clause says things must happen by: "2022年9月1日以后完成安装调试" is
    # when a window opens, not a deadline.
    deadlines = [d for d in measure.deadlines if d.kind == "deadline"]
    if deadlines:
        bits.append(f"{words['deadline']}{colon}{deadlines[-1].text}")
    if measure.apply_to is not None:
        apply_to = measure.apply_to
        bits.append(f"{words['apply']}{colon}{_clip(apply_to.quote, 36, apply_to.clause_number)}")
    if measure.status == "unknown":
        open_ = [c for c in measure.conditions if c.status == "unknown"]
        bits.append(f"{words['open']}{colon}{len(open_)}")
    return f"- {words['sep'].join(bits)} [{n}]"


def eligibility_answer_text(result: EligibilityResult, language: str) -> tuple[str, list[Citation]]:
    """The answer text with [n] markers, and the citations (each measure's granting clause)."""
    words = messages(language).eligibility
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
