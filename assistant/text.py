"""Text checks shared by every layer; depends on nothing but the error hierarchy."""

from __future__ import annotations

from assistant.errors import BadInputError


def printable_text(text: str, what: str) -> str:
    """`text` without control characters; a lone surrogate is refused, not dropped.

    Clients can send any JSON string, and a lone surrogate cannot be encoded as UTF-8: let
    through, it fails deep inside a backend or a response encoder instead of here.
    """
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        raise BadInputError(f"{what} contains an invalid character (a lone UTF-16 surrogate)")
    return "".join(ch for ch in text if ch.isprintable() or ch in "\n\t")
