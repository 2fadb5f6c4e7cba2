"""What the assistant says, in English."""

from __future__ import annotations

from assistant.answer.messages.base import Messages


def _lead_in(clauses: int, other_language: bool) -> str:
    text = f"Here is what the documents say, quoted verbatim from {clauses} clause" + (
        "s" if clauses != 1 else ""
    )
    return text + (" (some quotes are in Chinese):" if other_language else ":")


def _not_covered(places: list[str]) -> str:
    return (
        f"The corpus has no policy documents for {', '.join(places)}, so it cannot answer "
        "this. It covers the national Notice and the sample localities' measures."
    )


def _not_in_notice(titles: list[str], missing: list[str]) -> str:
    text = (
        "The Notice does not say this: none of its clauses answers the question (the corpus "
        "holds an English summary of it)."
    )
    if missing:
        text += f" It does not mention: {', '.join(missing)}."
    return text + (f" Local documents that may: {'; '.join(titles)}." if titles else "")


def _no_amount(titles: list[str]) -> str:
    text = (
        "The documents do not state an amount for this: the clauses closest to the question "
        "set none, so there is no grounded figure to give."
    )
    return text + (f" Closest documents: {'; '.join(titles)}." if titles else "")


def _unsupported(missing: list[str], titles: list[str]) -> str:
    text = (
        "The documents in the corpus do not answer this question, so there is no grounded answer."
    )
    if missing:
        text += f" No clause in the corpus mentions: {', '.join(missing)}."
    return text + (f" Closest documents: {'; '.join(titles)}." if titles else "")


def _topic_not_covered(missing: list[str], titles: list[str]) -> str:
    text = (
        "The documents do not cover this: none of those the question can be answered from "
        "(the documents of the place or document it names, else the whole corpus) mentions "
        f"{', '.join(missing)}, so there is no grounded answer."
    )
    return text + (f" Closest documents: {'; '.join(titles)}." if titles else "")


MESSAGES = Messages(
    status_label={"superseded": "(superseded document) ", "expired": "(expired document) "},
    lead_in=_lead_in,
    dated_note=lambda marks: (
        f"Note: {marks} come from a superseded or expired document, not a rule in force."
    ),
    illustrative_mark=" (illustrative)",
    illustrative_note=lambda marks: (
        f"{marks} quote illustrative sample documents written for this demo, not official policy."
    ),
    wording={
        "exact": "Yes. The documents contain this passage word for word.",
        "normalized": "Yes, apart from spacing, punctuation width or letter case.",
        "near": "No. A similar passage exists but its wording differs; see the diff.",
        "absent": "No. Neither this passage nor a close one appears in the documents.",
        "source": "The source reads:",
        "changes": "Differences: ",
        "change": '"{claim}" (asked) → "{source}" (source)',
        "searched": "Documents checked: ",
        "other_language": (
            "Cannot tell: the documents checked are written in another language than the "
            "passage, so the corpus holds no text to check its wording against."
        ),
    },
    eligibility={
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
    fact_names={
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
    not_covered=_not_covered,
    not_in_notice=_not_in_notice,
    no_amount=_no_amount,
    instruction=(
        "I can only answer questions about the policy documents from their text; "
        "I do not follow instructions that change how I work. Please ask about a measure."
    ),
    unsupported=_unsupported,
    topic_not_covered=_topic_not_covered,
)
