"""Which measures apply to us? A profile matched against the conditions of each measure.

A measure's conditions are its own clause's, its parent clause's, those of sibling clauses
that state conditions ("申报条件", "eligible enterprises"), the document's scope clauses,
and the document's locality. Each condition is met, unmet, or unknown (the profile does not
say); a measure is unmet if any condition is, unknown if any is unknown, met otherwise.
A document that is superseded or expired rules its measures out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from assistant.answer.extractive import make_citation
from assistant.ingest.conditions import INDUSTRIES, SCOPE_CUE, extract_conditions, industries_in
from assistant.types import (
    HEADING_SEPARATOR,
    Condition,
    ConditionResult,
    Document,
    Measure,
    MeasureResult,
    Profile,
    SearchHit,
)

# Above this, an industrial enterprise is above designated size (主营业务收入2000万元).
ABOVE_DESIGNATED_SIZE_WAN = 2000.0
# Industrial SMEs (工信部联企业〔2011〕300号): fewer than 1000 employees or revenue under 4亿元.
SME_EMPLOYEES, SME_REVENUE_WAN = 1000, 40000.0


def _part_base(clause_id: str) -> str:
    return re.sub(r"_p\d+$", "", clause_id)


def parent_id(clause_id: str) -> str | None:
    doc, _, path = _part_base(clause_id).partition(":")
    return f"{doc}:{path.rsplit('.', 1)[0]}" if "." in path else None


class LocalityMap:
    """Places the corpus knows, each with its aliases and the places that contain it."""

    def __init__(self, regions: Iterable[str]) -> None:
        self.aliases: dict[str, set[str]] = {}
        self.parents: dict[str, set[str]] = {}
        for region in regions:
            parts = [p.strip() for p in region.split(",") if p.strip()]
            names = [self._names(p) for p in parts]
            for i, group in enumerate(names):
                key = sorted(group)[0]
                self.aliases.setdefault(key, set()).update(group)
                for parent in names[i + 1 :]:
                    self.parents.setdefault(key, set()).update(parent)

    @staticmethod
    def _names(part: str) -> set[str]:
        match = re.match(r"(.+?)\s*\((.+)\)\s*$", part)
        names = {match.group(1).strip(), match.group(2).strip()} if match else {part}
        extra = {n.replace("演示高新技术产业开发区", "演示高新区") for n in names}
        extra |= {n.replace("the ", "") for n in names}
        return {n.lower() for n in names | extra}

    def resolve(self, text: str | None) -> set[str]:
        """Every name of the place `text` mentions and of the places that contain it."""
        if not text:
            return set()
        lowered = text.lower()
        found: set[str] = set()
        for key, names in self.aliases.items():
            if any(name in lowered for name in names):
                found |= names
                for parent in self.parents.get(key, set()):
                    found.add(parent)
                    for other_key, other in self.aliases.items():
                        if parent in other:
                            found |= other | {
                                p for q in self.parents.get(other_key, set()) for p in {q}
                            }
        return found


def evaluate(
    condition: Condition, profile: Profile, places: set[str], localities: LocalityMap | None = None
) -> tuple[str, str]:
    """met / unmet / unknown, and why."""
    field, op, value = condition.field, condition.operator, condition.value
    if field == "region":
        wanted = {str(v).lower() for v in (value if isinstance(value, list) else [value])}
        if not places:
            return "unknown", "the profile gives no region"
        wanted_names = set(wanted)
        for name in wanted:  # every alias of the place, but not the places that contain it
            for aliases in localities.aliases.values() if localities else []:
                if name in aliases:
                    wanted_names |= aliases
        return (
            ("met", "registered in the required place")
            if places & wanted_names
            else ("unmet", f"requires registration in {', '.join(sorted(wanted))}")
        )
    if field == "above_designated_size":
        size = profile.above_designated_size
        if size is None and profile.annual_revenue_wan is not None:
            size = profile.annual_revenue_wan >= ABOVE_DESIGNATED_SIZE_WAN
        if size is None:
            return "unknown", "the profile does not say whether it is above designated size"
        return (
            ("met", "above designated size")
            if size == value
            else ("unmet", "requires an above-designated-size enterprise")
        )
    if field == "sme":
        if {"srdi", "little_giant"} & set(profile.certifications):
            return "met", "certified SRDI enterprises are SMEs"
        employees, revenue = profile.employees, profile.annual_revenue_wan
        small = [employees < SME_EMPLOYEES] if employees is not None else []
        small += [revenue < SME_REVENUE_WAN] if revenue is not None else []
        if any(small):
            return "met", "an SME by employees or revenue"
        if len(small) == 2:
            return "unmet", "too large to be an SME"
        return "unknown", "the profile lacks employees or revenue to tell SME status"
    if field == "ownership":
        if profile.ownership is None:
            return "unknown", "the profile does not give ownership"
        if op == "not_in":
            excluded = value if isinstance(value, list) else [str(value)]
            return (
                ("unmet", f"{profile.ownership} enterprises are excluded")
                if (profile.ownership in excluded)
                else ("met", "not an excluded ownership")
            )
        return (
            ("met", f"ownership is {value}")
            if profile.ownership == value
            else ("unmet", f"requires {value} ownership")
        )
    if field == "certifications":
        held = set(profile.certifications)
        implied = held | ({"srdi"} if "little_giant" in held else set())
        if str(value) in implied:
            return "met", f"holds {value}"
        return "unknown", f"requires the {value} certification, which the profile does not list"
    if field == "industry":
        if not profile.industry:
            return "unknown", "the profile gives no industry"
        listed = set(value if isinstance(value, list) else [value])
        inside = profile.industry in listed
        if op == "in":
            return (
                ("met", "in a supported industry")
                if inside
                else ("unmet", f"limited to {', '.join(sorted(str(v) for v in listed))}")
            )
        return (
            ("unmet", f"{profile.industry} is excluded")
            if inside
            else ("met", "not an excluded industry")
        )
    numeric = {
        "export_share": profile.export_share,
        "employees": profile.employees,
        "annual_revenue_wan": profile.annual_revenue_wan,
        "registered_years": profile.registered_years,
    }
    if field in numeric:
        actual = numeric[field]
        if actual is None:
            return "unknown", f"the profile does not give {field}"
        threshold = float(value)  # type: ignore[arg-type]
        ok = {
            ">=": actual >= threshold,
            "<=": actual <= threshold,
            ">": actual > threshold,
            "<": actual < threshold,
            "==": actual == threshold,
        }.get(op, False)
        return ("met" if ok else "unmet"), f"{field} {actual:g} {op} {threshold:g} required"
    return "unknown", "a condition the profile cannot be checked against"


class EligibilityMatcher:
    """Matches a profile against the measures of an index."""

    def __init__(self, regions: Iterable[str]) -> None:
        self.localities = LocalityMap(regions)

    def match(
        self,
        profile: Profile,
        measures: Sequence[Measure],
        documents: dict[str, Document],
        hits_by_clause: dict[str, SearchHit],
        include_unmet: bool = False,
    ) -> list[MeasureResult]:
        places = self.localities.resolve(profile.region)
        results: list[tuple[int, MeasureResult]] = []
        scope = self._scope_conditions(hits_by_clause, documents)
        for order, measure in enumerate(measures):
            document = documents[measure.doc_id]
            hit = hits_by_clause[measure.clause_id]
            conditions = self._conditions_for(measure, hits_by_clause, scope)
            checked: list[ConditionResult] = []
            seen: set[tuple[str, str, str]] = set()
            for condition, source in conditions:
                key = (condition.field, condition.operator, str(condition.value))
                if key in seen:
                    continue
                seen.add(key)
                status, reason = evaluate(condition, profile, places, self.localities)
                checked.append(
                    ConditionResult(
                        field=condition.field,
                        operator=condition.operator,
                        value=condition.value,
                        status=status,
                        reason=reason,
                        citation=make_citation(
                            0,
                            source,
                            documents[source.chunk.doc_id],
                            condition.start,
                            condition.end,
                        ),
                    )
                )
            locality = self._locality(document, places, hit)
            if locality is not None:
                checked.insert(0, locality)
            in_force = document.meta.status == "in_force"
            statuses = {c.status for c in checked}
            status = (
                "unmet"
                if "unmet" in statuses or not in_force
                else ("unknown" if "unknown" in statuses else "met")
            )
            if status == "unmet" and not include_unmet:
                continue
            citation = make_citation(1, hit, document, hit.chunk.start, hit.chunk.end)
            results.append(
                (
                    order,
                    MeasureResult(
                        title=f"{document.meta.display_title}{HEADING_SEPARATOR}"
                        f"{hit.chunk.heading_path.split(HEADING_SEPARATOR)[-1]}",
                        status=status,
                        benefit=measure.benefit,
                        citations=[citation],
                        conditions=checked,
                        amounts=[a for a in measure.amounts if a.kind in {"amount", "cap", "rate"}],
                        deadlines=[a for a in measure.amounts if a.kind in {"deadline", "period"}],
                        in_force=in_force,
                        document_status=document.meta.status,
                    ),
                )
            )
        rank = {"met": 0, "unknown": 1, "unmet": 2}
        results.sort(key=lambda item: (rank[item[1].status], item[0]))
        return [r for _, r in results]

    def _locality(
        self, document: Document, places: set[str], hit: SearchHit
    ) -> ConditionResult | None:
        """A local measure applies in its locality: the document's region is a condition."""
        region = document.meta.region or ""
        if document.meta.level == "national" or not region:
            return None
        own = self.localities.resolve(region.split(",")[0])
        if not places:
            status, reason = "unknown", "the profile gives no region"
        elif places & own:
            status, reason = "met", "the enterprise is in the document's locality"
        else:
            status, reason = "unmet", f"a measure of {region.split(',')[0]}"
        citation = make_citation(0, hit, document, hit.chunk.start, hit.chunk.end)
        return ConditionResult(
            field="region",
            operator="in",
            value=sorted(own)[:2],
            status=status,
            reason=reason,
            citation=citation,
        )

    @staticmethod
    def _scope_conditions(
        hits: dict[str, SearchHit], documents: dict[str, Document]
    ) -> dict[str, list[tuple[Condition, SearchHit]]]:
        # A scope clause near the top of a document ("第二条 本措施适用于…", "Article 2
        # Eligible enterprises") governs every measure in it, with the items under it.
        roots = [
            _part_base(h.chunk.clause_id)
            for h in hits.values()
            if SCOPE_CUE.search(h.chunk.text)
            and _part_base(h.chunk.clause_id).split(":", 1)[1].count(".") <= 1
        ]
        by_doc: dict[str, list[tuple[Condition, SearchHit]]] = {}
        for hit in hits.values():
            base = _part_base(hit.chunk.clause_id)
            if any(base == root or base.startswith(root + ".") for root in roots):
                for condition in extract_conditions(hit.chunk.text, hit.chunk.start):
                    by_doc.setdefault(hit.chunk.doc_id, []).append((condition, hit))
        return by_doc

    @staticmethod
    def _conditions_for(
        measure: Measure,
        hits: dict[str, SearchHit],
        scope: dict[str, list[tuple[Condition, SearchHit]]],
    ) -> list[tuple[Condition, SearchHit]]:
        own_hit = hits[measure.clause_id]
        out = [(c, own_hit) for c in measure.conditions]
        parent = parent_id(measure.clause_id)
        related: list[SearchHit] = []
        if parent:
            related += [h for cid, h in hits.items() if _part_base(cid) == parent]
            siblings = [
                h
                for cid, h in hits.items()
                if parent_id(cid) == parent and cid != measure.clause_id
            ]
            related += [
                h
                for h in siblings
                if SCOPE_CUE.search(h.chunk.text) or h.chunk.text.rstrip().endswith(("；", ";"))
            ]
        for hit in related:
            out += [(c, hit) for c in extract_conditions(hit.chunk.text, hit.chunk.start)]
        out += scope.get(measure.doc_id, [])
        return out


