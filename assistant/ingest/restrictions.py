"""Every restricting phrase of a clause → a condition, structured or "to confirm".

A clause is read fragment by fragment (split at sentence ends, semicolons and commas). In a
fragment, the rules of `conditions.py` and the vocabulary's roles, actions and attestations
find the structured conditions; if words that restrict who or what qualifies are left over,
the whole fragment becomes an `other` condition with its verbatim text, so nothing a clause
asks for is ever dropped. In a granting clause only the part before the grant ("…的，给予",
"… receives") is read as conditions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from assistant.ingest.conditions import _number, extract_conditions, industries_in, to_wan
from assistant.types import Condition
from assistant.vocabulary import ACTIONS, ATTESTATIONS, INDUSTRIES, KINDS, ROLES, Term

# A comma between digits groups thousands ("1,000"); a colon before a year still ends a piece.
_FRAGMENT_END = re.compile(r"[。；;！？!?\n]|\.(?=\s|$)|[，：:]|,(?!\d{3})")
GRANT = re.compile(
    r"给予|一次性奖励|(?:每辆|每人|每个)?(?:增加)?补贴\d|奖励\d|补助\d|贴息的|可以申请|"
    r"\breceives?\b|\bis granted\b|\bare (?:subsidized|granted)\b|\bis subsidized\b|"
    r"\bis increased\b|\bcapped at\b|"
    # Priority in supply ("对纳入白名单的企业在电力…供应上实行优先保障"): where the priority
    # lies is the benefit, not a condition.
    r"(?:在[^，。；]{0,30}(?:上|方面))?(?:实行|给予)优先保障",
    re.I,
)
_RESTRICT = re.compile(
    r"须|应当|应|必须|不得|不予|仅|限于|满足|符合|具备|属于|未|无|不低于|不少于|以上|以下|达到|"
    r"注册|登记|期间|之前|以后|之后|\bmust\b|\bonly\b|at least|not less|or more|registered|"
    r"eligible|provided|\bnot\b|\bno\b|\bwho(?:se)?\b|\bthat\b|\bwhich\b|between|under|below|"
    r"located|used for|along|recognized|on the list",
    re.I,
)
_LEAD_IN = re.compile(
    r"下列条件|以下条件|下列情形|following conditions|all of the following|同时满足|同时符合|"
    r"符合下列|meet all",
    re.I,
)
# "不予支持" alone closes an exclusion list's lead-in: the items are the conditions.
_ONLY_VERDICT = re.compile(r"(?:第.{1,4}条\s*)?(?:不予支持|不得申报本措施支持|不予受理)[。；]?")
# An article's title ("第一条 适用范围"), a definition ("本措施所称…是指"), how a fact is
# proven ("as shown in its audited statements"), the basis of a rate ("按设备投资额的10%"), or
# a relaxation ("Enterprises established in 2023 are eligible if…"): not restrictions.
_HEADING = re.compile(r"第.{1,4}条\s*[\u4e00-\u9fff]{2,10}")
_NOT_A_CONDITION = re.compile(
    r"所称|是指|\bmeans\b|^as shown|^按|use the share over|are eligible if|^including\b|"
    # How an amount is counted ("counted by the amount actually paid in"), as "as shown" is
    # how a fact is proven.
    r"^(?:counted|calculated|measured) (?:by|on|as)\b|"
    # A proviso about the document itself ("Unless an article says otherwise", "另有规定的除外").
    r"^unless\b.{0,40}\botherwise\b|另有规定|"
    # How and to whom the money is paid once granted, and by whom: not who qualifies.
    r"\bis paid to\b|\bpays only\b|拨付给|直接拨付|\bpaid for by\b|\bfunded by\b|"
    # A further benefit for whoever qualifies ("… are free of charge for eligible enterprises").
    r"\bfree of charge for (?:eligible|qualifying)\b|免费(?:向|为|提供给)符合条件|"
    # The authority setting up a scheme ("建立全省重点企业…“白名单”制度").
    r"^\s*(?:建立|建设|完善)[^，。；]{0,30}(?:制度|机制)\s*$|"
    # The papers an application carries: a step of applying, not who qualifies.
    r"(?:须|需|应当?|另需)提交|\bsubmits?\b[^.;]{0,40}\b(?:materials|documents|copies)\b|"
    # The basis of a rate ("按企业实际支付利息的50%"), wherever it stands in the piece.
    r"按[^，。；]{0,30}?的?\d+(?:\.\d+)?\s*[%％]|"
    # Which figures count ("以统计部门核定的联网直报数据为准"): the evidence, not a condition.
    r"^以[^，。；]{2,40}为准",
    re.I,
)
# "A one-time subsidy of 10% … is granted": in a passive grant, what comes before the verb is
# the benefit itself, not whom it is for.
_BENEFIT_FIRST = re.compile(
    r"^\s*(?:[-•]\s*)?(?:an?|the)?\s*(?:[\w-]+\s+){0,3}(?:subsid(?:y|ies)|awards?|vouchers?|"
    r"grants?|bonus|refunds?|interest subsid(?:y|ies))\b(?! applies)|"
    # "70% of the booth fee is subsidized": the share paid, before the verb.
    r"^\s*\d+(?:\.\d+)?\s*%\s+of\b",
    re.I,
)
# An English article's title line ("Article 5 China-Europe freight trains carrying …") and
# a statement of intent ("Sample City encourages exporters to …", "本市鼓励…"): neither
# says who qualifies.
_TITLE_EN = re.compile(r"^\s*Article\s+\d+\b(?!.*\b(?:must|only|at least|not)\b)[^.;:]*$", re.I)
_INTENT = re.compile(
    r"^\s*(?:[A-Z][\w-]*\s+){1,4}(?:encourages|supports|promotes|welcomes|rewards)\b|"
    r"^\s*(?:本市|本省|本区|全市|全省|[\u4e00-\u9fff]{2,8}(?:市|省|区|县))?(?:积极)?鼓励|"
    # A target the authority sets itself ("力争…不出现断供", "we strive to…").
    r"^\s*(?:力争|努力实现|确保)|^\s*(?:we )?strive to\b"
)
# A cap or a rate of the benefit ("单个企业最高不超过300万元", "补助比例提高至12%", "capped
# at RMB 2 million"): how much is paid, not who qualifies. A cumulative cap (累计, 合计) is
# different: it is read as a condition on support already received.
_BENEFIT_SHAPE = re.compile(
    r"最高|上限|封顶|\bcapped at\b|\bup to\b|"
    r"(?:补助|补贴|奖励|贴息|资助|奖补)(?:额|金额|比例|标准|资金)?[^，。；]{0,8}"
    r"(?:不超过|提高至|提高到|调整为|调整至|为\s*\d)|"
    r"比例(?:提高|调整|提升)?(?:至|到|为)\s*\d|比例为|\binstead of\b|"
    r"\bthe (?:award|subsidy|voucher|grant|interest subsidy) is\b|"
    # The extent of a relief ("减免面积不超过5000平方米", "减免期限最长3年").
    r"(?:减免|免收|减半)(?:面积|期限|金额|额度)?[^，。；]{0,4}(?:不超过|最长|最多)",
    re.I,
)
_CUMULATIVE = re.compile(r"累计|合计|总额|in total|combined|cumulative", re.I)
_OPEN_TO_ALL = re.compile(r"same terms|alike|一视同仁|同一标准|不论|无论|regardless", re.I)
_EXCLUSION = re.compile(
    r"不予支持|不予补助|不支持|不享受|不在.{0,8}范围|not supported|not eligible|do not receive|"
    r"does not apply",
    re.I,
)
# Words that carry no condition of their own once the structured parts are taken out.
_FILLER_ZH = re.compile(
    r"[的在和及与或且并其为对于按以向、（）()“”\"《》〔〕\d%％.,\s-]|企业|本措施|本办法|本条|项目|技术改造|"
    r"申请|申报|符合|条件|属于|行业|领域|年度|当年|上一|一个|单个|同一|有下列情形之一|"
    r"依法|行政区域内|具有|资格|满足|以下|以上|下列|规定|标准|万元|亿元|元|不低于|不少于|"
    r"达到|之间|期间|至|日|月|年|第[一二三四五六七八九十]+条|已|完成|实际|有|是|"
    r"近三年|近两年|三年内|未|无|被列入|名单|发生|重大|较大|及以上|主体|补助|补贴|奖励|贴息|支持|"
    r"资金|省级|市级|县级|面向|仅|适用于|投资额|设备|生产性|安装调试|更新|改造|以后|之后|以前|之前|前|"
    r"不得|不予|新签订|签订|合同|银行业金融机构|金融机构|用于|购置|购买|可以|给予|一次性|"
    r"措施|办法|本|所称|情形|下列|之一|应|须|应当|同时|是指|不含税|含税|适用范围|支持条件|"
    r"截至|截止|且|按照|文件|标准|划分|[(（](?:including|含)[^)）]*[)）]|"
    # A reference to the document that defines a term ("工信部联企业〔2011〕300号").
    r"[\u4e00-\u9fff]{1,12}〔\d{4}〕\d+号"
)
_FILLER_EN = frozenset(
    [
        # whose the thing is ("be owned or leased by an enterprise registered in …")
        "owned",
        "leased",
        "a",
        "an",
        "the",
        # the verb of a date window ("made between 1 January 2023 and …")
        "made",
        "between",
        "completed",
        "it",
        "its",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "has",
        "have",
        "had",
        "in",
        "of",
        "and",
        "or",
        "for",
        "to",
        "by",
        "with",
        "on",
        "at",
        "from",
        "as",
        "per",
        "each",
        "this",
        "these",
        "those",
        "that",
        "which",
        "who",
        "whose",
        "enterprise",
        "enterprises",
        "company",
        "companies",
        "applicant",
        "applicants",
        "eligible",
        "must",
        "meet",
        "all",
        "following",
        "conditions",
        "not",
        "no",
        "any",
        "there",
        "their",
        "they",
        "under",
        "shall",
        "may",
        "can",
        "year",
        "years",
        "last",
        "since",
        "within",
        "during",
        "than",
        "more",
        "least",
        "also",
        "other",
        "same",
        "such",
        "rmb",
        "usd",
        "cny",
        "million",
        "billion",
        "receive",
        "receives",
        "subsidy",
        "award",
        "support",
        "supported",
        "granted",
        "one-time",
        "time",
        "new",
        "annual",
        "export",
        "exports",
        "revenue",
        "accounted",
        "operating",
        "share",
        "including",
        "produce",
        "own",
        "exported",
        "goods",
        "products",
        "usable",
        "area",
        "lease",
        "term",
        "product",
        "date",
        "application",
        "document",
        "main",
        "business",
        "do",
        "does",
        "measures",
        "apply",
        "applies",
        "themselves",
        "itself",
    ]
)


@cache
def _compiled(terms: tuple[Term, ...], side: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple(
        (term.code, re.compile("|".join(getattr(term, side)), re.I))
        for term in terms
        if getattr(term, side)
    )


def vocabulary_matches(
    terms: tuple[Term, ...], text: str, side: str = "clause"
) -> list[tuple[str, re.Match[str]]]:
    found = []
    for code, pattern in _compiled(terms, side):
        match = pattern.search(text)
        if match:
            found.append((code, match))
    return found


def _all_matches(
    terms: tuple[Term, ...], text: str, side: str = "clause"
) -> list[tuple[str, re.Match[str]]]:
    """Every mention of every term, not only each term's first."""
    return [
        (code, match)
        for code, pattern in _compiled(terms, side)
        for match in pattern.finditer(text)
    ]


