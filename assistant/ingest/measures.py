"""A document's clauses → its measures, each with every condition that governs it.

A measure is a granting clause (`conditions.measure_of`). Its conditions are read from:
its own clause (the part before the grant); its ancestors; its siblings that state
requirements or exclusions; the siblings of its ancestors that state who qualifies
("（一）补贴对象", "Eligible enterprises"); the measure it varies ("补助比例提高至…",
"instead of"), with that measure's own conditions; the document's scope clauses with their
items; exclusion lists ("有下列情形之一的，不予支持"); and cumulative caps. Each condition
keeps the clause it came from and its span. A sentence that relaxes a condition ("the 30%
export-share condition does not apply to platform operators under Article 3") is read as a
waiver: the condition it names (by its number) is set aside for those roles, in the
measures of the article it names. A document-level clause that names the benefit it governs
("申请设备购置补助的企业应同时满足") governs only the measures under that name, or that
refer to it ("对符合第二条条件的项目"), directly or through the measure they vary.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from assistant.ingest.conditions import measure_of
from assistant.ingest.restrictions import (
    GRANT,
    OTHER_GROUP,
    admission_window,
    read_clause,
    vocabulary_matches,
)
from assistant.ingest.windows import application_windows
from assistant.types import HEADING_SEPARATOR, Chunk, Condition, Measure
from assistant.vocabulary import ROLES

_REQUIRE = re.compile(
    r"须|应当|应|不得|仅|限于|不予|条件|适用|\bmust\b|\bonly\b|provided|not supported|"
    r"not eligible|do(?:es)? not receive|eligible|applies to",
    re.I,
)
# A clause that opens by saying whom the whole document is for.
_SCOPE_HEAD = re.compile(
    r"适用于|适用范围|支持条件|申报条件|同时符合|同时满足|Eligible enterprises|Eligibility|"
    r"\bScope\b|apply to [\w -]{0,40}enterprises",
    re.I,
)
# A clause that qualifies the benefit beside it ("3. The subsidy applies to trains departing
# between…", "上述补贴适用于…"): its terms are that benefit's; it grants nothing of its own.
_REFERS_BACK = re.compile(
    r"^\s*(?:[-•]|\d+[.)、]|[（(][一二三四五六七八九十\d]+[)）])?\s*"
    r"(?:The (?:above |said )?(?:subsid(?:y|ies)|support|awards?|grants?|rewards?) "
    r"(?:only )?(?:applies|apply) (?:only )?to\b|"
    r"(?:上述|本条|本项|该项?)(?:补贴|奖励|补助|支持|资金)[^，。；]{0,6}适用于)",
    re.I,
)
_EXCLUDE_LEAD = re.compile(r"有下列情形之一的.{0,4}不予支持|不予支持情形|Exclusions", re.I)
_ELIGIBLE_HEADING = re.compile(r"对象|条件|适用范围|Eligib|Scope", re.I)
_VARIANT = re.compile(
    r"提高至|提高到|降低至|上限不变|限额不变|instead of|is increased|additional|same cap|"
    r"第.{1,4}条.{0,12}基础上|第.{1,3}[项条].{0,6}基础上",
    re.I,
)
# A clause that sets aside the money for the measures is not a measure itself.
_BUDGET = re.compile(
    r"安排.{0,24}亿元|安排[^，。；]{0,20}资金\d|年度预算|资金规模|total budget|annual budget", re.I
)
_CLAUSE_PART = re.compile(r"[，。；;]|[,.](?=\s|$)")
# How to apply, what to submit, whom to call, budgets: not conditions of who qualifies.
_PROCEDURE = re.compile(
    r"申报材料|应当?提交|申报时间|受理时间|政策咨询|联系电话|负责解释|起施行|骗取|弄虚作假|"
    r"年度预算|application materials|applicants submit|applications (?:for|are)|contact|"
    r"telephone|take effect|false declarations|annual budget|total budget",
    re.I,
)
# In a procedure clause, the sentence that limits what is accepted ("受理2022年1月1日以后取得
# 的认定和发生的事项", "only recognitions obtained after …"): a condition of every measure.
_ADMITS = re.compile(
    r"受理[^。；]{0,24}?(?:以后|之后|以来)[^。；]{0,24}?(?:认定|事项|项目|支出|费用)[^。；]*|"
    r"\bonly\b[^.;]{0,80}?\b(?:obtained|incurred|recognized|completed|made|signed)\s+"
    r"(?:on or )?(?:after|since)\b[^.;]*",
    re.I,
)
_NAMED_SECTION = re.compile(r"\b(?:in|under|for) (Section|Article) (\d+)\b", re.I)
_RELAXES = re.compile(r"does not apply to|不适用于", re.I)
# "申请设备购置补助的企业应…", "Applicants for the equipment subsidy must…": the benefit
# a conditions clause governs. "本办法奖励", "these measures": the whole document.
_GOVERNS = re.compile(
    r"申请(?P<zh>[^，。；]{2,16}?)的(?:企业|项目|单位)|"
    r"Applicants? for (?:the )?(?P<en>[\w -]{3,40}?) (?:must|shall)",
    re.I,
)
_WHOLE_DOCUMENT = re.compile(r"本办法|本措施|本政策|本细则|these measures|this scheme", re.I)
_ARTICLE = re.compile(r"^\s*(第[一二三四五六七八九十百\d]+条|(?:Article|Section) \d+)\b", re.I)
_WAIVED_FOR = re.compile(r"(?:does not apply to|不适用于)(?P<who>[^。；;]+)", re.I)
_WAIVER_SECTION = re.compile(
    r"(?:under|in) ((?:Article|Section) \d+)|(第[一二三四五六七八九十]+条)", re.I
)
_CUMULATIVE = re.compile(
    r"累计不超过|累计.{0,12}不超过|总额最高不超过|total support[^.]{0,60}may not exceed", re.I
)


def base_id(clause_id: str) -> str:
    return re.sub(r"_p\d+$", "", clause_id)


def parent_id(clause_id: str) -> str | None:
    doc, _, path = base_id(clause_id).partition(":")
    return f"{doc}:{path.rsplit('.', 1)[0]}" if "." in path else None


class DocumentMeasures:
    """The measures of one document's clauses, in document order."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        if not chunks:
            raise ValueError("a document has at least one clause")
        self.chunks = list(chunks)
        self.by_base: dict[str, list[Chunk]] = {}
        for chunk in self.chunks:
            self.by_base.setdefault(base_id(chunk.clause_id), []).append(chunk)
        self.nodes: list[str] = []
        for base in self.by_base:
            node: str | None = base
            while node is not None and node not in self.nodes:
                self.nodes.append(node)
                node = parent_id(node)
        # What each clause grants, read once: every rule below asks it again.
        self.measure = {c.clause_id: measure_of(c) for c in self.chunks}
        self.granting = {
            c.clause_id
            for c in self.chunks
            if self.measure[c.clause_id] is not None
            and _grants_beyond_budget(c)
            and not self._only_states_eligibility(c)
            and not _REFERS_BACK.match(c.text)
        }
        self.waivers = [w for c in self.chunks for w in _waivers(c)]
        # A clause is read as the condition of every measure under or beside it: reading it
        # once per context keeps a long document linear rather than quadratic.
        self._readings: dict[tuple[str, str], list[Condition]] = {}
        self._position = {c.clause_id: i for i, c in enumerate(self.chunks)}

    def run(self) -> list[Measure]:
        measures: list[Measure] = []
        scope = self._document_conditions()
        for chunk in self.chunks:
            measure = self.measure[chunk.clause_id]
            if measure is None or chunk.clause_id not in self.granting:
                continue
            chain = self._chain(chunk)
            conditions = self._own_and_related(chunk, set()) + scope(chunk, chain)
            conditions = [c for c in conditions if not self._for_another_section(c, chunk)]
            conditions = [self._waived(c, chunk) for c in conditions]
            conditions = [self._outside(c, chunk) for c in conditions]
            if not any(_says_who(c) for c in conditions):
                # Nothing read says who qualifies: the clause's words stand as one condition
                # to confirm, so a measure the rules cannot read is never reported as met.
                conditions.append(_whole(chunk))
            measures.append(measure.model_copy(update={"conditions": _unique(conditions)}))
        return measures

    def _chain(self, chunk: Chunk) -> list[Chunk]:
        """The measure and the measures it varies, nearest first."""
        chain = [chunk]
        while _VARIANT.search(chain[-1].text):
            varied = self._varied(chain[-1])
            if varied is None or varied in chain:
                break
            chain.append(varied)
        return chain

    def _outside(self, condition: Condition, measure: Chunk) -> Condition:
        """ "Other eligible enterprises…": those outside the group the item before names
        (its own conditions on who the enterprise is), else left to confirm."""
        if condition.field != "other" or condition.clause_id != measure.clause_id:
            return condition
        if not OTHER_GROUP.match(condition.text):
            return condition
        base = base_id(measure.clause_id)
        siblings = [
            c
            for c in self.chunks[: self._position[measure.clause_id]]
            if c.clause_id in self.granting and parent_id(base_id(c.clause_id)) == parent_id(base)
        ]
        if not siblings:
            return condition
        group = [
            c
            for c in self._read(siblings[-1], "grant")
            if c.field in _WHO_IS and c.clause_id == siblings[-1].clause_id
        ]
        if not group:
            return condition
        return condition.model_copy(
            update={
                "field": "outside_group",
                "operator": "not_in",
                "value": siblings[-1].clause_id,
                "group": group,
            }
        )

    def _waived(self, condition: Condition, measure: Chunk) -> Condition:
        """The condition with the waiver that sets it aside for some roles in this measure."""
        for waiver, number, sections in self.waivers:
            if number not in condition.text or condition.field in {"other", "role"}:
                continue
            roles = [
                role
                for role, section in sections
                if section is None
                or re.search(rf"{re.escape(section)}(?!\d)", measure.heading_path, re.I)
            ]
            if roles:
                return condition.model_copy(
                    update={"waived_by": waiver.model_copy(update={"value": sorted(set(roles))})}
                )
        return condition

    def _read(self, chunk: Chunk, context: str) -> list[Condition]:
        """The clause's conditions read in `context`, as a new list the caller may extend."""
        key = (chunk.clause_id, context)
        if key not in self._readings:
            self._readings[key] = self._read_uncached(chunk, context)
        return list(self._readings[key])

    def _read_uncached(self, chunk: Chunk, context: str) -> list[Condition]:
        if _RELAXES.search(chunk.text) or (context != "grant" and _PROCEDURE.search(chunk.text)):
            return []
        if context == "require" and _CUMULATIVE.search(chunk.text):
            return [_cumulative(chunk)]
        if context == "require" and _EXCLUDE_LEAD.search(chunk.heading_path + chunk.text):
            context = "exclude"
        if context == "refers":
            return _terms_of_the_benefit(chunk)
        return read_clause(chunk.text, chunk.start, chunk.clause_id, context=context)

    def _own_and_related(self, chunk: Chunk, seen: set[str]) -> list[Condition]:
        seen.add(chunk.clause_id)
        found = self._read(chunk, "grant")
        base = base_id(chunk.clause_id)
        parent = parent_id(base)
        ancestor = parent
        while ancestor is not None:
            # The top level holds the document's title and preamble, never a condition.
            top = "." not in ancestor.split(":", 1)[1]
            for part in [] if top else self.by_base.get(ancestor, []):
                found += self._read(part, "grant" if part.clause_id in self.granting else "require")
            for aunt in self._children(parent_id(ancestor)):
                if aunt != ancestor and self._states_eligibility(aunt):
                    found += self._subtree(aunt)
            ancestor = parent_id(ancestor)
        found += self._from_siblings(chunk, self._chain(chunk))
        if _VARIANT.search(chunk.text):
            varied = self._varied(chunk)
            if varied is not None and varied.clause_id not in seen:
                found += self._own_and_related(varied, seen)
        # A floor a variant states itself ("下限降低至100万元") replaces the floor of the
        # measure it varies, on the same thing.
        own = {
            (c.field, c.subject, c.operator)
            for c in found
            if c.clause_id == chunk.clause_id and c.field in _REPLACEABLE
        }
        # "Other eligible enterprises" names the group of its own item only: a variant
        # that adds to "the rates above" does not inherit it.
        return [
            c
            for c in found
            if c.clause_id == chunk.clause_id
            or c.clause_id not in self.granting
            or (
                (c.field, c.subject, c.operator) not in own
                and not (c.field == "other" and OTHER_GROUP.match(c.text))
            )
        ]

    def _from_siblings(self, chunk: Chunk, chain: Sequence[Chunk]) -> list[Condition]:
        """The conditions the clauses beside the measure state for it."""
        found: list[Condition] = []
        base = base_id(chunk.clause_id)
        for sibling in self._children(parent_id(base)):
            if sibling == base:
                continue
            governs = self._governs(sibling)
            if governs is not None and not _governed(governs, chain):
                continue  # conditions for another benefit of the same document
            if _parallel_items(chunk, self.by_base.get(sibling, [])):
                continue  # "（一）用工支持：…" beside "（二）应急转贷：…": another item
            if any(base_id(c.clause_id) == sibling for c in chain[1:]):
                continue  # the measure it varies: read below as the grant it is
            for part in self.by_base.get(sibling, []):
                if _REFERS_BACK.match(part.text):
                    found += self._read(part, "refers")
                    continue
                if part.clause_id not in self.granting and _REQUIRE.search(part.text):
                    found += self._subtree(sibling)
                    break
                earlier = self._position[part.clause_id] < self._position[chunk.clause_id]
                if self._states_terms(part) and earlier:
                    # "…的，可以申请贴息" before "贴息按…50%": the conditions come first.
                    found += self._read(part, "require")
                elif earlier and self._grants_without_terms(part):
                    # "储备量不低于30天用量的，…给予贴息。" then "贴息比例为…50%": who
                    # qualifies is what comes before the grant.
                    found += self._read(part, "grant")
        return found

    def _for_another_section(self, condition: Condition, measure: Chunk) -> bool:
        """A condition whose sentence names the section it is for ("…are not eligible for
        the rail freight support in Section 3"), when that is not this measure's section."""
        source = next(
            (
                c
                for c in self.chunks
                if c.clause_id == condition.clause_id and c.start <= condition.start < c.end
            ),
            None,
        )
        if source is None:
            return False
        offset = condition.start - source.start
        start = max(source.text.rfind(p, 0, offset) for p in "。；;\n.") + 1
        ends = [i for i in (source.text.find(p, offset) for p in "。；;\n") if i >= 0]
        sentence = source.text[start : min(ends) if ends else len(source.text)]
        named = _NAMED_SECTION.search(sentence)
        if named is None:
            return False
        label = f"{named.group(1)} {named.group(2)}".lower()
        return label not in measure.heading_path.lower()

    def _only_states_eligibility(self, chunk: Chunk) -> bool:
        """ "第二条 支持条件。申请…补助的企业应同时满足…": who qualifies, not a grant."""
        measure = self.measure[chunk.clause_id]
        return (
            _SCOPE_HEAD.search(chunk.text[:60]) is not None
            and measure is not None
            and not any(a.kind in {"rate", "cap"} for a in measure.amounts)
        )

    def _grants_without_terms(self, chunk: Chunk) -> bool:
        """A clause that grants ("…的，给予贴息") but states no amount, rate or cap."""
        return self.measure[chunk.clause_id] is None and GRANT.search(chunk.text) is not None

    def _states_terms(self, chunk: Chunk) -> bool:
        """A granting clause with no rate or cap of its own: its terms follow in the next."""
        measure = self.measure[chunk.clause_id]
        return (
            chunk.clause_id in self.granting
            and measure is not None
            and not any(a.kind in {"rate", "cap"} for a in measure.amounts)
            and _REQUIRE.search(chunk.text) is not None
        )

    def _varied(self, chunk: Chunk) -> Chunk | None:
        """The measure a variant clause changes: the article it names ("在第三条补助基础上"),
        else the granting clause before it."""
        named = re.search(r"(第[一二三四五六七八九十]+条)[^，。；]{0,12}基础上", chunk.text)
        if named is not None:
            for other in self.chunks:
                if other.clause_id in self.granting and other.text.startswith(named.group(1)):
                    return other
        variant = _VARIANT.search(chunk.text)
        line = chunk.text.rfind("\n", 0, variant.start()) if variant else -1
        if line > 0 and GRANT.search(chunk.text, 0, line):
            # "第八条 …按合同金额的15%给予奖励。\n属于集成电路…的产品，奖励比例提高至20%": a
            # line raising the article's own rate varies that article, not the one before.
            return None
        position = self._position[chunk.clause_id]
        for earlier in reversed(self.chunks[:position]):
            if earlier.clause_id in self.granting and base_id(earlier.clause_id) != base_id(
                chunk.clause_id
            ):
                return earlier
        return None

    def _children(self, parent: str | None) -> list[str]:
        """The nodes right under `parent`, including headings that have no text of their
        own ("（一）补贴对象。" above its items)."""
        return [node for node in self.nodes if parent_id(node) == parent]

    def _states_eligibility(self, base: str) -> bool:
        """Whether a clause is headed as saying who qualifies ("（一）补贴对象"); a heading
        with no text of its own is seen in the heading paths of the clauses under it."""
        parts = self.by_base.get(base, [])
        if any(p.clause_id in self.granting for p in parts):
            return False
        heads = [p.text.split("\n", 1)[0][:40] for p in parts]
        for other, chunks in self.by_base.items():
            if other.startswith(base + ".") and chunks:
                # The node's own heading: as many steps up the path as it is above the clause.
                segments = chunks[0].heading_path.split(HEADING_SEPARATOR)
                steps = other.count(".") - base.count(".")
                if steps < len(segments):
                    heads.append(segments[-1 - steps])
                break
        return any(len(h) <= 40 and _ELIGIBLE_HEADING.search(h) for h in heads)

    def _subtree(self, base: str) -> list[Condition]:
        found: list[Condition] = []
        if any(_PROCEDURE.search(p.text) for p in self.by_base.get(base, [])):
            return found  # a list of materials to submit states no condition
        for other, parts in self.by_base.items():
            if other == base or other.startswith(base + "."):
                for part in parts:
                    if part.clause_id not in self.granting:
                        found += self._read(part, "require")
        return found

    def _document_conditions(self) -> _Scope:
        roots = [
            base
            for base, parts in self.by_base.items()
            if base.split(":", 1)[1].count(".") <= 1
            and any(_SCOPE_HEAD.search(p.text[:60]) or _EXCLUDE_LEAD.search(p.text) for p in parts)
            and not any(p.clause_id in self.granting for p in parts)
        ]
        exclusions = [
            base
            for base, parts in self.by_base.items()
            if any(
                _EXCLUDE_LEAD.search(p.heading_path) or _CUMULATIVE.search(p.text) for p in parts
            )
            and not any(p.clause_id in self.granting for p in parts)
        ]
        entries: list[tuple[Condition, tuple[str, str] | None]] = []
        for parts in self.by_base.values():
            for part in parts:
                if part.clause_id in self.granting:
                    continue
                entries += [
                    (c, None) for c in application_windows(part.text, part.start, part.clause_id)
                ]
                for admits in _ADMITS.finditer(part.text):
                    window = admission_window(
                        admits.group(0), part.start + admits.start(), part.clause_id
                    )
                    entries += (
                        [(window, None)]
                        if window is not None
                        else [
                            (c, None)
                            for c in read_clause(
                                admits.group(0),
                                part.start + admits.start(),
                                part.clause_id,
                                context="require",
                            )
                        ]
                    )
        for root in roots:
            governs = self._governs(root)
            entries += [(c, governs) for c in self._subtree(root)]
        for base in exclusions:
            if not any(base == r or base.startswith(r + ".") for r in roots):
                for part in self.by_base[base]:
                    entries += [(c, None) for c in self._read(part, "require")]
        return _Scope(entries)

    def _governs(self, root: str) -> tuple[str, str] | None:
        """The benefit a conditions clause names, with its article label; None when it is
        for the whole document."""
        parts = self.by_base.get(root, [])
        text = parts[0].text if parts else ""
        named = _GOVERNS.search(text[:80])
        if named is None:
            return None
        benefit = (named.group("zh") or named.group("en") or "").strip()
        if _WHOLE_DOCUMENT.search(benefit):
            return None
        label = _ARTICLE.match(text)
        return benefit, label.group(1) if label else ""


