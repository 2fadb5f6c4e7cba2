"""What kind of fact a question asks for, and whether a clause can give it.

"How much", "多少钱" ask for an amount; "when", "哪天" for a date; "how long", "多久" for a
duration; "how many", "几个" for a count. Among clauses on the same topic, one that states
a fact of the asked kind is the likelier answer ("消费券…20日内有效" rather than "逾期未核销
的消费券自动作废" for "领了以后多久内必须用掉？"), so retrieval favours it. And a question that
asks for an amount is answered only by a clause that states one: the Notice's summary sets
none, so it is no answer to "how much per vehicle?" however close its topic.
"""

from __future__ import annotations

import re
from typing import Literal

from assistant.text import ENGLISH_NUMBERS
from assistant.types import SearchHit

Kind = Literal["amount", "date", "duration", "count"]

_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_NUMBER_WORDS = rf"\b(?:{'|'.join(ENGLISH_NUMBERS)})"
_UNITS_OF_TIME = (
    r"(?:个)?(?:工作日|日|天|周|个月|月|年)|[\s-]*(?:working\s+)?(?:days?|weeks?|months?|years?)\b"
)

_ASKED: dict[Kind, re.Pattern[str]] = {
    "amount": re.compile(
        r"\bhow much\b(?!\s+(?:time|longer|later|earlier|sooner))|"
        r"\bwhat\s+(?:is|are|was|were)\s+the\s+(?:amount|rate|cap|ceiling|maximum)s?\b|"
        r"\b(?:subsidy|award|grant|bonus|reward)\s+per\s+\w+|\bcapped\b|\bthe cap\b|"
        r"多少钱|多少万|多少元|补贴多少|奖励多少|补多少|奖多少|贴多少|"
        r"(?:标准|金额|比例|上限|额度)(?:是|为|各是)?多少|最高(?:能)?(?:补|奖|拿)?多少|封顶",
        re.IGNORECASE,
    ),
    "date": re.compile(
        r"\bwhen\b|\bwhat date\b|\bwhich date\b|\bdeadline\b|\bwhat day\b|"
        r"哪天|哪一天|几月几日|几号|什么时候|何时|截止(?:日期|时间)?",
        re.IGNORECASE,
    ),
    "duration": re.compile(
        r"\bhow long\b|\bhow many (?:working )?(?:days|weeks|months|years)\b|\bwithin how\b|"
        r"多久|多长时间|几天|几个月|几年|多少天|多少个工作日",
        re.IGNORECASE,
    ),
    "count": re.compile(
        r"\bhow many\b(?!\s+(?:working )?(?:days|weeks|months|years)\b)|"
        r"多少条|多少项|多少家|多少个|几条|几项|几个(?!月)|几家",
        re.IGNORECASE,
    ),
}
_STATED: dict[Kind, re.Pattern[str]] = {
    "amount": re.compile(
        r"\d[\d,.]*\s*(?:%|％|percent|万元|亿元|千元|元|万|美元)|"
        r"(?:RMB|USD|CNY|US\$|¥|￥)\s*\d|\d\s*(?:yuan|million|billion)\b|"
        r"百分之|[一二三四五六七八九十百千万两]+(?:元|万元)",
        re.IGNORECASE,
    ),
    "date": re.compile(
        rf"\d{{4}}\s*年\s*\d{{1,2}}\s*月|\d{{1,2}}\s*月\s*\d{{1,2}}\s*日|\d{{4}}-\d{{2}}-\d{{2}}|"
        rf"\b{_MONTHS}\s+\d{{1,2}}\b|\b\d{{1,2}}\s+{_MONTHS}\b|"
        # a day of every month: "每月5日前", "by the 5th of each month"
        r"每月\s*\d{1,2}\s*日|\b\d{1,2}(?:st|nd|rd|th)\s+(?:day\s+)?of\s+(?:each|every)\s+month",
        re.IGNORECASE,
    ),
    "duration": re.compile(
        # not a date's day ("1月10日") nor its year ("2023年")
        rf"(?<![年月\d])(?:\d{{1,3}}|[一二三四五六七八九十两]+|{_NUMBER_WORDS})\s*(?:{_UNITS_OF_TIME})",
        re.IGNORECASE,
    ),
    "count": re.compile(
        r"\d|[一二三四五六七八九十两]+(?:条|项|个|家|方面)|"
        rf"\b(?:{'|'.join([*ENGLISH_NUMBERS[1:], 'seventeen'])})\b",
        re.IGNORECASE,
    ),
}


def asked_kinds(question: str) -> frozenset[Kind]:
    return frozenset(kind for kind, pattern in _ASKED.items() if pattern.search(question))


def states(kind: Kind, text: str) -> bool:
    return bool(_STATED[kind].search(text))


def answers_kinds(kinds: frozenset[Kind], text: str) -> float:
    """The share of the asked kinds of fact that the text states (0 when none is asked)."""
    if not kinds:
        return 0.0
    return sum(1 for kind in kinds if states(kind, text)) / len(kinds)


def asks_for_amount(question: str) -> bool:
    return "amount" in asked_kinds(question)


def lacks_asked_amount(question: str, hits: list[SearchHit]) -> bool:
    """The question asks for an amount and none of the retrieved clauses states one."""
    return (
        bool(hits)
        and asks_for_amount(question)
        and not any(states("amount", h.chunk.text) for h in hits)
    )
