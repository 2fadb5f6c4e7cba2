"""What the assistant says to its users, one module per language (`zh`, `en`); every
user-facing sentence of the answers lives there."""

from __future__ import annotations

from assistant.answer.messages import en, zh
from assistant.answer.messages.base import Messages


def messages(language: str) -> Messages:
    """The messages of `language`; English for any language but Chinese."""
    return zh.MESSAGES if language == "zh" else en.MESSAGES


def refusal_text(
    language: str,
    reason: str,
    titles: list[str],
    places: list[str] | None = None,
    missing: list[str] | None = None,
) -> str:
    """The refusal for `reason` ("not_covered", "instruction", "not_in_notice",
    "no_amount", "topic_not_covered", else unsupported), naming
    the places no document covers, the words no clause holds, and the closest documents."""
    said = messages(language)
    if reason == "not_covered":
        return said.not_covered(places or [])
    if reason == "instruction":
        return said.instruction
    if reason == "not_in_notice":
        return said.not_in_notice(titles, missing or [])
    if reason == "no_amount":
        return said.no_amount(titles)
    if reason == "topic_not_covered":
        return said.topic_not_covered(missing or [], titles)
    return said.unsupported(missing or [], titles)


__all__ = ["Messages", "messages", "refusal_text"]
