"""Reading a question in its conversation: is it a follow-up, what standalone question does
it make, and which documents does the conversation already stand on.

History comes from the client, so it is the user's words, never authority: the previous
question's clauses are the ones this service itself cites for it, and the clause ids a client
sends can only narrow them down. Explicit filters still win."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from assistant.answer.profile import asks_something, asks_what_applies, states_facts
from assistant.answer.refusal import SupportJudge
from assistant.search.retrieval import HybridRetriever
from assistant.search.store import IndexVersion, normalize_filters
from assistant.text import detect_language, printable_text
from assistant.types import Turn

_FOLLOW_UP_CUES = re.compile(
    r"^(and|also|what about|how about|but|then)\b|\b(it|its|this|that|these|those|they|them)\b|"
    r"^(那|还有|另外|而且|那么)|(它|其|该|这个|这项|此项|上述|呢[？?]?$)",
    re.IGNORECASE,
)
# How many earlier turns an enterprise's description may be spread over.
_DESCRIPTION_TURNS = 6


def is_follow_up(question: str) -> bool:
    """A question that leans on the previous one: short, or pointing back at it."""
    words = len(question.split()) if detect_language(question) == "en" else len(question) / 2
    return bool(_FOLLOW_UP_CUES.search(question.strip())) or words <= 8


def described_enterprise(question: str, earlier: Sequence[str]) -> str | None:
    """The enterprise described so far, when `question` asks what applies, or adds facts to
    (or briefly follows up) a conversation that asked it: every message back to that
    question, read together. None when the conversation is about something else."""
    if asks_what_applies(question):
        return question
    said = [question]
    for turn in reversed(earlier[-_DESCRIPTION_TURNS:]):
        latest = said[-1]
        # "我们是专精特新中小企业" adds to the description; "第五条的截止时间是？" is a
        # question about the answer, answered from the clauses.
        if not (states_facts(latest) or (is_follow_up(latest) and not asks_something(latest))):
            return None
        if asks_what_applies(turn):
            # Sentence breaks keep each message's amounts and dates with its own words.
            return "".join(
                m if m.endswith(tuple("。.！!？?；;")) else m + "。"
                for m in [turn, *reversed(said)]
            )
        said.append(turn)
    return None


class FollowUpResolver:
    """A follow-up → the standalone question it asks and the documents to search first."""

    def __init__(
        self, retriever: HybridRetriever, judge: SupportJudge, max_question_chars: int
    ) -> None:
        if max_question_chars < 1:
            raise ValueError("max_question_chars must be positive")
        self.retriever = retriever
        self.judge = judge
        self.max_question_chars = max_question_chars

    def resolve(
        self,
        index: IndexVersion,
        question: str,
        history: Sequence[Turn],
        filters: Mapping[str, Any] | None,
    ) -> tuple[str | None, list[str]]:
        if not history or not is_follow_up(question):
            return None, []
        previous = history[-1]
        previous_question = printable_text(previous.question, "the conversation history")
        previous_question = previous_question.strip()[: self.max_question_chars]
        if not previous_question:
            return None, []
        hits = self.retriever.search(index, previous_question, 3, filters)
        scope = self.retriever.scope(index, previous_question)
        cited = [
            h.chunk.clause_id
            for h in hits
            if self.judge.judge(previous_question, [h], scope, index.keyword, index.level).answered
        ]
        claimed = [c for c in cited if c in set(previous.clause_ids)]
        allowed = normalize_filters(filters).get("doc_id")
        doc_ids: list[str] = []
        for clause_id in claimed or cited:
            doc_id = clause_id.split(":", 1)[0]
            known = doc_id in index.documents and doc_id not in doc_ids
            if known and (allowed is None or doc_id in allowed):
                doc_ids.append(doc_id)
        return f"{previous_question} {question}", doc_ids
