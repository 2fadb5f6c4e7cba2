"""What every language's messages provide: the words the assistant says to its users."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Messages:
    # Before a quote from a document no longer in force, by the document's status.
    status_label: dict[str, str]
    # The line before the quotes: how many clauses, and whether some are in the other language.
    lead_in: Callable[[int, bool], str]
    # After the quotes: which [n] come from a document not in force, which are illustrative.
    dated_note: Callable[[str], str]
    illustrative_note: Callable[[str], str]
    # After the title of an illustrative document named outside a citation (a refusal's
    # suggestions).
    illustrative_mark: str
    # A wording check's verdict in words, by verdict.
    wording: dict[str, str]
    # The eligibility answer's headings and labels, and the name of each profile fact.
    eligibility: dict[str, str]
    fact_names: dict[str, str]
    # Refusals: a place no document covers, an instruction, a question nothing answers.
    not_covered: Callable[[list[str]], str]
    instruction: str
    unsupported: Callable[[list[str], list[str]], str]
    # A question about the Notice alone that the Notice does not answer, with the local
    # documents that may and the question's words the Notice never uses.
    not_in_notice: Callable[[list[str], list[str]], str]
    # A question asking how much that no clause on its topic answers with an amount, with
    # the documents those clauses are in.
    no_amount: Callable[[list[str]], str]
    # A question asking support for something that none of the documents it may be answered
    # from mentions, with those words and the closest documents.
    topic_not_covered: Callable[[list[str], list[str]], str]