# An item that opens with its own topic: "（二）应急转贷：", "3. Export credit insurance:".
_TOPIC_LABEL = re.compile(
    r"^\s*(?:[（(]?(?:[一二三四五六七八九十]+|\d+)[)）.、]|第[一二三四五六七八九十百]+条)"
    r"\s*([^：:。；;\n]{2,40})[：:]"
)


# A numbered title on a line of its own above the text ("4. Free diagnosis", "第五条 首台套
# 奖励"): the item's topic too.
_TITLE_LINE = re.compile(
    r"^\s*(?:[（(]?(?:[一二三四五六七八九十]+|\d+)[)）.、]|第[一二三四五六七八九十百]+条|"
    r"(?:Article|Section) \d+\.?)\s*([^\n。；;：:，,]{2,60})\n\S",
    re.I,
)


def _topic(text: str) -> str | None:
    label = _TOPIC_LABEL.match(text) or _TITLE_LINE.match(text)
    return None if label is None else label.group(1)


def _parallel_items(measure: Chunk, sibling: Sequence[Chunk]) -> bool:
    """Whether a sibling is an item of its own beside the measure, both opening with a
    topic of their own: then its conditions are its own, unless its topic says it states
    who qualifies ("（二）支持条件：")."""
    if not sibling or _topic(measure.text) is None:
        return False
    label = _topic(sibling[0].text)
    return label is not None and _ELIGIBLE_HEADING.search(label) is None