all_vocabulary_matches = _all_matches


def fragments(text: str) -> Iterator[tuple[int, int]]:
    """Spans of the comma- and sentence-separated pieces of `text`, stripped."""
    start = 0
    for match in _FRAGMENT_END.finditer(text):
        yield from _stripped(text, start, match.start())
        start = match.end()
    yield from _stripped(text, start, len(text))


def _stripped(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    piece = text[start:end]
    lead = len(piece) - len(piece.lstrip(" \t-•·"))
    # "（一）", "1.", "(2)" number an item; they are not part of what it asks.
    number = re.match(r"(?:[（(][一二三四五六七八九十\d]+[）)]|\d+\.\s)", piece[lead:])
    if number:
        lead += number.end()
    trail = len(piece) - len(piece.rstrip())
    if end - trail > start + lead:
        yield start + lead, end - trail


_NUM = r"(\d+(?:,\d{3})*(?:\.\d+)?)"
_MONEY_AT_LEAST = [
    re.compile(rf"(?:不低于|不少于|达到|(?<![不最高])超过)\s*{_NUM}\s*(万元|亿元|元)"),
    re.compile(rf"{_NUM}\s*(万元|亿元)(?:以上|及以上)"),
    re.compile(rf"(?:at least|not less than)\s*(?:RMB|CNY)\s*{_NUM}\s*(million|billion)?", re.I),
    re.compile(rf"(?:RMB|CNY)\s*{_NUM}\s*(million|billion)?\s*or more", re.I),
]
_MONEY_BELOW = [
    re.compile(rf"(?:below|under|less than)\s*(RMB|USD|CNY)\s*{_NUM}\s*(million|billion)?", re.I),
    re.compile(rf"(?:低于|不足|不超过)\s*{_NUM}\s*(万元|亿元|万美元)(?!.{{0,4}}(?:补|奖))"),
]
_EXPORTS = re.compile(r"exports?\b|出口额|出口总额|出口", re.I)
# A floor lowered by a variant ("单笔贷款金额下限降低至100万元"): the new floor.
_FLOOR_LOWERED = re.compile(rf"(?:下限|门槛)(?:降低|调整|放宽)(?:至|到|为)\s*{_NUM}\s*(万元|亿元)")
_MONTHS_AT_LEAST = [
    re.compile(
        rf"(?:期限|运营|运行|经营|投入使用)(?:时间)?(?:满|不少于|不低于|不短于|达到)\s*{_NUM}\s*(年|个月)"
    ),
    re.compile(
        rf"(?:(?:term|tenor) of|in operation for|operating for|operated for)\s*"
        rf"(?:at least|not less than|no less than)\s*{_NUM}\s*(years?|months?)",
        re.I,
    ),
]
# Growth on the year before: "同比增长20%以上", "增速在20%（含）以上", "growth of at least 20%";
# a band ("增速在10%（含）至20%之间") is a floor and a ceiling.
_GROWTH_AT_LEAST = [
    re.compile(
        rf"(?:增长|增速(?:在|达到)?)\s*{_NUM}\s*[%％]\s*(?:[（(]含[）)])?\s*(?:以上|及以上)"
    ),
    re.compile(
        rf"(?:grow(?:s|n|th)?|increase[sd]?|rise|rose|up)\s+(?:of\s+|by\s+)?"
        rf"(?:at least|not less than|no less than)\s*{_NUM}\s*%",
        re.I,
    ),
]
_GROWTH_BAND = re.compile(
    rf"(?:增长|增速)(?:在|达到)?\s*{_NUM}\s*[%％]\s*(?:[（(]含[）)])?\s*(?:至|到|-|—|~)\s*"
    rf"{_NUM}\s*[%％]\s*(?:之间|以内|以下)?"
)
_AREA = re.compile(rf"(?:at least|不低于|不少于)\s*{_NUM}\s*(?:square met(?:re|er)s|平方米)", re.I)
_SERVED = [
    re.compile(rf"serves? at least\s*{_NUM}\b[^.;,]{{0,40}}?enterprises", re.I),
    re.compile(rf"服务[^，。；]{{0,12}}?企业(?:不少于|达到)\s*{_NUM}\s*家"),
]
_RD_RATIO = [
    re.compile(
        r"(?:研究开发费用|研发费用|研发投入)(?:总额)?占[^，。；]{0,10}?(?:营业收入|销售收入)"
        rf"[^，。；\d]{{0,6}}?(?:不低于|不少于|达到|在)\s*{_NUM}\s*[%％]"
    ),
    re.compile(
        r"R&D (?:spending|expenditure|expenses?|investment)[^.;]{0,40}?"
        rf"(?:at least|not less than|no less than)\s*{_NUM}\s*%",
        re.I,
    ),
]
# A clause's list of what is (or is not) paid for: "Eligible services are A, B and C",
# "A, B and C are not eligible", "支持范围包括A、B和C".
_LIST_IN = re.compile(
    r"^(?:Eligible|Supported|Covered) [\w -]{2,30}? (?:are|include)\s+(?P<items>.+?)\s*$|"
    r"^支持(?:的)?(?:服务|范围|内容|事项)(?:包括|为)[：:]?(?P<zh>.+?)$",
    re.I,
)
_LIST_OUT = re.compile(
    r"^(?P<items>[^:;]+?)\s+are not eligible\s*$|^(?P<zh>[^：；]+?)不在支持范围(?:内|之内)?$", re.I
)
_ITEM_SPLIT = re.compile(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+|、|和|及|或")
_MONTHS = "january february march april may june july august september october november december"
_MONTH = {m: i for i, m in enumerate(_MONTHS.split(), start=1)}
# A date as policy documents write it: "2023年1月1日", "1 January 2023" (one group).
DATE_PATTERN = (
    r"(\d{4}年\d{1,2}月\d{1,2}日|\d{1,2} (?:"
    + "|".join(m.capitalize() for m in _MONTH)
    + r") \d{4})"
)
_DATE = DATE_PATTERN
_DATE_RANGE = re.compile(rf"{_DATE}\s*(?:至|到|to|and)\s*{_DATE}")
_DATE_AFTER = re.compile(
    rf"(?:{_DATE}\s*(?:以后|之后|起))|(?:(?:after|since|on or after)\s*{_DATE})", re.I
)
_DATE_BEFORE = re.compile(rf"(?:{_DATE}\s*(?:前|之前|以前))|(?:(?:before|by)\s*{_DATE})", re.I)
# A quarter ("2022年第四季度", "Q4 2022", "the fourth quarter of 2022"): its first and last day.
QUARTER = re.compile(
    r"(?P<zh_year>\d{4})\s*年\s*第?(?P<zh>[一二三四1-4])\s*季度|"
    r"\bQ(?P<q>[1-4])\s*(?P<q_year>\d{4})\b|"
    r"\b(?P<en>first|second|third|fourth) quarter of (?P<en_year>\d{4})\b",
    re.I,
)
_QUARTER_NUMBER = {
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
}


def quarter_span(match: re.Match[str]) -> tuple[str, str]:
    """The first and last day of the quarter a `QUARTER` match names, as ISO dates."""
    year = int(match.group("zh_year") or match.group("q_year") or match.group("en_year"))
    said = match.group("zh") or match.group("q") or match.group("en").lower()
    quarter = int(said) if said.isdigit() else _QUARTER_NUMBER[said]
    last_month = quarter * 3
    last_day = 31 if last_month in {3, 12} else 30
    return f"{year}-{last_month - 2:02d}-01", f"{year}-{last_month:02d}-{last_day}"


def iso_date(text: str) -> str:
    zh = re.match(r"(\d{4})年(\d{1,2})月(\d{1,2})日", text)
    if zh:
        return f"{zh.group(1)}-{int(zh.group(2)):02d}-{int(zh.group(3)):02d}"
    day, month, year = text.split()
    return f"{year}-{_MONTH[month.lower()]:02d}-{int(day):02d}"


def admission_window(text: str, base: int, clause_id: str | None) -> Condition | None:
    """ "受理2022年1月1日以后取得的认定和发生的事项": the events a measure rewards (a
    recognition, a purchase, a loan) must fall on or after the date."""
    found = _DATE_AFTER.search(text)
    if found is None:
        return None
    date = next(g for g in found.groups() if g)
    return Condition(
        field="event_date",
        operator=">=",
        value=iso_date(date),
        text=text,
        start=base,
        end=base + len(text),
        clause_id=clause_id,
    )


class _Reader:
    """Collects the conditions of one fragment, with spans in document offsets."""

    def __init__(
        self, text: str, base: int, clause_id: str | None, sentence: str, about: str = ""
    ) -> None:
        self.text, self.base, self.clause_id, self.sentence = text, base, clause_id, sentence
        self.about = about
        self.found: list[Condition] = []
        self.covered: list[tuple[int, int]] = []

    def add(
        self,
        field: str,
        op: str,
        value: object,
        span: tuple[int, int],
        unit: str | None = None,
        subject: str | None = None,
    ) -> None:
        start, end = span
        self.found.append(
            Condition.model_validate(
                {
                    "field": field,
                    "operator": op,
                    "value": value,
                    "unit": unit,
                    "text": self.text[start:end],
                    "start": self.base + start,
                    "end": self.base + end,
                    "subject": subject,
                    "clause_id": self.clause_id,
                }
            )
        )
        self.covered.append(span)

    def confirm(self) -> None:
        """The whole fragment, verbatim, as a condition to confirm."""
        self.found.append(
            Condition(
                field="other",
                operator="confirm",
                value=self.text,
                text=self.text,
                start=self.base,
                end=self.base + len(self.text),
                clause_id=self.clause_id,
            )
        )
        self.covered.append((0, len(self.text)))

    def subject(self) -> str | None:
        """The action a threshold or date in this fragment is about: named in the fragment,
        else in its sentence."""
        matches = vocabulary_matches(ACTIONS, self.text)
        if matches:
            # The head noun: last in Chinese ("…设备投资额5亿元以上的制造业重大项目"),
            # first in English ("the warehouse must have…").
            chinese = re.search(r"[\u4e00-\u9fff]", self.text) is not None
            pick = max if chinese else min
            return pick(matches, key=lambda m: m[1].start())[0]
        # Else the sentence's action named nearest before the fragment ("…设备投资额不低于
        # 500万元，且设备于…以后完成安装调试，贷款期限…": the equipment, not the loan).
        at = max(0, self.sentence.find(self.text))
        before = [m for m in _all_matches(ACTIONS, self.sentence) if m[1].start() < at]
        after = [m for m in _all_matches(ACTIONS, self.sentence) if m[1].start() >= at]
        if before:
            return max(before, key=lambda m: m[1].start())[0]
        if after:
            return min(after, key=lambda m: m[1].start())[0]
        # Else what the clause is about, named in its nearest heading ("Article 5
        # China-Europe freight trains…" above "The subsidy applies to trains departing…").
        about = vocabulary_matches(ACTIONS, self.about)
        return max(about, key=lambda m: m[1].start())[0] if about else None


def read_fragment(
    text: str,
    base: int,
    clause_id: str | None,
    sentence: str,
    *,
    context: str,
    named: str | None = None,
    about: str = "",
) -> list[Condition]:
    """The conditions of one fragment. `named` is the sentence up to its grant, where the
    beneficiaries are named, when the fragment is that part. `context` is "grant" (a
    granting clause), "who" (the part of one naming whom it is for), "require" (a clause
    stating conditions) or "exclude" (an item of a "不予支持" list). `about` is what the
    clause is about where its own words do not say (its heading)."""
    reader = _Reader(text, base, clause_id, sentence, about)
    if context == "who":
        _read_beneficiaries(reader, named)
        context = "require"
    _read_structured(reader, context)
    _thresholds(reader)
    _dates(reader)
    _read_roles(reader, context)
    _read_first_recognition(reader)
    for code, _match in vocabulary_matches(ATTESTATIONS, text):
        # A boilerplate statement (no dishonesty record, no major accident…) is attested
        # as a whole: its words are the condition.
        reader.add("attestation", "has", code, (0, len(text)))
    if context != "exclude":
        _read_benefit_kept(reader)
        _read_kinds(reader)
        _read_actions(reader)
    if (
        context == "exclude" and any(c.field in {"industry", "attestation"} for c in reader.found)
    ) or (
        _EXCLUSION.search(text) is not None
        and any(c.field == "role" and c.operator == "not_in" for c in reader.found)
    ):
        # An exclusion applies only when all its parts hold; a profile outside the part
        # the rules read is settled by it ("forwarders … that do not produce the goods
        # are not eligible": a manufacturer is outside it).
        return reader.found
    if _restricts_beyond_what_was_read(reader, context):
        reader.confirm()
    return reader.found


_INVESTED_IN = re.compile(r"\b(?:re)?invest\w*\s+(?:is\s+)?in\b|(?:再)?投资(?:于|到)|投向", re.I)


def _read_beneficiaries(reader: _Reader, named: str | None) -> None:
    """Whoever is named before the grant is whom it is for: industries included. "Enterprises
    exporting new energy vehicles, power batteries or photovoltaic products receive…" names
    them by what they make, with no word for "industry"; a role named there ("e-commerce
    platform operator") says who instead."""
    text = reader.text
    codes = industries_in(named or text)
    # The word for "industry" said apart from an industry's own name: "industrial internet
    # platform operator" names a role, not the industrial-internet industry.
    said = (
        re.search(r"industr|sector|行业|领域|产业", _INDUSTRY_NAME.sub(" ", named or text), re.I)
        is not None
    )
    # A maker of them ("vehicles produced by enterprises registered in …") is still named
    # by its products; another role ("platform operator") says who instead.
    other_roles = [c for c, _ in vocabulary_matches(ROLES, named or text) if c != "manufacturer"]
    # Named by what they do with the products ("白名单企业储备芯片、锂…等关键原材料",
    # "购买新能源乘用车"), not by what they make.
    acting = bool(vocabulary_matches(ACTIONS, named or text))
    if _INVESTED_IN.search(named or text):
        acting = False  # "reinvestment in integrated circuits, …": the industries invested in
    if codes and not acting and (said or (industries_in(text) and not other_roles)):
        reader.add("industry", "in", codes, (0, len(text)))
    if OTHER_GROUP.match(named or text) or OTHER_GROUP.match(text):
        # "Other eligible enterprises receive 30%": those outside a group another item
        # names, which no single fact settles.
        reader.confirm()


def _read_structured(reader: _Reader, context: str) -> None:
    """The facts `extract_conditions` reads; an ownership named among several open to all
    ("state-owned, private and foreign-invested alike") restricts nothing."""
    open_to_all = _OPEN_TO_ALL.search(reader.sentence) is not None
    base = reader.base
    for condition in extract_conditions(reader.text, base):
        if condition.field == "ownership" and open_to_all:
            reader.covered.append((condition.start - base, condition.end - base))
            continue
        condition = condition.model_copy(update={"clause_id": reader.clause_id})
        if context == "exclude" and condition.field == "industry":
            condition = condition.model_copy(update={"operator": "not_in"})
        reader.found.append(condition)
        reader.covered.append((condition.start - base, condition.end - base))


# Whom the applicant serves ("a platform operator that serves at least 30 manufacturing
# enterprises", "服务制造业企业30家以上"): their role is not the applicant's.
_SERVED_BEFORE = re.compile(r"\bserv(?:es|e|ing)\b[^,;.]{0,40}$|服务[^，。；]{0,12}$", re.I)


def _read_roles(reader: _Reader, context: str) -> None:
    excluded = context == "exclude" or _EXCLUSION.search(reader.sentence) is not None
    for code, pattern in _compiled(ROLES, "clause"):
        found = [m.span() for m in pattern.finditer(reader.text)]
        served = [span for span in found if _SERVED_BEFORE.search(reader.text[: span[0]])]
        reader.covered += served
        spans = [span for span in found if span not in served]
        if spans:
            reader.add("role", "not_in" if excluded else "in", [code], spans[0])
            reader.covered += spans[1:]


def _read_first_recognition(reader: _Reader) -> None:
    """ "首次被认定为X": the enterprise is newly recognized as X itself; holding a higher
    title that implies X is not the same event."""
    first = _FIRST_RECOGNIZED.search(reader.text)
    if first is None:
        return
    reader.covered.append(first.span())
    reader.found = [
        c.model_copy(update={"operator": "=="}) if c.field == "certifications" else c
        for c in reader.found
    ]


# A national direction naming the benefit it keeps or extends ("Continue implementing tax
# reduction policies for…", "延续实施…免征政策"): the benefit, whoever it is for.
_BENEFIT_KEPT = re.compile(
    r"\b(?:continue (?:implementing|to implement)|extend|implement)\s+(?:[\w-]+\s+){0,4}?"
    r"(?:polic(?:y|ies)|exemptions?|reductions?|reliefs?|incentives?)\s+for\b|"
    r"(?:继续|延续)(?:实施|执行)[^，。；]{0,20}(?:政策|减免|免征)",
    re.I,
)


def _read_benefit_kept(reader: _Reader) -> None:
    reader.covered += [m.span() for m in _BENEFIT_KEPT.finditer(reader.text)]


def _read_kinds(reader: _Reader) -> None:
    """A kind the action must be of ("向银行业金融机构取得的贷款", "purchase tax exemptions for
    new energy vehicles"): one condition per action, listing every kind the fragment allows.
    Only where its sentence names the action: "exports of new energy vehicles" names what is
    exported, not a vehicle the enterprise bought."""
    named = {code for code, _ in vocabulary_matches(ACTIONS, reader.sentence)}
    allowed: dict[str, list[tuple[str, re.Match[str]]]] = {}
    for term in (t for t in KINDS if t.of in named):
        for _code, match in _all_matches((term,), reader.text):
            allowed.setdefault(term.of, []).append((term.code, match))
    for action, found in allowed.items():
        codes = sorted({code for code, _ in found})
        span = (min(m.start() for _, m in found), max(m.end() for _, m in found))
        reader.add("action_kind", "in", codes, span, subject=action)


def _read_actions(reader: _Reader) -> None:
    # An action word inside a ratio ("研究开发费用占营业收入的比重") is what the ratio
    # measures, not something the enterprise must have done.
    base = reader.base
    ratios = [(c.start - base, c.end - base) for c in reader.found if c.field == "rd_ratio"]
    for code, match in vocabulary_matches(ACTIONS, reader.text):
        if not any(s <= match.start() < e for s, e in ratios):
            reader.add("action", "has", code, match.span())


def _restricts_beyond_what_was_read(reader: _Reader, context: str) -> bool:
    """Whether words or figures no rule read still restrict: then the fragment is kept
    whole, to confirm. A date or a figure no rule tied to a fact ("revenue in 2022 was RMB 5
    million or more") is never eaten as filler, so no threshold is ever dropped."""
    text = reader.text
    unreferenced = _without_references(text)
    loose = any(
        not any(s <= m.start() < e for s, e in reader.covered)
        for pattern in (_DATE_RANGE, _DATE_AFTER, _DATE_BEFORE, _FIGURE)
        for m in pattern.finditer(unreferenced)
    )
    if loose:
        return True
    return _leftover(text, reader.covered) and (
        context != "grant" or _RESTRICT.search(text) is not None
    )


# A figure that can be a threshold: an amount, a share, an area or a count with its unit.
_FIGURE = re.compile(
    r"\d+(?:[,.]\d+)*\s*(?:[%％]|万|亿|元|million|billion|square|sq|m²|平方米|家|个|人|台|辆|"
    r"吨|enterprises|companies|employees|staff|units|tons?|vehicles|days?|months?|个月|天)|"
    r"(?:RMB|CNY|USD|US\$)\s*\d",
    re.I,
)
# What is numbered but restricts nothing: a document number ("工信部联企业〔2011〕300号"), an
# article or item number, a list marker. Blanked (same length, so offsets hold).
_REFERENCE = re.compile(
    r"〔\d{4}〕\d+号|\[\d{4}\]\s*No\.\s*\d+|第\s*(?:\d+|[一二三四五六七八九十百零〇]+)\s*[条款项]|"
    r"\b(?:Article|Item|item)\s+\d+|"
    r"^\s*[-•(（]?\s*\d+\s*[.)）、]"
)


def _without_references(text: str) -> str:
    return _REFERENCE.sub(lambda m: " " * len(m.group(0)), text)


def _thresholds(reader: _Reader) -> None:
    text = reader.text
    taken = {(c.start - reader.base, c.end - reader.base) for c in reader.found}
    for pattern in _MONEY_AT_LEAST:
        for match in pattern.finditer(text):
            if any(s <= match.start() < e for s, e in taken):
                continue
            value = to_wan(_number(match.group(1)), match.group(2) or "元")
            subject = reader.subject()
            if subject is not None:
                reader.add("action_amount", ">=", value, match.span(), "万元", subject)
    for pattern in _MONEY_BELOW:
        for match in pattern.finditer(text):
            groups = match.groups()
            currency, number, unit = (
                (groups[0], groups[1], groups[2])
                if len(groups) == 3
                else ("", groups[0], groups[1])
            )
            if not _EXPORTS.search(text[: match.start()]) and not _EXPORTS.search(reader.sentence):
                continue
            usd = currency.upper() == "USD" or unit == "万美元"
            value = _number(number) if unit == "万美元" else to_wan(_number(number), unit or "元")
            reader.add("annual_exports", "<", value, match.span(), "万美元" if usd else "万元")
    for match in _FLOOR_LOWERED.finditer(text):
        subject = reader.subject()
        if subject is not None:
            value = to_wan(_number(match.group(1)), match.group(2))
            reader.add("action_amount", ">=", value, match.span(), "万元", subject)
    for pattern in _MONTHS_AT_LEAST:
        for match in pattern.finditer(text):
            subject = reader.subject()
            if subject is not None:
                months = _number(match.group(1)) * (12 if match.group(2)[0] in "年y" else 1)
                reader.add("action_months", ">=", months, match.span(), "months", subject)
    _growth(reader)
    for pattern in _RD_RATIO:
        for match in pattern.finditer(text):
            reader.add("rd_ratio", ">=", _number(match.group(1)) / 100, match.span(), "share")
    for match in _AREA.finditer(text):
        reader.add("area", ">=", _number(match.group(1)), match.span(), "m²", reader.subject())
    for pattern in _SERVED:
        for match in pattern.finditer(text):
            reader.add(
                "count",
                ">=",
                _number(match.group(1)),
                match.span(),
                "enterprises",
                "served_enterprises",
            )


def _growth(reader: _Reader) -> None:
    """A growth rate the action must reach, or a band it must fall in. Untied to an action
    it is left whole, to confirm."""
    text = reader.text
    subject = reader.subject()
    if subject is None:
        return
    bands = []
    for match in _GROWTH_BAND.finditer(text):
        low, high = _number(match.group(1)) / 100, _number(match.group(2)) / 100
        reader.add("action_growth", ">=", low, match.span(), "share", subject)
        reader.add("action_growth", "<", high, match.span(), "share", subject)
        bands.append(match.span())
    for pattern in _GROWTH_AT_LEAST:
        for match in pattern.finditer(text):
            if not any(s <= match.start() < e for s, e in bands):
                value = _number(match.group(1)) / 100
                reader.add("action_growth", ">=", value, match.span(), "share", subject)


def _dates(reader: _Reader) -> None:
    text = reader.text
    subject = reader.subject()
    if subject is None:
        return  # a date not tied to an action is left for "to confirm"
    spans: list[tuple[int, int]] = []
    for match in _DATE_RANGE.finditer(text):
        value = [iso_date(match.group(1)), iso_date(match.group(2))]
        reader.add("action_date", "between", value, match.span(), None, subject)
        spans.append(match.span())
    for match in QUARTER.finditer(text):
        reader.add("action_date", "between", list(quarter_span(match)), match.span(), None, subject)
    for pattern, op in ((_DATE_AFTER, ">="), (_DATE_BEFORE, "<=")):
        for match in pattern.finditer(text):
            if any(s <= match.start() < e for s, e in spans):
                continue
            date = next(g for g in match.groups() if g)
            reader.add("action_date", op, iso_date(date), match.span(), None, subject)


def _leftover(text: str, covered: list[tuple[int, int]]) -> bool:
    """Whether words that restrict remain once the structured spans are taken out."""
    keep = [True] * len(text)
    # A place named inside another name ("示例省专精特新中小企业") is the level of that name;
    # where a place restricts, a region rule has read it.
    levels = [m.span() for m in _LEVEL.finditer(text)]
    for start, end in [*covered, *levels]:
        for i in range(max(0, start), min(len(text), end)):
            keep[i] = False
    rest = "".join(ch if k else " " for ch, k in zip(text, keep, strict=True))
    rest = re.sub(r"[(（](?:including|含)[^)）]*[)）]", " ", rest, flags=re.I)
    rest = _INDUSTRY_NAME.sub(" ", rest)
    zh = _FILLER_ZH.sub("", re.sub(r"[A-Za-z]+", "", rest))
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z-]*", rest) if w.lower() not in _FILLER_EN]
    return len(zh) >= 3 or len(words) >= 2


# Longest first, so a name that holds another is taken out whole.
_INDUSTRY_NAME = re.compile(
    "|".join(
        re.escape(name) + r"(?:e?s\b)?"
        for name in sorted(
            {n for names in INDUSTRIES.values() for n in names}, key=len, reverse=True
        )
    ),
    re.I,
)
_LEVEL = re.compile(r"[\u4e00-\u9fff]{2,4}(?:省|市|县|区)(?=专精特新|重点|高新技术|创新型|“|\")")
OTHER_GROUP = re.compile(r"^[\s\-•·]*(?:\d+\.\s*)?(?:other\b|其他|其余)", re.I)
_FIRST_RECOGNIZED = re.compile(
    r"首次(?:被)?(?:认定|评定|评为)为?|first (?:recognized|certified|named) as", re.I
)
_OWNERSHIP_WORD = re.compile(
    r"state[- ]owned|private|foreign[- ]invested|国有|民营|外资|外商投资|私营", re.I
)
_SENTENCE = re.compile(r"[^。；;\n]+?(?:\.(?=\s|$)|$)|[^。；;\n]+", re.M)


def _sentences(text: str) -> Iterator[tuple[int, int]]:
    for match in _SENTENCE.finditer(text):
        yield from _stripped(text, match.start(), match.end())


def item_lists(text: str, base: int, clause_id: str | None) -> list[Condition]:
    """Sentences that list what is (or is not) paid for, each one condition on what the
    enterprise's action was for. A list naming a role ("logistics agents … are not
    eligible") says who, not what, and is left to the other rules."""
    found: list[Condition] = []
    for s, e in _sentences(text):
        sentence = text[s:e].rstrip(".。 ")
        match = _LIST_IN.match(sentence)
        operator = "in"
        if match is None:
            match = _LIST_OUT.match(sentence)
            operator = "not_in"
            if match is None or vocabulary_matches(ROLES, sentence):
                continue
        items = match.group("items") or match.group("zh") or ""
        values = [i.strip() for i in _ITEM_SPLIT.split(items) if i and i.strip()]
        if len(values) < 2:
            continue
        found.append(
            Condition(
                field="action_detail",
                operator=operator,
                value=values,
                text=sentence,
                start=base + s,
                end=base + s + len(sentence),
                clause_id=clause_id,
            )
        )
    return found


def read_clause(
    text: str, base: int, clause_id: str | None, *, context: str, about: str = ""
) -> list[Condition]:
    """Every condition a clause states. In a granting clause, a fragment's grant ("给予…",
    "receives …") and what follows it are the benefit, not a condition. `about`: the words
    that say what the clause is about when it does not (its heading)."""
    found: list[Condition] = item_lists(text, base, clause_id)
    listed = [(c.start - base, c.end - base) for c in found]
    previous: str | None = None
    for s, e in fragments(text):
        sentence = _sentence_around(text, s)
        piece = text[s:e]
        if _continues_inclusion(previous, piece):
            continue
        previous = piece
        if any(ls <= s < le for ls, le in listed) or not _may_restrict(piece, sentence):
            continue
        if _is_heading(text, s, e):
            continue
        before_grant = False
        if context == "grant":
            grant = GRANT.search(text[s:e])
            if grant is not None:
                # After the grant, only a window, a floor on what is paid for, or a limit
                # of once ("may receive one free diagnosis in 2023") restricts.
                found += _after_grant(text, base, clause_id, s + grant.start(), e)
                found += _once_only(text, base, clause_id, s + grant.start(), e)
                e = s + grant.start()
                while e > s and text[e - 1] in " ，,的":
                    e -= 1
                if e <= s or _BENEFIT_FIRST.match(text[s:e]) or _PAID_FOR.fullmatch(text[s:e]):
                    continue
            before_grant = grant is not None or _names_beneficiary(text, s, e)
        if re.search(r"所称|是指|\bmeans\b", sentence):
            continue  # a definition says what a word means, not who qualifies
        # What comes before a grant ("购买…乘用车的，每辆补贴") is a condition by position.
        found += read_fragment(
            text[s:e],
            base + s,
            clause_id,
            sentence,
            context="who" if before_grant else context,
            named=_named_before_grant(text, s, e) if before_grant else None,
            about=about,
        )
    return found


# A sentence that obliges someone other than the applicant ("电网企业应当提前24小时通知企业",
# "the service provider must …"): what others owe the enterprise, not who qualifies.
_OTHERS_OBLIGED = re.compile(
    r"^(?:[^，,。；;]{0,40}[，,]\s*)?(?:电网企业|供电企业|供电公司|(?:合作)?银行|服务商|服务机构|"
    r"保险机构|主管部门|管委会|(?:诊断|评估|审计)?报告|(?:the |its )?(?:bank|insurer|grid company|"
    r"service providers?|providers?|administrative committee|department|"
    r"(?:diagnosis |assessment |audit )?reports?))\s*(?:应当|应|须|必须|\bmust\b|\bshall\b)",
    re.I,
)
# "对储备所需流动资金贷款给予贴息": what the grant pays for, named with no figure and no one
# who qualifies.
_PAID_FOR = re.compile(r"对(?![^，。；]*(?:企业|单位|个人|\d))[^，。；]+")
# "including enterprises invested by investors from Hong Kong, Macao and Taiwan": the
# pieces after an inclusion's comma go on listing what is included, and widen nothing less.
_INCLUSION = re.compile(r"^(?:including\b|包括)", re.I)
_RESTRICTING_WORD = re.compile(r"\b(?:must|shall|only|not|no)\b|须|应|不得|仅|限", re.I)


# A heading line: an article or item number and a short title, no figure, no clause
# punctuation ("第八条 首台（套）产品奖励", "4. Free diagnosis").
_HEADING_LINE = re.compile(
    r"\s*(?:第[一二三四五六七八九十百零〇\d]+条|\d{1,2}[.、]|[（(][一二三四五六七八九十\d]+[)）])?"
    r"\s*[^\d，。；,;:：.!?！？]{1,30}\s*"
)


_RUN_IN_TITLE = re.compile(
    r"\s*(?:第[一二三四五六七八九十百零〇\d]+条|Article \d+)\s*[^\d，。；,;:：.!?！？]{1,16}", re.I
)


def _is_heading(text: str, start: int, end: int) -> bool:
    """Whether the piece is a heading: a whole line of its own, followed by the body, or an
    article's run-in title ("第八条　首台（套）产品奖励：…")."""
    if text[end : end + 1] in ("：", ":") and _RUN_IN_TITLE.fullmatch(text[start:end]):
        return True
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    if (
        line_end < 0
        or text[line_start:start].strip(" -•0123456789.、")
        or text[end:line_end].strip()
    ):
        return False
    line = text[line_start:line_end]
    return _HEADING_LINE.fullmatch(line) is not None and len(re.findall(r"[A-Za-z]+", line)) <= 6


def _continues_inclusion(previous: str | None, piece: str) -> bool:
    return (
        previous is not None
        and _INCLUSION.match(previous) is not None
        and len(piece) <= 40
        and not _RESTRICTING_WORD.search(piece)
    )


def _may_restrict(piece: str, sentence: str) -> bool:
    """False for a piece that cannot say who qualifies: an "open to all ownerships" line, a
    lead-in, a verdict alone, a definition, a title, a statement of intent, the benefit's own
    cap or rate (a cumulative cap does restrict)."""
    if _OPEN_TO_ALL.search(sentence) and len(_OWNERSHIP_WORD.findall(sentence)) >= 2:
        return False  # "state-owned, private and foreign-invested apply on the same terms"
    return not (
        (_LEAD_IN.search(piece) and len(piece) < 60)
        or _ONLY_VERDICT.fullmatch(piece)
        or _NOT_A_CONDITION.search(piece)
        or _HEADING.fullmatch(piece)
        or _TITLE_EN.match(piece)
        or _INTENT.match(sentence)
        or _OTHERS_OBLIGED.match(sentence.lstrip())
        or (
            _BENEFIT_SHAPE.search(piece)
            and not _CUMULATIVE.search(piece)
            and not GRANT.search(piece)
        )
    )


# A benefit had once only: whoever had it already (this year) cannot have it again, which
# the enterprise must confirm (the attestation "first_use").
_ONCE_ONLY = re.compile(
    r"\bone (?:free )?(?:[\w-]+ ){0,4}(?:in \d{4}|per year|a year|each year)\b|\bonly once\b|"
    r"(?:限|只能|仅可|仅能)(?:享受|申请|获得)?一次",
    re.I,
)


def _once_only(
    text: str, base: int, clause_id: str | None, start: int, end: int
) -> list[Condition]:
    if _ONCE_ONLY.search(text[start:end]) is None:
        return []
    piece = text[start:end].strip()
    at = base + text.index(piece, start)
    return [
        Condition(
            field="attestation",
            operator="has",
            value="first_use",
            text=piece,
            start=at,
            end=at + len(piece),
            clause_id=clause_id,
        )
    ]


def _after_grant(
    text: str, base: int, clause_id: str | None, start: int, end: int
) -> list[Condition]:
    """What follows a grant in its fragment: a window on what is paid for ("premium paid for
    policies running between 1 October 2023 and …") or a floor after the cue
    ("申请贴息的单笔贷款金额应不低于300万元")."""
    tail = _Reader(text[start:end], base + start, clause_id, _sentence_around(text, start))
    _dates(tail)
    _thresholds(tail)
    return tail.found


def _named_before_grant(text: str, start: int, end: int) -> str:
    """The whole phrase that names the beneficiaries, up to the grant of the sentence."""
    head = max(text.rfind(p, 0, start) for p in "。；;\n") + 1
    stop = min((i for i in (text.find(p, end) for p in "。；;\n") if i >= 0), default=len(text))
    grant_at = GRANT.search(text, start, stop)
    return text[head : grant_at.start() if grant_at else end]


def _names_beneficiary(text: str, start: int, end: int) -> bool:
    """A fragment of a granting clause that names whom the grant is for by its position: a
    Chinese conditional ending in 的 ("企业首次被认定为…的，一次性奖励…"), or any Chinese
    fragment before the grant of its sentence."""
    if text[start:end].endswith("的") and re.search(r"[，,]", text[end : end + 1]):
        return True
    stop = min((i for i in (text.find(p, end) for p in "。；;\n") if i >= 0), default=len(text))
    return GRANT.search(text, end, stop) is not None


def _sentence_around(text: str, offset: int) -> str:
    start = max(text.rfind(p, 0, offset) for p in "。；;\n.") + 1
    ends = [i for i in (text.find(p, offset) for p in "。；;\n") if i >= 0]
    return text[start : min(ends) if ends else len(text)]


__all__ = [
    "OTHER_GROUP",
    "all_vocabulary_matches",
    "fragments",
    "iso_date",
    "item_lists",
    "read_clause",
    "read_fragment",
    "vocabulary_matches",
]
