"""Whether retrieval supports an answer at all, and questions that are instructions.

Support is the best calibrated dense similarity among the retrieved clauses (a
cross-language hit gets the same bonus as in ranking). The threshold is measured on the
golden set by `evals/calibrate.py`, not tuned by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.search.retrieval import detect_language
from assistant.types import SearchHit

# Requests to change the assistant's behaviour rather than ask about a policy.
_INSTRUCTION_PATTERNS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\bignore\b.{0,40}\b(instruction|rule|prompt|previous|above)",
        r"\b(disregard|forget)\b.{0,40}\b(instruction|rule|prompt)",
        r"\b(system|hidden|initial)\s+prompt\b",
        r"\breveal\b.{0,30}\b(prompt|instruction|rule)",
        r"\b(jailbreak|developer mode|DAN)\b",
        r"\bpretend (to be|you are)\b",
        r"(忽略|无视|忘记|忘掉).{0,12}(指令|指示|规则|要求|提示|设定)",
        r"(系统提示|提示词|系统指令)",
        r"(扮演|假装你是)",
    )
]


def is_instruction(question: str) -> bool:
    return any(p.search(question) for p in _INSTRUCTION_PATTERNS)


# Real places a question may name; a question about a place the corpus has no document for
# cannot be answered from it, however similar the wording of other places' measures.
_PLACES_ZH = (
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
    "深圳",
    "广州",
    "杭州",
    "南京",
    "苏州",
    "武汉",
    "成都",
    "西安",
    "青岛",
    "宁波",
    "厦门",
    "合肥",
    "郑州",
    "长沙",
    "济南",
    "沈阳",
    "大连",
    "中关村",
    "雄安",
    "浦东",
)
_PLACES_EN = (
    "beijing",
    "tianjin",
    "shanghai",
    "chongqing",
    "hebei",
    "shanxi",
    "liaoning",
    "jilin",
    "heilongjiang",
    "jiangsu",
    "zhejiang",
    "anhui",
    "fujian",
    "jiangxi",
    "shandong",
    "henan",
    "hubei",
    "hunan",
    "guangdong",
    "hainan",
    "sichuan",
    "guizhou",
    "yunnan",
    "shaanxi",
    "gansu",
    "qinghai",
    "taiwan",
    "inner mongolia",
    "guangxi",
    "tibet",
    "ningxia",
    "xinjiang",
    "hong kong",
    "macao",
    "macau",
    "shenzhen",
    "guangzhou",
    "hangzhou",
    "nanjing",
    "suzhou",
    "wuhan",
    "chengdu",
    "xi'an",
    "qingdao",
    "ningbo",
    "xiamen",
    "hefei",
    "zhengzhou",
    "changsha",
    "jinan",
    "shenyang",
    "dalian",
    "zhongguancun",
)
_PLACE_EN = re.compile(r"\b(" + "|".join(re.escape(p) for p in _PLACES_EN) + r")\b", re.I)


def places_named(question: str) -> set[str]:
    found = {p for p in _PLACES_ZH if p in question}
    found |= {m.group(1).lower() for m in _PLACE_EN.finditer(question)}
    return found


def uncovered_places(question: str, covered: str | set[str]) -> set[str]:
    """Places the question names that no indexed document's region or title mentions;
    `covered` is that text, or the places already found in it (`places_named`)."""
    named = places_named(question)
    if isinstance(covered, set):
        return named - covered
    lowered = covered.lower()
    return {p for p in named if p.lower() not in lowered}


@dataclass(frozen=True)
class SupportJudge:
    """Decides whether the retrieved clauses support an answer.

    Same-language and cross-language best hits get their own thresholds: the encoder's
    similarities across languages sit on a different scale.
    """

    threshold: float
    cross_language_bonus: float
    cross_language_threshold: float | None = None

    def __post_init__(self) -> None:
        for value in (self.threshold, self.cross_language_threshold):
            if value is not None and not -1.0 <= value <= 1.0:
                raise ValueError("thresholds are cosine similarities in [-1, 1]")

    def calibrated(self, hit: SearchHit, question_language: str) -> float:
        similarity = hit.dense_score or 0.0
        if hit.chunk.language != question_language:
            similarity += self.cross_language_bonus
        return similarity

    def support(self, question: str, hits: list[SearchHit]) -> float:
        language = detect_language(question)
        return max((self.calibrated(h, language) for h in hits), default=0.0)

    def best(self, question: str, hits: list[SearchHit]) -> tuple[float, bool]:
        """The best calibrated similarity, and whether that hit is in the other language."""
        language = detect_language(question)
        scored = [(self.calibrated(h, language), h.chunk.language != language) for h in hits]
        return max(scored, default=(0.0, False))

    def supported(self, question: str, hits: list[SearchHit]) -> bool:
        support, cross = self.best(question, hits)
        threshold = self.threshold
        if cross and self.cross_language_threshold is not None:
            threshold = self.cross_language_threshold
        return support >= threshold
