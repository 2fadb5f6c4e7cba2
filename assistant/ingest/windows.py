"""When applications are accepted: the windows a document's procedure sets.

"第一批申报时间为2023年1月1日至2023年3月31日", "Applications for activities in the first
half of 2023 are accepted from 1 July 2023 to 31 July 2023", "Regional headquarters awards
are applied for within 6 months after recognition". Each becomes a condition of the
document's measures: an enterprise that describes itself on a date after every window that
could take its application has closed cannot apply any more.

A window is read as `application_window` with the value [opens, closes] and, where the
sentence says which activities it takes, `subject` = "period:<from>/<to>"; a window counted
from an event is `operator="within_months"` with the months as value and the words naming
what it is for as `subject` ("regional headquarters"); "以后年度的申报时间…另行通知" is
`operator="later_rounds"`: a closed window is then not the last.
"""

from __future__ import annotations

import re

from assistant.ingest.restrictions import DATE_PATTERN as _DATE
from assistant.ingest.restrictions import iso_date
from assistant.types import Condition

_WINDOW = re.compile(
    rf"(?:申报(?:受理)?时间|受理时间)(?:为|：|:)?\s*{_DATE}\s*(?:至|到|—|-)\s*{_DATE}|"
    rf"(?:applied for|accepted|submitted)\s+(?:from|between)\s+{_DATE}\s+(?:to|until|and)\s+{_DATE}",
    re.I,
)
_RELATIVE = re.compile(
    r"^(?P<what>[^.;。；]{3,60}?)\s+(?:are|is|must be)\s+applied for within (?P<n>\d+) months? "
    r"after (?:recognition|approval|completion)|"
    r"(?P<what_zh>[^，。；]{2,20}?)(?:应当?|须)?在(?:认定|批准|完成)(?:之日)?(?:后|起)(?P<n_zh>\d+)个月内(?:申报|提出申请)",
    re.I,
)
_SENTENCE = re.compile(r"[^。；;\n]+(?:[。；;]|\.(?=\s|$)|$)", re.M)
_HALF = re.compile(r"\b(first|second) half of (\d{4})", re.I)
_YEAR_OF = re.compile(
    r"(?:completed|made|carried out|发生|完成)\D{0,6}(?:in )?(\d{4})|(\d{4})年度?(?:完成|发生)",
    re.I,
)
# Later rounds promised: a closed window does not end the measure.
LATER_ROUNDS = re.compile(
    r"另行通知|另行公布|to be announced|will be announced|announced separately", re.I
)


def _period(sentence: str) -> str | None:
    if half := _HALF.search(sentence):
        year = int(half.group(2))
        first = half.group(1).lower() == "first"
        return f"{year}-01-01/{year}-06-30" if first else f"{year}-07-01/{year}-12-31"
    if year_of := _YEAR_OF.search(sentence):
        year = int(year_of.group(1) or year_of.group(2))
        return f"{year}-01-01/{year}-12-31"
    return None


def application_windows(text: str, base: int, clause_id: str | None) -> list[Condition]:
    """The windows a procedure clause sets, each with the sentence that sets it."""
    found: list[Condition] = []
    for sentence in _SENTENCE.finditer(text):
        words = sentence.group(0)
        start = base + sentence.start()
        span = {"text": words.strip(), "start": start, "end": start + len(words)}
        for window in _WINDOW.finditer(words):
            opens, closes = (g for g in window.groups() if g)
            found.append(
                Condition(
                    field="application_window",
                    operator="between",
                    value=[iso_date(opens), iso_date(closes)],
                    subject=(f"period:{p}" if (p := _period(words[: window.start()])) else None),
                    clause_id=clause_id,
                    **span,
                )
            )
        if LATER_ROUNDS.search(words) and re.search(r"申报|appl", words, re.I):
            found.append(
                Condition(
                    field="application_window",
                    operator="later_rounds",
                    value=True,
                    clause_id=clause_id,
                    **span,
                )
            )
        if relative := _RELATIVE.search(words.strip()):
            what = relative.group("what") or relative.group("what_zh") or ""
            months = relative.group("n") or relative.group("n_zh")
            found.append(
                Condition(
                    field="application_window",
                    operator="within_months",
                    value=float(months),
                    subject=re.sub(r"\s*(?:awards?|奖励)$", "", what.strip(" -•·\t"), flags=re.I),
                    clause_id=clause_id,
                    **span,
                )
            )
    return found
