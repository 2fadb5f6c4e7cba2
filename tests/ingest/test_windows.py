"""Application windows read from a document's procedure, with the activities they take."""

from __future__ import annotations

from assistant.ingest.windows import application_windows


def test_rounds_periods_relative_windows_and_later_rounds_are_read() -> None:
    text = (
        "第一批申报时间为2023年1月1日至2023年3月31日，第二批申报时间为2023年7月1日至"
        "2023年8月31日，逾期不予受理。\n"
        "以后年度的申报时间由管理委员会另行通知。\n"
        "- Applications for activities in the second half of 2023 are accepted from "
        "2 January 2024 to 31 January 2024.\n"
        "- Awards for reinvestment completed in 2023 are applied for from 1 March 2024 to "
        "30 April 2024.\n"
        "- Regional headquarters awards are applied for within 6 months after recognition.\n"
    )
    found = application_windows(text, 100, "doc:9")
    rounds = [(c.value, c.subject) for c in found if c.operator == "between"]
    assert rounds == [
        (["2023-01-01", "2023-03-31"], None),
        (["2023-07-01", "2023-08-31"], None),
        (["2024-01-02", "2024-01-31"], "period:2023-07-01/2023-12-31"),
        (["2024-03-01", "2024-04-30"], "period:2023-01-01/2023-12-31"),
    ]
    relative = next(c for c in found if c.operator == "within_months")
    assert (relative.value, relative.subject) == (6.0, "Regional headquarters")
    assert any(c.operator == "later_rounds" for c in found)
    for condition in found:
        # Each cites the sentence that sets it, at its offsets in the document.
        assert text[condition.start - 100 : condition.end - 100].strip() == condition.text