def _terms_of_the_benefit(chunk: Chunk) -> list[Condition]:
    """A clause that qualifies the benefit beside it, read as that grant's terms ("…and is
    capped at RMB 3 million": the cap is the benefit's), about what its heading names when
    its own words do not. The window it sets is the condition; "The subsidy applies to
    trains departing" around it says only what the window is for."""
    found = read_clause(
        chunk.text, chunk.start, chunk.clause_id, context="grant", about=chunk.heading_path
    )
    read = [c for c in found if c.field != "other"]
    return [
        c for c in found if c.field != "other" or not any(c.start <= r.start < c.end for r in read)
    ]


def _title(chunk: Chunk) -> str:
    """An article's title: "第三条 设备购置补助", from the text up to its first full stop."""
    head = re.split(r"[。.\n]", chunk.text, maxsplit=1)[0]
    return head if len(head) <= 40 else chunk.heading_path.split(HEADING_SEPARATOR)[-1][:20]


def _grants_beyond_budget(chunk: Chunk) -> bool:
    """Whether the clause still grants something once its budget is set aside: "年度预算为
    3000万元" beside a definition, or "subject to the total annual budget of RMB 80 million"
    beside a clawback, grants nothing; "资金规模增至5亿元，…资金使用费按日0.01%收取" does."""
    if not _BUDGET.search(chunk.text):
        return True
    rest = "，".join(p for p in _CLAUSE_PART.split(chunk.text) if not _BUDGET.search(p))
    return measure_of(replace(chunk, text=rest)) is not None