# -- free text to a profile ----------------------------------------------------------------

_EMPLOYEES_TEXT = [
    re.compile(r"(\d[\d,]*)\s*(?:名|个)?(?:员工|职工|人)"),
    re.compile(r"(\d[\d,]*)[- ]?(?:employees?|staff|people|workers)", re.I),
]
_REVENUE_TEXT = [
    re.compile(
        r"(?:年?营业收入|年营收|营收|年收入|销售额|产值)\s*(?:约|为|达)?\s*(\d+(?:\.\d+)?)\s*(亿元|万元|亿|万)"
    ),
    re.compile(
        r"(?:revenue|turnover|sales) (?:of |is |was |about )*RMB\s*(\d+(?:\.\d+)?)\s*(million|billion)",
        re.I,
    ),
]
_EXPORT_TEXT = [
    re.compile(r"出口[^，。,;；]{0,14}?(\d+(?:\.\d+)?)\s*[%％]"),
    re.compile(r"export(?:s|ing)?[^,.;]{0,30}?(\d+(?:\.\d+)?)\s*%", re.I),
    re.compile(r"(\d+(?:\.\d+)?)\s*%[^,.;]{0,20}?export", re.I),
]
_YEARS_TEXT = [
    re.compile(r"注册(?:了)?\s*(\d+|[一两二三四五六])\s*(年|个月)"),
    re.compile(r"(\d+|[一两二三四五六])\s*(年|个月)前[^，。]{0,6}注册"),
    re.compile(r"registered[^,.;]{0,40}?(?:for )?(\d+)\s*(years?|months?)", re.I),
]
_OWNERSHIP_TEXT = [
    (
        "foreign_invested",
        re.compile(
            r"外资|外商投资|中外合资|foreign[- ]invested|"
            r"foreign[- ]owned|joint venture",
            re.I,
        ),
    ),
    ("state_owned", re.compile(r"国有|国企|state[- ]owned|\bSOE\b", re.I)),
    ("private", re.compile(r"民营|私营|民企|private", re.I)),
]
_CERT_TEXT = [
    ("little_giant", re.compile(r"小巨人|little giant", re.I)),
    ("srdi", re.compile(r"专精特新|\bSRDI\b|specialized and sophisticated", re.I)),
    ("high_tech", re.compile(r"高新技术企业|high[- ]tech enterprise", re.I)),
]


