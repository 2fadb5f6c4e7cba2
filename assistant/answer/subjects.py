"""What a question is about, so a clause about something else can be left out of its
answer: a fuel-car clause retrieved for a question about pure-electric cars is close in
words and far in meaning.

A facet is a set of subjects that exclude one another in a policy clause (a car is bought
either as an electric or as a fuel car; goods are exported or imported). A clause is off
subject when the question names a subject of a facet and the clause names only other
subjects of that facet.

Usage:
    >>> SubjectFilter().off_subject("纯电动乘用车每辆补贴多少？", "购买排量2.0升及以下燃油乘用车的，每辆补贴1500元。")
    True
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

# facet -> subject -> how texts name it (Chinese and English)
FACETS: dict[str, dict[str, str]] = {
    "powertrain": {
        "electric": r"纯电动|新能源|插电式|混合动力|增程式|electric|new[- ]energy|\bNEVs?\b|plug-in",
        "fuel": r"燃油|汽油|柴油|排量|\bfuel\b|petrol|gasoline|diesel|combustion",
    },
    "trade": {
        "export": r"(?<!进)出口|\bexport",
        "import": r"进口(?!出)|\bimport",
    },
    "appliance": {
        "refrigerator": r"冰箱|冷柜|refrigerator|fridge|freezer",
        "washer": r"洗衣机|washing machine|washer",
        "air_conditioner": r"空调|air[- ]condition",
        "television": r"电视|television|\bTVs?\b",
    },
}

T = TypeVar("T")


class SubjectFilter:
    """Tells which texts name only subjects other than the question's."""

    def __init__(self, facets: dict[str, dict[str, str]] | None = None) -> None:
        table = FACETS if facets is None else facets
        if any(len(subjects) < 2 for subjects in table.values()):
            raise ValueError("a facet needs at least two subjects that exclude one another")
        self.facets = {
            facet: {name: re.compile(pattern, re.IGNORECASE) for name, pattern in subjects.items()}
            for facet, subjects in table.items()
        }

    def _named(self, text: str) -> dict[str, set[str]]:
        return {
            facet: {name for name, pattern in subjects.items() if pattern.search(text)}
            for facet, subjects in self.facets.items()
        }

    def off_subject(self, question: str, text: str) -> bool:
        asked, named = self._named(question), self._named(text)
        return any(asked[f] and named[f] and not asked[f] & named[f] for f in self.facets)

    def keep(self, question: str, items: Sequence[T], text_of: Callable[[T], str]) -> list[T]:
        """The items on the question's subject; the first (the best match) always stays."""
        return [
            item
            for i, item in enumerate(items)
            if i == 0 or not self.off_subject(question, text_of(item))
        ]