class _Scope:
    """The document-level conditions. One that names the benefit it governs applies to the
    measures with that title or that refer to its article; a clause that is itself one of
    them is not governed by its own words twice."""

    def __init__(self, entries: list[tuple[Condition, tuple[str, str] | None]]) -> None:
        self.entries = entries

    def __call__(self, chunk: Chunk, chain: Sequence[Chunk]) -> list[Condition]:
        return [
            c
            for c, governs in self.entries
            if c.clause_id != chunk.clause_id and (governs is None or _governed(governs, chain))
        ]


def _governed(governs: tuple[str, str], chain: Sequence[Chunk]) -> bool:
    benefit, label = governs
    for chunk in chain:
        if benefit.lower() in _title(chunk).lower():
            return True
        if label and re.search(rf"符合{re.escape(label)}|under {re.escape(label)}\b", chunk.text):
            return True
    return False


def _waivers(chunk: Chunk) -> list[tuple[Condition, str, list[tuple[str, str | None]]]]:
    """Each sentence of `chunk` that sets a numbered condition aside for some roles: the
    waiver as a role condition with its span, the number that names the condition ("30%"),
    and each role with the article it is limited to."""
    found: list[tuple[Condition, str, list[tuple[str, str | None]]]] = []
    for match in _WAIVED_FOR.finditer(chunk.text):
        start = max(chunk.text.rfind(p, 0, match.start()) for p in "。；;\n") + 1
        ends = [i for i in (chunk.text.find(p, match.end()) for p in "。；;\n.") if i >= 0]
        end = min(ends) if ends else len(chunk.text)
        number = re.search(
            r"\d+(?:\.\d+)?\s*[%％]|\d+(?:\.\d+)?", chunk.text[start : match.start()]
        )
        if number is None:
            continue  # which condition it relaxes is not said by a number: none is set aside
        sections: list[tuple[str, str | None]] = []
        for piece in re.split(r"\bor\b|\band\b|或|和|、|，|,", match.group("who")):
            section = _WAIVER_SECTION.search(piece)
            for code, _ in vocabulary_matches(ROLES, piece):
                sections.append((code, (section.group(1) or section.group(2)) if section else None))
        if not sections:
            continue
        text = chunk.text[start:end].strip()
        offset = chunk.text.find(text, start)
        waiver = Condition(
            field="role",
            operator="in",
            value=sorted({code for code, _ in sections}),
            text=text,
            start=chunk.start + offset,
            end=chunk.start + offset + len(text),
            clause_id=chunk.clause_id,
        )
        found.append((waiver, re.sub(r"\s+", "", number.group(0)), sections))
    return found


