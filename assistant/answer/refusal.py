"""Whether retrieval supports an answer at all, and questions that are instructions.

Support is the best calibrated dense similarity among the retrieved clauses (a
cross-language hit gets the same bonus as in ranking). The threshold is measured on the
golden set by `evals/calibrate.py`, not tuned by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.search.keyword import tokenize
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


# Words that ask rather than name: a clause need not contain them to answer.
_QUESTION_WORDS = frozenset(
    [
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "how",
        "much",
        "many",
        "does",
        "do",
        "did",
        "say",
        "says",
        "said",
        "about",
        "can",
        "could",
        "should",
        "would",
        "will",
        "we",
        "our",
        "us",
        "i",
        "my",
        "me",
        "you",
        "your",
        "there",
        "any",
        "give",
        "gives",
        "given",
        "get",
        "got",
        "apply",
        "applies",
        "available",
        "offer",
        "offers",
        "provide",
        "provides",
        "kind",
        "kinds",
        "type",
        "types",
        "多少",
        "什么",
        "哪些",
        "哪个",
        "哪里",
        "怎么",
        "怎样",
        "如何",
        "是否",
        "可以",
        "能否",
        "能",
        "吗",
        "呢",
        "请问",
        "我们",
        "我",
        "有",
        "有没有",
        "还有",
        "给",
        "给予",
        "一下",
        "规定",
        "说",
        "提到",
    ]
)
# The share of a question's naming words a clause must hold for its words alone to carry
# an answer, and the fewest such words: one shared word is a coincidence, not evidence.
COVERAGE_THRESHOLD = 0.8
MIN_COVERED_TERMS = 2


def content_terms(text: str) -> set[str]:
    return {t for t in tokenize(text) if t not in _QUESTION_WORDS and len(t) > 1}


def coverage(question_terms: set[str], hit: SearchHit) -> float:
    """The share of the question's naming words that the clause (with its heading path,
    which carries its document's title and place) holds."""
    if not question_terms:
        return 0.0
    held = content_terms(hit.chunk.embed_text)
    return len(question_terms & held) / len(question_terms)


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

    def covering(self, question: str, hits: list[SearchHit]) -> list[SearchHit]:
        """Retrieved clauses that hold nearly every word the question names: lexical
        evidence that supports an answer however low the encoder scores it (an English
        keyword query about the English Notice, a phrase quoted from a clause)."""
        terms = content_terms(question)
        if len(terms) < MIN_COVERED_TERMS:
            return []
        return [h for h in hits if coverage(terms, h) >= COVERAGE_THRESHOLD]

    def supported(self, question: str, hits: list[SearchHit]) -> bool:
        support, cross = self.best(question, hits)
        threshold = self.threshold
        if cross and self.cross_language_threshold is not None:
            threshold = self.cross_language_threshold
        return support >= threshold
