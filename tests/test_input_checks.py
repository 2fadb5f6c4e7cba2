"""Strings from clients are checked in the core too: a lone surrogate is a 400, wherever
it comes in, before any backend sees it. Only refusals are checked here, never what was
found, so an index the fake embedder built serves."""

from __future__ import annotations

import pytest

from assistant.errors import BadInputError
from assistant.service import PolicyService
from assistant.text import printable_text
from assistant.types import Turn

LONE = "\ud800"


def test_printable_text_strips_controls_and_refuses_surrogates() -> None:
    assert printable_text("补贴\x00多少\u200b？\n", "q") == "补贴多少？\n"
    with pytest.raises(BadInputError, match="surrogate"):
        printable_text(f"补贴{LONE}", "the question")


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.ask(f"补贴{LONE}多少"),
        lambda s: s.ask("一级能效冰箱每台补贴多少？", filters={"doc_id": LONE}),
        lambda s: s.ask("一级能效冰箱每台补贴多少？", filters={"region": ["示例区", f"x{LONE}"]}),
        lambda s: s.ask("那呢？", history=[Turn(f"冰箱补贴{LONE}")]),
        lambda s: s.search("补贴", filters={"status": f"in_force{LONE}"}),
        lambda s: s.verify_wording(f"每台补贴300元{LONE}"),
    ],
    ids=["question", "filter", "filter-list", "history", "search-filter", "wording"],
)
def test_lone_surrogates_are_bad_input_everywhere(fake_service: PolicyService, call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BadInputError) as info:
        call(fake_service)
    assert info.value.http_status == 400
    assert "chroma" not in info.value.message.lower()


def test_control_characters_in_a_filter_are_refused(fake_service: PolicyService) -> None:
    with pytest.raises(BadInputError, match="control characters"):
        fake_service.ask("冰箱补贴多少？", filters={"doc_id": "zh-energy\x00"})