# Facts about who the enterprise is, as opposed to what it did.
_WHO_IS = frozenset(
    {
        "sme",
        "annual_exports",
        "employees",
        "annual_revenue_wan",
        "export_share",
        "ownership",
        "certifications",
        "industry",
        "above_designated_size",
        "role",
    }
)
_REPLACEABLE = frozenset({"action_amount", "action_months", "area", "count", "annual_exports"})
_WHO = frozenset(
    {
        "role",
        "ownership",
        "above_designated_size",
        "sme",
        "industry",
        "certifications",
        "action",
        "export_share",
        "annual_revenue_wan",
        "employees",
        "outside_group",
        "other",
    }
)


def _says_who(condition: Condition) -> bool:
    # Being on a list ("白名单企业") names a group, as a certification does; a statement
    # of good standing (no accident, no arrears) names none.
    return condition.field in _WHO or (
        condition.field == "attestation" and condition.value in _MEMBERSHIPS
    )


_MEMBERSHIPS = frozenset({"whitelist"})


def _whole(chunk: Chunk) -> Condition:
    text = chunk.text.rstrip()
    return Condition(
        field="other",
        operator="confirm",
        value=text,
        text=text,
        start=chunk.start,
        end=chunk.start + len(text),
        clause_id=chunk.clause_id,
    )


