"""Metadata read from a document's own text, for files the manifest does not list.

A person finds a policy's title, issuer, document number, date and region on its first
lines (and the date often on its last ones), past any disclaimer or page furniture; these
rules do the same. Each field is None when the text does not state it: a guess that reads
like a fact would be worse than a gap.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from assistant.types import Level

HEAD_LINES = 40
TAIL_LINES = 12

# Disclaimers, test banners and the navigation a web page wraps a policy in.
_NOT_A_TITLE = re.compile(
    r"示例文件|虚构|仅供|演示而编写|测试文件|非正式|并非.{0,12}正式|"
    r"illustrative|fictional|for (the )?(policyqa )?demo|not an official|for tests only|"
    r"test file|sample written|^(home|menu|search|skip to|contact( us)?|about( us)?|"
    r"accept( all)?( cookies)?|privacy|sitemap|english|中文|首页|当前位置|网站地图)\b|"
    r"cookie|©|copyright|all rights reserved|[>›»/]\s*\S+\s*[>›»/]|\S\s*\|\s*\S.*\|",
    re.IGNORECASE,
)
_ZH_DOCUMENT_TYPES = (
    r"(办法|措施|通知|方案|意见|规定|细则|决定|规划|计划|指南|政策|要点|公告|通告|"
    r"实施方案|若干措施|实施意见|实施细则)"
)
_ZH_TITLE = re.compile(_ZH_DOCUMENT_TYPES + r"\s*([（(][^）)]{1,12}[）)])?$")
_EN_TITLE = re.compile(
    r"\b(measures|notice|plan|polic(y|ies)|regulations?|guidelines?|rules|scheme|opinions|"
    r"programme|program|vouchers|provisions|circular|announcement)\b",
    re.IGNORECASE,
)
_DOC_NUMBER = re.compile(
    r"[\u4e00-\u9fff]{1,12}\s*[〔\[［(（]\s*\d{4}\s*[〕\]］)）]\s*\d{1,4}\s*号"
)
_EN_DOC_NUMBER = re.compile(
    r"\b(?:Document|Doc\.?)\s+No\.?\s*[:：]?\s*([A-Za-z0-9][\w\-/\[\]〔〕]*)"
)
_ZH_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_EN_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})\s+{_MONTH}\s+(\d{{4}})\b", re.IGNORECASE)
_EN_MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}}),?\s+(\d{{4}})\b", re.IGNORECASE)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_ISSUED_LINE = re.compile(r"^(issued|date of issue|published|印发日期|发布日期|成文日期)", re.I)
_ZH_ORGANISATION = r"[\u4e00-\u9fff（）()]{2,40}?(局|厅|委员会|委|人民政府|政府|办公室|办公厅|管理委员会|管委会|部|署|中心)"
# One or more organisations and nothing else: the issuer line under a Chinese title.
_ZH_ISSUER = re.compile(rf"{_ZH_ORGANISATION}([\s　、，,]+{_ZH_ORGANISATION})*")
_TRAILING_NUMBER_LABEL = re.compile(r"[.;,；，]?\s*(Document|Doc\.?)\s+No\.?\s*[:：]?\s*$", re.I)
_BULLET = re.compile(r"^([-•*·]|\d{1,2}[.、)]|[（(]\d{1,2}[)）])\s*")
_SENTENCE_OR_CLAUSE = re.compile(
    r"[。；.;：:]$|^([-•*·]|\d{1,2}[.、)]|[（(]\d{1,2}[)）]|第[一二三四五六七八九十百零\d]+[条章节]|"
    r"(Article|Section|Chapter)\s+\d)"
)
# A document naming itself: “Notice on …” (hereinafter …) / 《…通知》（以下简称…）.
_SELF_NAMED = re.compile(
    r"[“\"《]([^”\"》]{6,160})[”\"》]\s*[（(]\s*(hereinafter|以下简称)", re.IGNORECASE
)
_EN_ISSUER = re.compile(
    r"\b(department|bureau|commission|committee|government|office|ministry|administration)\b",
    re.IGNORECASE,
)
# Places: a name followed by the kind of division it is. Searched in the title, issuer and
# number lines only, where a word like 市场 (market) is not mistaken for a city.
_ZH_PLACE = re.compile(
    r"([\u4e00-\u9fff]{2,9}?(?:特别行政区|自治区|自治州|高新区|开发区|新区|园区|省|市|州|县|区))"
)
_EN_PLACE = re.compile(
    r"\b((?:[A-Z][\w-]*\s){1,3}?(?:Province|Autonomous Region|City|Prefecture|County|District|"
    r"Hi-tech Zone|Development Zone|New Area|Zone|Park))\b"
)
_ZH_LEAD_IN = re.compile(r"^(关于|对于|为了?|根据|按照)")
_NATIONAL_ISSUERS = re.compile(
    r"国务院|工业和信息化部|国家发展(和)?改革委|国务院国资委|State Council|Ministry of|"
    r"National Development and Reform Commission",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TextMetadata:
    title: str | None = None
    issuer: str | None = None
    doc_number: str | None = None
    issued: dt.date | None = None
    region: str | None = None
    level: Level = "unknown"
    effective: dt.date | None = None
    expires: dt.date | None = None


def _lines(text: str) -> list[tuple[int, str]]:
    out, offset = [], 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        if stripped:
            out.append((offset + raw.index(stripped[0]), stripped))
        offset += len(raw) + 1
    return out


def _is_furniture(line: str) -> bool:
    # A title may carry its own "(Illustrative)" or （示例）; a disclaimer is a sentence.
    return bool(_NOT_A_TITLE.search(line)) and not _looks_like_title(line)


def _looks_like_title(line: str) -> bool:
    if len(line) < 6 or len(line) > 160 or line.endswith(("。", "；", ".", ";", "：", ":")):
        return False
    if re.search(r"[›»|]|\s>\s", line):  # breadcrumbs and menus name pages, not policies
        return False
    if re.search(r"[\u4e00-\u9fff]", line):
        return bool(_ZH_TITLE.search(line)) and len(line) <= 80
    return bool(_EN_TITLE.search(line)) and not line.endswith(",")


def find_title(lines: list[tuple[int, str]], heading_hints: Mapping[int, int]) -> str | None:
    head = [(o, x) for o, x in lines[:HEAD_LINES] if not _is_furniture(x)]
    for offset, line in head:  # a page's own top heading is its title
        if heading_hints.get(offset) == 1 and len(line) <= 160:
            return line
    for _, line in head:  # the first title-shaped line, or the name the text gives itself
        if _looks_like_title(line) and not _BULLET.match(line):
            return line
        if named := _SELF_NAMED.search(line):
            return named.group(1).strip()
    # No line reads like a title: the first short line that is not a sentence or a clause.
    for _, line in head:
        if 2 <= len(line) <= 120 and not _SENTENCE_OR_CLAUSE.search(line):
            return line
    return None


def find_doc_number(lines: list[tuple[int, str]]) -> str | None:
    for _, line in lines[:HEAD_LINES]:
        if found := _DOC_NUMBER.search(line):
            return re.sub(r"\s+", "", found.group(0))
        if found := _EN_DOC_NUMBER.search(line):
            return found.group(1)
    return None


def parse_date(line: str) -> dt.date | None:
    try:
        if found := _ZH_DATE.search(line):
            return dt.date(int(found[1]), int(found[2]), int(found[3]))
        if found := _EN_DAY_MONTH_YEAR.search(line):
            return dt.date(int(found[3]), _MONTHS[found[2].lower()], int(found[1]))
        if found := _EN_MONTH_DAY_YEAR.search(line):
            return dt.date(int(found[3]), _MONTHS[found[1].lower()], int(found[2]))
        if found := _ISO_DATE.search(line):
            return dt.date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:  # 2023年2月30日 is not a date
        return None
    return None


def _is_date_line(line: str) -> bool:
    """A line that is a date and little else: how a policy states when it was issued."""
    bare = re.sub(r"[\s（）()【】\[\]]", "", line)
    if _ISSUED_LINE.search(line):
        return True
    for pattern in (_ZH_DATE, _EN_DAY_MONTH_YEAR, _EN_MONTH_DAY_YEAR, _ISO_DATE):
        found = pattern.search(bare if pattern is _ZH_DATE else line)
        if found and len(found.group(0)) >= 0.7 * len(bare if pattern is _ZH_DATE else line):
            return True
    return False


def find_issued(lines: list[tuple[int, str]]) -> dt.date | None:
    for _, line in [*lines[:HEAD_LINES], *lines[-TAIL_LINES:]]:
        if _is_date_line(line) and (date := parse_date(line)):
            return date
    return None


def find_issuer(lines: list[tuple[int, str]], title: str | None) -> str | None:
    head = lines[:HEAD_LINES]
    titled = [i for i, (_, line) in enumerate(head) if line == title]
    for _, line in head[titled[0] + 1 :] if titled else head:
        if _is_furniture(line):
            continue
        lowered = line.lower()
        if lowered.startswith(("issued by", "jointly issued by", "issuer")):
            found = re.sub(r"^(jointly )?issued by( the)?|^issuer\s*[:：]", "", line, flags=re.I)
            found = _TRAILING_NUMBER_LABEL.sub("", _DOC_NUMBER.sub("", found))
            return found.strip(" :：.;；") or None
        without_number = _DOC_NUMBER.sub("", _EN_DOC_NUMBER.sub("", line))
        without_number = _TRAILING_NUMBER_LABEL.sub("", without_number).strip(" .;；，,　")
        if zh := _ZH_ISSUER.fullmatch(without_number):
            return re.sub(r"[\s　]+", " ", zh.group(0)).strip()
        had_number = without_number != line.strip(" .;；，,　")
        if (
            _EN_ISSUER.search(without_number)
            and len(without_number) <= 200
            and (had_number or not line.endswith("."))
            and not _looks_like_title(line)
        ):
            return without_number
        if _looks_like_title(line) or len(line) > 200:
            break  # the body has started
    return None


def find_region(*texts: str | None) -> str | None:
    for text in texts:
        if not text:
            continue
        english = _EN_PLACE.search(text)
        chinese = _ZH_PLACE.search(_ZH_LEAD_IN.sub("", text))
        if chinese and (not english or chinese.start() <= english.start()):
            return chinese.group(1)
        if english:
            return english.group(1).strip()
    return None


_DATE_TEXT = r"(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|\d{1,2}\s+[A-Za-z]+\.?\s+\d{4}|[A-Za-z]+\.?\s+\d{1,2},?\s+\d{4}|\d{4}-\d{2}-\d{2})"
_EFFECTIVE = re.compile(
    rf"自\s*{_DATE_TEXT}\s*起(施行|执行|实施|生效)|"
    rf"(takes? effect|effective|comes? into force|in force)\s*(on|from|as of)?\s*[:：]?\s*{_DATE_TEXT}",
    re.IGNORECASE,
)
_EXPIRES = re.compile(
    rf"(有效期至|有效期为?[^。；]{{0,20}}至|至)\s*{_DATE_TEXT}\s*(止|截止)?(?![^。；]{{0,6}}(申报|提交|受理))|"
    rf"(valid until|remains? valid until|remains? in force until|expires? on|until)\s*{_DATE_TEXT}",
    re.IGNORECASE,
)


def find_validity(text: str) -> tuple[dt.date | None, dt.date | None]:
    """When the document says it takes effect and until when it is valid."""
    effective = next((d for m in _EFFECTIVE.finditer(text) if (d := _first_date(m))), None)
    expires = None
    for match in _EXPIRES.finditer(text):
        # "至…止" also bounds application windows; validity is stated beside taking effect.
        context = text[max(0, match.start() - 40) : match.end() + 10]
        if re.search(r"有效|施行|valid|in force|effect", context, re.IGNORECASE):
            expires = _first_date(match) or expires
    return effective, expires


def _first_date(match: re.Match[str]) -> dt.date | None:
    return next((d for group in match.groups() if group and (d := parse_date(group))), None)


def level_of(region: str | None, issuer: str | None) -> Level:
    if region is None:
        return "national" if issuer and _NATIONAL_ISSUERS.search(issuer) else "unknown"
    if re.search(r"(高新区|开发区|新区|园区|Zone|Park|New Area)$", region):
        return "park"
    if re.search(r"(省|自治区|特别行政区|Province|Autonomous Region)$", region):
        return "provincial"
    # Counties and districts answer to their city; the level vocabulary stops at municipal.
    return "municipal"


def read_metadata(text: str, heading_hints: Mapping[int, int] | None = None) -> TextMetadata:
    lines = _lines(text)
    if not lines:
        return TextMetadata()
    title = find_title(lines, heading_hints or {})
    effective, expires = find_validity(text)
    issuer = find_issuer(lines, title)
    doc_number = find_doc_number(lines)
    region = find_region(
        title,
        issuer,
        doc_number
        and next((x for _, x in lines[:HEAD_LINES] if doc_number in re.sub(r"\s+", "", x)), None),
    )
    return TextMetadata(
        title=title,
        issuer=issuer,
        doc_number=doc_number,
        issued=find_issued(lines),
        region=region,
        level=level_of(region, issuer),
        effective=effective,
        expires=expires,
    )