def profile_from_text(text: str, localities: LocalityMap) -> Profile:
    """Rules that read an enterprise's description; what they cannot read stays None."""
    from assistant.ingest.conditions import _cn_count, to_wan

    region = None
    for names in localities.aliases.values():
        for name in sorted(names, key=len, reverse=True):
            if name in text.lower() and (region is None or len(name) > len(region)):
                region = name
    employees = None
    for pattern in _EMPLOYEES_TEXT:
        if match := pattern.search(text):
            employees = int(match.group(1).replace(",", ""))
            break
    revenue = None
    for pattern in _REVENUE_TEXT:
        if match := pattern.search(text):
            unit = {"亿": "亿元", "万": "万元"}.get(match.group(2), match.group(2))
            revenue = to_wan(float(match.group(1)), unit)
            break
    share = None
    for pattern in _EXPORT_TEXT:
        if match := pattern.search(text):
            share = float(match.group(1)) / 100
            break
    years = None
    for pattern in _YEARS_TEXT:
        if match := pattern.search(text):
            count = (
                _cn_count(match.group(1)) if not match.group(1).isdigit() else float(match.group(1))
            )
            years = count / 12 if match.group(2).startswith(("个月", "month")) else count
            break
    ownership = next((o for o, p in _OWNERSHIP_TEXT if p.search(text)), None)
    certifications = [c for c, p in _CERT_TEXT if p.search(text)]
    above: bool | None = None
    if re.search(r"规上|规模以上|above[- ]designated[- ]size", text, re.I):
        above = not re.search(r"(未|没|还没|不是|非)(进|达到|纳入)?\s*规", text)
    industries = industries_in(text)
    return Profile(
        region=region,
        industry=industries[0] if industries else None,
        employees=employees,
        annual_revenue_wan=revenue,
        ownership=ownership,
        export_share=share,
        certifications=certifications,
        above_designated_size=above,
        registered_years=years,
        free_text=text[:4000],
    )


__all__ = ["INDUSTRIES", "EligibilityMatcher", "LocalityMap", "evaluate", "profile_from_text"]