def _cumulative(chunk: Chunk) -> Condition:
    match = _CUMULATIVE.search(chunk.text)
    assert match is not None
    start = max(chunk.text.rfind(p, 0, match.start()) for p in "。；;\n.") + 1
    ends = [i for i in (chunk.text.find(p, match.end()) for p in "。；;\n") if i >= 0]
    end = min(ends) + 1 if ends else len(chunk.text)
    while start < end and chunk.text[start] in " \n":
        start += 1
    return Condition(
        field="cumulative_cap",
        operator="has",
        value="no_prior_support",
        text=chunk.text[start:end],
        start=chunk.start + start,
        end=chunk.start + end,
        clause_id=chunk.clause_id,
    )


def _unique(conditions: Iterable[Condition]) -> list[Condition]:
    seen: set[tuple[str, int, int, str]] = set()
    out: list[Condition] = []
    for c in conditions:
        key = (c.field, c.start, c.end, str(c.value))
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def measures_of(chunks: Sequence[Chunk]) -> list[Measure]:
    """Every measure of the given clauses (any number of documents), with its conditions."""
    by_doc: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    measures: list[Measure] = []
    for doc_chunks in by_doc.values():
        measures += DocumentMeasures(doc_chunks).run()
    return measures


__all__ = ["DocumentMeasures", "base_id", "measures_of", "parent_id"]
