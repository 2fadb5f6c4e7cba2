"""Which measures apply to us? A profile matched against every condition of each measure.

The conditions come from `assistant.ingest.measures` (the clause, its ancestors, siblings,
scope, exclusions and caps) plus the document's locality. Each is met, unmet, or unknown
(the profile does not say, or the rules could not structure it: "to confirm"). A measure
is met only when every condition is known and met; unmet when one fails; otherwise
"unknown", listing exactly which are open and the questions that would settle them.
A document not in force on the profile's date (or today) rules its measures out.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.answer.estimate import estimate
from assistant.answer.extractive import make_citation
from assistant.answer.statements import (
    CERTIFICATION_TITLES,
    EnterpriseStatements,
    attestation_patterns,
)
from assistant.ingest.conditions import industries_in
from assistant.ingest.restrictions import vocabulary_matches
from assistant.text import zone_abbreviation
from assistant.types import (
    HEADING_SEPARATOR,
    Citation,
    Condition,
    ConditionResult,
    Document,
    DocumentMeta,
    Measure,
    MeasureResult,
    Profile,
    SearchHit,
)
from assistant.vocabulary import (
    ACTIONS,
    ATTESTATIONS,
    INDUSTRIES,
    KINDS,
    ROLES,
    RUNS_FROM_DATE,
    Term,
)

# Above this, an industrial enterprise is above designated size (主营业务收入2000万元).
ABOVE_DESIGNATED_SIZE_WAN = 2000.0
# Industrial SMEs (工信部联企业〔2011〕300号): fewer than 1000 employees or revenue under 4亿元.
SME_EMPLOYEES, SME_REVENUE_WAN = 1000, 40000.0


@dataclass(frozen=True)
class _Matching:
    """What every measure of one match is checked against: the profile, the places it
    resolves to, and the index version's documents and clauses."""

    profile: Profile
    places: set[str]
    documents: dict[str, Document]
    hits: dict[str, SearchHit]
    language: str
    statements: EnterpriseStatements
    # Every measure of a document shares its locality: settled once per document.
    localities: dict[str, ConditionResult | None] = field(default_factory=dict)


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
        self._groups: dict[str, set[str]] = {}
        for group in self.aliases.values():
            for name in group:
                self._groups.setdefault(name, set()).update(group)

    def knows(self, name: str) -> bool:
        """Whether `name` names a place it knows."""
        return name in self._groups

    def names_of(self, name: str) -> set[str]:
        """`name` and every alias of the place it names (not the places that contain it)."""
        return self._groups.get(name, set()) | {name}

    @staticmethod
    def _names(part: str) -> set[str]:
        match = re.match(r"(.+?)\s*\((.+)\)\s*$", part)
        names = {match.group(1).strip(), match.group(2).strip()} if match else {part}
        extra = {short for n in names if (short := zone_abbreviation(n))}
        extra |= {n.replace("the ", "") for n in names}
        return {n.lower() for n in names | extra}

    def aliases_of(self, text: str) -> set[str]:
        """Every name of the place `text` names, without the places that contain it."""
        lowered = text.lower()
        found = {
            n for names in self.aliases.values() if any(n in lowered for n in names) for n in names
        }
        return found or {lowered.strip()}

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


_QUESTIONS = {
    t.code: (t.question_en, t.question_zh) for t in (*ROLES, *ACTIONS, *ATTESTATIONS, *KINDS)
}
_FIELD_QUESTIONS = {
    "region": ("Where is the enterprise registered?", "贵企业注册地在哪里？"),
    "above_designated_size": (
        "Is the enterprise above designated size (规上)?",
        "贵企业是否为规模以上企业？",
    ),
    "sme": ("How many employees and what annual revenue?", "贵企业员工人数和年营业收入是多少？"),
    "ownership": (
        "Is the enterprise private, state-owned or foreign-invested?",
        "贵企业是民营、国有还是外商投资企业？",
    ),
    "export_share": (
        "What share of operating revenue is exports?",
        "出口额占营业收入的比例是多少？",
    ),
    "employees": ("How many employees?", "贵企业有多少员工？"),
    "annual_revenue_wan": ("What was last year's operating revenue?", "上一年度营业收入是多少？"),
    "certifications": (
        "Which certifications does it hold (SRDI, little giant, high-tech)?",
        "贵企业有哪些认定（专精特新、小巨人、高新技术企业）？",
    ),
    "industry": ("Which industry is the enterprise in?", "贵企业属于哪个行业？"),
    "registered_years": ("How long has it been registered there?", "贵企业在当地注册多久了？"),
    "annual_exports": ("What were last year's exports?", "上一年度出口额是多少？"),
    "count": ("How many enterprises does it serve?", "贵企业服务多少家企业？"),
    "action_growth": (
        "By how much did it grow on the year before (as a percentage)?",
        "与上年同期相比增长了多少（百分比）？",
    ),
    "rd_ratio": (
        "What share of last year's operating revenue was R&D spending?",
        "上一年度研究开发费用占营业收入的比重是多少？",
    ),
    "outside_group": (
        "Which group does the enterprise fall in (size, exports)?",
        "贵企业属于哪一类（规模、出口额）？",
    ),
    "action_detail": (
        "What exactly was the spending for (which service, system or equipment)?",
        "该项支出具体用于什么（哪类服务、系统或设备）？",
    ),
    "cumulative_cap": (
        "How much support has it already received under this document?",
        "本文件下已获得多少支持资金？",
    ),
}


def question_for(condition: Condition, language: str = "en") -> str:
    """The question whose answer would settle an open condition."""
    index = 1 if language == "zh" else 0
    code = str(condition.subject or condition.value)
    if condition.field == "action_kind" and isinstance(condition.value, list):
        code = str(condition.value[0])
    if condition.field == "other":
        return (
            f"以下条件是否满足：“{condition.text}”？"
            if language == "zh"
            else f"Does this hold for you: “{condition.text}”?"
        )
    # A growth rate is asked about as growth, not as the action it measures.
    keys = (
        (condition.field, code) if condition.field == "action_growth" else (code, condition.field)
    )
    for key in keys:
        pair = _QUESTIONS.get(key) or _FIELD_QUESTIONS.get(key)
        if pair and pair[index]:
            return pair[index]
    # Without a question of its own, the condition's words are asked about: a code name
    # ("digital_contract") means nothing to the enterprise.
    return question_for(condition.model_copy(update={"field": "other"}), language)


def _compare(actual: float, op: str, threshold: float) -> bool:
    return {
        ">=": actual >= threshold,
        "<=": actual <= threshold,
        ">": actual > threshold,
        "<": actual < threshold,
        "==": actual == threshold,
    }.get(op, False)


def _action(profile: Profile, kind: str | None) -> list[Any]:
    return [a for a in profile.actions if kind is None or a.kind == kind]


def _check_role(
    condition: Condition, profile: Profile, places: set[str], localities: LocalityMap | None
) -> Verdict:
    value = condition.value
    wanted = set(value if isinstance(value, list) else [str(value)])
    if not profile.roles:
        return "unknown", f"the profile gives no role ({', '.join(sorted(wanted))}?)"
    held = wanted & set(profile.roles)
    if condition.operator == "not_in":
        return ("unmet", f"{', '.join(held)} excluded") if held else ("met", "not an excluded role")
    if held:
        return "met", f"role {', '.join(held)}"
    return "unmet", f"for {', '.join(sorted(wanted))}; the profile is {', '.join(profile.roles)}"


def _check_action(
    condition: Condition, profile: Profile, places: set[str], localities: LocalityMap | None
) -> Verdict:
    actions = _action(profile, str(condition.value))
    if any(not _planned(a) for a in actions):
        return "met", f"the profile has {condition.value}"
    said = _action_said(profile.free_text or "", str(condition.value))
    if not actions and said is not None:
        return "met", f"stated: “{said}”"
    if actions:
        return "unknown", f"{condition.value} is planned, not yet done: {actions[0].what}"
    return "unknown", f"the profile does not say it did {condition.value}"


# An action the enterprise only plans ("planned electric cars for the sales team", "计划明年
# 新上一条产线") has not happened: it cannot meet a condition on what was done.
_PLANNED = re.compile(
    r"\bplanned\b|\bplan(?:s|ning)? to\b|\bthinking (?:about|of)\b|\bintend|\bwill\b|"
    r"(?:计划|打算|准备|拟)(?:明年|今年|下半年|年内|于|在|购|买|新|建|投|上|租|签|开|申请)|将要|想要",
    re.I,
)


@functools.lru_cache(maxsize=256)
def _action_said(free_text: str, code: str) -> str | None:
    """The sentence of the profile's own words saying it did the action `code` ("11月委托…
    做了智能制造诊断"), when the structured actions leave it out; never one it only plans."""
    term = next((t for t in ACTIONS if t.code == code), None)
    if not free_text or term is None or not term.profile:
        return None
    said = EnterpriseStatements(free_text).saying(re.compile("|".join(term.profile), re.I))
    return None if said is None or _PLANNED.search(said) else said


def _planned(action: Any) -> bool:
    return bool(action.what) and _PLANNED.search(action.what) is not None


# The attribute of an action each kind of action condition reads.
_ACTION_ATTRIBUTES = {
    "action_amount": "amount_wan",
    "action_date": "date",
    "area": "area_sqm",
    "action_months": "months",
    "action_growth": "growth",
}


def _check_action_attribute(
    condition: Condition, profile: Profile, places: set[str], localities: LocalityMap | None
) -> Verdict:
    """An amount, date, area or term of what the enterprise did, against the condition."""
    field, op, value = condition.field, condition.operator, condition.value
    actions = _action(profile, condition.subject) or (
        _action(profile, None) if field in {"area", "action_months"} else []
    )
    attribute = _ACTION_ATTRIBUTES[field]
    known = [getattr(a, attribute) for a in actions if getattr(a, attribute) is not None]
    if not known and field == "action_months":
        return _months_running(condition, profile, actions)
    if not known:
        return "unknown", f"the profile gives no {attribute} for {condition.subject or 'it'}"
    actual = known[0]
    if field == "action_months" and condition.subject is None:
        # Not tied to one action: the shortest term the profile gives must do.
        actual = min(known)
    if field == "action_date":
        if op == "between" and isinstance(value, list):
            ok = dt.date.fromisoformat(value[0]) <= actual <= dt.date.fromisoformat(value[1])
        else:
            ok = _compare(actual.toordinal(), op, dt.date.fromisoformat(str(value)).toordinal())
        return ("met" if ok else "unmet"), f"{condition.subject} on {actual} ({op} {value})"
    ok = _compare(float(actual), op, float(value))  # type: ignore[arg-type]
    return (
        "met" if ok else "unmet"
    ), f"{condition.subject or field} {actual:g} {op} {value:g} required"


def _months_running(condition: Condition, profile: Profile, actions: list[Any]) -> Verdict:
    """The months an action that runs once begun (a warehouse in operation since its date)
    has run by the day the profile asks about, when no term is given."""
    running = [a for a in actions if a.kind in RUNS_FROM_DATE and a.date is not None]
    if not running:
        return "unknown", f"the profile gives no months for {condition.subject or 'it'}"
    began = min(a.date for a in running)
    today = profile.as_of or dt.date.today()
    months = (today - began).days / (365.25 / 12)
    ok = _compare(months, condition.operator, float(condition.value))  # type: ignore[arg-type]
    reason = f"running since {began}: {months:.1f} months by {today}"
    return ("met" if ok else "unmet"), f"{reason} ({condition.operator} {condition.value:g})"


_KINDS = {term.code: term for term in KINDS}


def _kind_says(term: Term, side: str, text: str) -> bool:
    return bool(vocabulary_matches((term,), text, side))


def _check_kind(
    condition: Condition, profile: Profile, places: set[str], localities: LocalityMap | None
) -> Verdict:
    """Whether what the enterprise did is of a kind the clause allows: a loan from a bank,
    a new energy vehicle. Met when its words name an allowed kind; unmet only when they
    name another kind for every allowed one ("小额贷款公司", "2.5-litre petrol SUV")."""
    kinds = [_KINDS[str(code)] for code in _listed(condition.value) if str(code) in _KINDS]
    described = [a.what for a in _action(profile, condition.subject) if a.what and not _planned(a)]
    if not kinds or not described:
        return "unknown", f"to confirm: {condition.text}"
    # The clause's own words name the kind: a code ("nev") means nothing to the enterprise.
    for what in described:
        if any(_kind_says(term, "profile", what) for term in kinds):
            return "met", f"“{what}” is of the kind “{condition.text}” asks"
    if all(_kind_says(term, "contrary", what) for what in described for term in kinds):
        return "unmet", f"“{described[0]}” is not of the kind “{condition.text}” asks"
    return "unknown", f"to confirm that “{described[0]}” is of the kind “{condition.text}” asks"


def _listed(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else [value]


def _check_served(
    condition: Condition, profile: Profile, places: set[str], localities: LocalityMap | None
) -> Verdict:
    served, op = profile.served_enterprises, condition.operator
    if served is None:
        return "unknown", "the profile does not say how many enterprises it serves"
    ok = _compare(served, op, float(condition.value))  # type: ignore[arg-type]
    return ("met" if ok else "unmet"), f"serves {served}, {op} {condition.value} required"


def _check_exports(
    condition: Condition, profile: Profile, places: set[str], localities: LocalityMap | None
) -> Verdict:
    unit, op = condition.unit, condition.operator
    actual = profile.annual_exports_usd_wan if unit == "万美元" else profile.annual_exports_wan
    if actual is None:
        return "unknown", f"the profile gives no exports in {unit}"
    ok = _compare(actual, op, float(condition.value))  # type: ignore[arg-type]
    return ("met" if ok else "unmet"), f"exports {actual:g} {op} {condition.value} {unit} required"


def _check_attestation(
    condition: Condition, profile: Profile, places: set[str], localities: LocalityMap | None
) -> Verdict:
    code = str(condition.value)
    if code in profile.attestations:
        return "met", f"the profile attests {code}"
    implied = [a for a in profile.attestations if code in _IMPLIES_ATTESTATION.get(a, ())]
    if implied:
        return "met", f"the profile attests {implied[0]}, which covers {code}"
    return _to_confirm(condition, profile, places, localities)


# Not having had a benefit yet is never read from words that only mention it ("the zone
# already paid for a free diagnosis for us" names the diagnosis): the profile's code says
# it, or the enterprise's plain words for it ("our first one ever").
_SAID_ONLY_PLAINLY = frozenset({"first_use"})


def _said_only_plainly(condition: Condition) -> bool:
    return condition.field == "attestation" and str(condition.value) in _SAID_ONLY_PLAINLY


# Attestations that settle another: new equipment is attested "new, from an unrelated
# supplier, not on the phase-out list", so it covers the unrelated party too.
_IMPLIES_ATTESTATION = {"new_equipment": ("unrelated_party",)}


# The level a title is of, named just before it: "示例省专精特新中小企业", "省级专精特新".
_TITLE_LEVEL = re.compile(r"([\u4e00-\u9fff]{2,4}(?:省|市|县|区)|省级|市级|区级|国家级)$")
_PROVINCIAL = {"省级", "provincial"}


def _level_before(text: str, localities: LocalityMap | None) -> str | None:
    """The place or level named at the end of `text`: the longest known place ("认定为示例省"
    gives 示例省), else a level word or a short place name."""
    match = _TITLE_LEVEL.search(text)
    if match is None:
        return None
    found = match.group(1)
    for start in range(len(found) - 2, -1, -1):
        if localities is not None and localities.knows(found[start:]):
            return found[start:]
    return found if found.endswith("级") else found[-3:]


def _to_confirm(
    condition: Condition, profile: Profile, places: set[str], localities: LocalityMap | None
) -> Verdict:
    return "unknown", f"to confirm: {condition.text}"


def _outside_group(
    condition: Condition, profile: Profile, places: set[str], localities: LocalityMap | None
) -> tuple[str, str]:
    """Outside the group another item names: one of its conditions fails for the profile."""
    checked = [evaluate(c, profile, places, localities) for c in condition.group or []]
    failed = next((reason for status, reason in checked if status == "unmet"), None)
    if failed is not None:
        return "met", f"not in the group of {condition.value} ({failed})"
    if checked and all(status == "met" for status, _ in checked):
        return "unmet", f"in the group of {condition.value}, which has its own terms"
    return "unknown", f"to confirm whether the enterprise is in the group of {condition.value}"


def _names_item(item: str, description: str, loose: bool) -> bool:
    """Whether the enterprise's words name a listed item: the item itself (or its singular),
    its initials for a name of three words or more ("manufacturing execution systems" →
    MES), or, when `loose`, its first word of substance."""
    item, text = item.lower().strip(), description.lower()
    words = re.findall(r"[a-z]+", item)
    if item in text or item.rstrip("s") in text:
        return True
    if len(words) >= 3 and re.search(rf"\b{''.join(w[0] for w in words)}\b", text):
        return True
    head = next((w for w in words if len(w) >= 4), None)
    return loose and head is not None and re.search(rf"\b{head}", text) is not None


def _action_detail(condition: Condition, profile: Profile) -> tuple[str, str]:
    """What the action paid for, against the clause's list of eligible or excluded items."""
    items = [str(v) for v in (condition.value if isinstance(condition.value, list) else [])]
    described = [a.what for a in _action(profile, condition.subject) if a.what]
    if not described:
        return "unknown", f"the profile does not say what it paid for ({condition.text})"
    if condition.operator == "in":
        for what in described:
            named = next((i for i in items if _names_item(i, what, loose=False)), None)
            if named is not None:
                return "met", f"“{what}” is {named}, an eligible item"
        return "unknown", f"to confirm that “{described[0]}” is one of: {', '.join(items)}"
    for what in described:
        named = next((i for i in items if _names_item(i, what, loose=False)), None)
        if named is not None:
            return "unmet", f"“{what}” is {named}, which is excluded"
        if any(_names_item(i, what, loose=True) for i in items):
            return "unknown", f"to confirm that “{what}” is not one of: {', '.join(items)}"
    return "met", f"“{described[0]}” is none of the excluded items"


def evaluate(
    condition: Condition, profile: Profile, places: set[str], localities: LocalityMap | None = None
) -> tuple[str, str]:
    """met / unmet / unknown, and why. A condition waived for a role the profile has is
    met; one that fails while the profile gives no role might still be waived: unknown."""
    status, reason = _evaluate_condition(condition, profile, places, localities)
    waiver = condition.waived_by
    if waiver is None or status == "met":
        return status, reason
    roles = waiver.value if isinstance(waiver.value, list) else [str(waiver.value)]
    held = set(roles) & set(profile.roles)
    if held:
        return "met", f"does not apply to {', '.join(sorted(held))}: {waiver.text}"
    if not profile.roles:
        return "unknown", f"{reason}, unless the enterprise is {' or '.join(roles)}"
    return status, reason


Verdict = tuple[str, str]
Checker = Callable[[Condition, Profile, set[str], "LocalityMap | None"], Verdict]


def _check_region(
    condition: Condition, profile: Profile, places: set[str], localities: LocalityMap | None
) -> Verdict:
    value = condition.value
    wanted = {str(v).lower() for v in (value if isinstance(value, list) else [value])}
    if not places:
        return "unknown", "the profile gives no region"
    wanted_names = set(wanted)
    if localities is not None:
        for name in wanted:
            wanted_names |= localities.names_of(name)
    if places & wanted_names:
        return "met", "registered in the required place"
    return "unmet", f"requires registration in {', '.join(sorted(wanted))}"


def _check_size(
    condition: Condition, profile: Profile, places: set[str], localities: LocalityMap | None
) -> Verdict:
    size = profile.above_designated_size
    if size is None and profile.annual_revenue_wan is not None:
        size = profile.annual_revenue_wan >= ABOVE_DESIGNATED_SIZE_WAN
    if size is None:
        return "unknown", "the profile does not say whether it is above designated size"
    if size == condition.value:
        return "met", "above designated size"
    return "unmet", "requires an above-designated-size enterprise"


def _check_sme(
    condition: Condition, profile: Profile, places: set[str], localities: LocalityMap | None
) -> Verdict:
    if {"srdi", "little_giant", "sme"} & set(profile.certifications):
        return "met", "a certified or stated SME"
    employees, revenue = profile.employees, profile.annual_revenue_wan
    small = [employees < SME_EMPLOYEES] if employees is not None else []
    small += [revenue < SME_REVENUE_WAN] if revenue is not None else []
    if any(small):
        return "met", "an SME by employees or revenue"
    if len(small) == 2:
        return "unmet", "too large to be an SME"
    return "unknown", "the profile lacks employees or revenue to tell SME status"


def _check_ownership(
    condition: Condition, profile: Profile, places: set[str], localities: LocalityMap | None
) -> Verdict:
    value = condition.value
    if profile.ownership is None:
        return "unknown", "the profile does not give ownership"
    if condition.operator == "not_in":
        excluded = value if isinstance(value, list) else [str(value)]
        if profile.ownership in excluded:
            return "unmet", f"{profile.ownership} enterprises are excluded"
        return "met", "not an excluded ownership"
    if profile.ownership == value:
        return "met", f"ownership is {value}"
    return "unmet", f"requires {value} ownership"


def _check_certification(
    condition: Condition, profile: Profile, places: set[str], localities: LocalityMap | None
) -> Verdict:
    value, held = condition.value, set(profile.certifications)
    # "==": newly recognized as that very title, which a higher one does not imply.
    implied = held | ({"srdi"} if "little_giant" in held and condition.operator != "==" else set())
    if str(value) in implied:
        return "met", f"holds {value}"
    return "unknown", f"requires the {value} certification, which the profile does not list"


@functools.lru_cache(maxsize=256)
def _industries_of_products(products: tuple[str, ...]) -> frozenset[str]:
    """Read once per profile, not once per measure."""
    return frozenset(industries_in(" ".join(products)))


def _check_industry(
    condition: Condition, profile: Profile, places: set[str], localities: LocalityMap | None
) -> Verdict:
    if not profile.industry:
        return "unknown", "the profile gives no industry"
    value = condition.value
    listed = set(value if isinstance(value, list) else [value])
    inside = profile.industry in listed
    if condition.operator == "in":
        if inside:
            return "met", "in a supported industry"
        # "属于…新能源汽车核心零部件领域的产品": an auto-parts maker whose product is an NEV
        # motor controller makes products of that field.
        by_product = _industries_of_products(tuple(profile.products)) & listed
        if by_product:
            return "met", f"its products are in {', '.join(sorted(by_product))}"
        return "unmet", f"limited to {', '.join(sorted(str(v) for v in listed))}"
    if inside:
        return "unmet", f"{profile.industry} is excluded"
    return "met", "not an excluded industry"


def _check_number(
    condition: Condition, profile: Profile, places: set[str], localities: LocalityMap | None
) -> Verdict:
    field = condition.field
    actual = getattr(profile, field)
    if actual is None:
        return "unknown", f"the profile does not give {field}"
    threshold = float(condition.value)  # type: ignore[arg-type]
    ok = _compare(actual, condition.operator, threshold)
    return (
        "met" if ok else "unmet"
    ), f"{field} {actual:g} {condition.operator} {threshold:g} required"


# Each profile field a condition can name → the check that settles it.
_CHECKERS: dict[str, Checker] = {
    "outside_group": lambda c, p, places, loc: _outside_group(c, p, places, loc),
    "role": _check_role,
    "action": _check_action,
    **dict.fromkeys(_ACTION_ATTRIBUTES, _check_action_attribute),
    "count": _check_served,
    "annual_exports": _check_exports,
    "attestation": _check_attestation,
    "cumulative_cap": _check_attestation,
    "other": _to_confirm,
    "action_detail": lambda c, p, places, loc: _action_detail(c, p),
    "action_kind": _check_kind,
    "region": _check_region,
    "above_designated_size": _check_size,
    "sme": _check_sme,
    "ownership": _check_ownership,
    "certifications": _check_certification,
    "industry": _check_industry,
    **{
        field: _check_number
        for field in (
            "export_share",
            "employees",
            "annual_revenue_wan",
            "registered_years",
            "rd_ratio",
        )
    },
}


def _evaluate_condition(
    condition: Condition, profile: Profile, places: set[str], localities: LocalityMap | None
) -> tuple[str, str]:
    checker = _CHECKERS.get(condition.field)
    if checker is None:
        return "unknown", f"to confirm: {condition.text}"
    return checker(condition, profile, places, localities)


def in_force_on(meta: DocumentMeta, day: dt.date | None, documents: dict[str, Document]) -> bool:
    """In force on `day`: from its effective date to its expiry, until a successor takes
    effect. Without a day, the status the manifest records today."""
    if day is None:
        return meta.status == "in_force"
    if (meta.effective and day < meta.effective) or (meta.expires and day > meta.expires):
        return False
    return not any(
        d.meta.supersedes == meta.id and d.meta.effective is not None and d.meta.effective <= day
        for d in documents.values()
    )


def open_for_claims(
    meta: DocumentMeta, measure: Measure, day: dt.date | None, documents: dict[str, Document]
) -> bool:
    """In force on `day`, or past its expiry inside an application window the measure sets:
    "奖励申报受理时间为2023年1月10日至2023年2月10日" takes the claims for the fourth quarter
    of 2022 after the measures themselves expired on 31 December. A successor in effect
    closes it all the same."""
    if in_force_on(meta, day, documents):
        return True
    if day is None or meta.expires is None or day <= meta.expires:
        return False
    if any(
        d.meta.supersedes == meta.id and d.meta.effective is not None and d.meta.effective <= day
        for d in documents.values()
    ):
        return False
    return any(
        c.field == "application_window"
        and c.operator == "between"
        and isinstance(c.value, list)
        and meta.expires < dt.date.fromisoformat(str(c.value[1]))
        and day <= dt.date.fromisoformat(str(c.value[1]))
        for c in measure.conditions
    )


_WINDOW_QUESTION = (
    "When did it happen, and on what date are you applying?",
    "相关事项发生在何时？您计划在哪一天申报？",
)
# Conditions the enterprise's own words can settle when no profile field does.
_STATABLE = frozenset({"other", "attestation"})


def _unread(condition: Condition, conditions: Sequence[Condition]) -> str:
    """The condition's words that no structured condition inside its span reads: what the
    enterprise's own words must still state."""
    text = list(condition.text)
    for other in conditions:
        if other is condition or other.field in _STATABLE:
            continue
        if condition.start <= other.start and other.end <= condition.end:
            start, end = other.start - condition.start, other.end - condition.start
            # Whole words: "reinvest" read inside "reinvestment" leaves no "ment" behind.
            while start > 0 and text[start - 1].isascii() and text[start - 1].isalpha():
                start -= 1
            while end < len(text) and text[end].isascii() and text[end].isalpha():
                end += 1
            text[start:end] = " " * (end - start)
    return "".join(text)


def _events(
    measure: Measure, context: _Matching, stated_by: Sequence[str]
) -> list[tuple[str, int]]:
    """The dates (yyyymmdd, 00 for a missing month or day) of what the measure rewards: the
    actions it names, a first recognition, what the enterprise said settled it. Holding a
    title the measure merely requires is not its event."""
    events: list[tuple[str, int]] = []
    kinds = _action_kinds(measure)
    for action in context.profile.actions:
        if action.kind in kinds and action.date is not None:
            day = action.date
            events.append((action.kind, day.year * 10000 + day.month * 100 + day.day))
    for c in measure.conditions:
        if c.field == "certifications" and c.operator == "==":
            events += [
                (f"recognized {c.value}", d) for d in context.statements.recognized_on(str(c.value))
            ]
    for sentence in stated_by:
        events += [(sentence, d) for d in context.statements.dates_of(sentence)]
    return events


def _action_kinds(measure: Measure) -> set[str]:
    return {
        str(c.subject or c.value)
        for c in measure.conditions
        if c.field in {"action", *_ACTION_ATTRIBUTES}
    }


def _result(
    condition: Condition,
    status: str,
    reason: str,
    cited: Condition,
    measure: Measure,
    context: _Matching,
    question: str | None,
) -> ConditionResult:
    """A condition settled, citing the sentence `cited` (the condition's own, or the one that
    sets it aside)."""
    hit = context.hits[measure.clause_id]
    source = context.hits.get(cited.clause_id or measure.clause_id, hit)
    return ConditionResult(
        field=condition.field,
        operator=condition.operator,
        value=condition.value,
        status=status,
        reason=reason,
        citation=make_citation(
            0, source, context.documents[source.chunk.doc_id], cited.start, cited.end
        ),
        structured=condition.field != "other",
        question=question,
    )


def _check_window(
    condition: Condition, measure: Measure, context: _Matching, stated_by: Sequence[str]
) -> Verdict:
    """ "受理2022年1月1日以后取得的认定和发生的事项": the measure's own events must fall on
    or after the date."""
    start = dt.date.fromisoformat(str(condition.value))
    events = _events(measure, context, stated_by)
    if not events:
        return "unknown", f"when it happened: only events on or after {start} are accepted"
    early = [(what, day) for what, day in events if not _on_or_after(day, start)]
    if early:
        what, when = early[0]
        return "unmet", f"{what} on {_show(when)}, before {start}"
    return "met", f"{', '.join(_show(d) for _, d in events)}: on or after {start}"


def _windows_for(measure: Measure, clause_text: str) -> list[Condition]:
    """The application windows that take this measure's applications: one that names an
    action ("awards for reinvestment completed in 2023") or a benefit ("regional headquarters
    awards are applied for within 6 months") takes only the measures of it."""
    kinds = _action_kinds(measure)
    found = []
    for window in measure.conditions:
        if window.field != "application_window":
            continue
        if window.operator == "within_months":
            if str(window.subject or "").lower() not in clause_text.lower():
                continue
        elif window.operator == "between":
            named = {code for code, _ in vocabulary_matches(ACTIONS, window.text)}
            if named and not named & kinds:
                continue
        found.append(window)
    return found


def _check_application(
    windows: Sequence[Condition], measure: Measure, context: _Matching, stated_by: Sequence[str]
) -> tuple[str, str, Condition] | None:
    """Whether the enterprise can still apply on the date it gives: some window that takes
    its application closes on or after that date. With no date given, nothing is decided
    here, as the document's own status decides whether it is in force."""
    day = context.profile.as_of
    relative = [w for w in windows if w.operator == "within_months"]
    absolute = [w for w in windows if w.operator == "between"]
    later = any(w.operator == "later_rounds" for w in windows)
    if day is None or not (relative or absolute):
        return None
    for window in relative:
        title = re.compile(re.escape(str(window.subject)), re.I)
        dates = context.statements.recognized_by(title)
        if not dates:
            return "unknown", f"when it was recognized: {window.text}", window
        recognized = _as_date(min(dates))
        months = int(float(window.value))  # type: ignore[arg-type]
        closes = _add_months(recognized, months)
        if day <= closes:
            return "met", f"recognized {recognized}: apply by {closes}", window
        return "unmet", f"recognized {recognized}: applications closed {closes}", window
    events = [d for _, d in _events(measure, context, stated_by)]
    taking = [w for w in absolute if _takes(w, events)]
    if not taking:
        return "unknown", "which application round takes it", absolute[0]
    for window in sorted(taking, key=lambda w: str(w.value)):
        opens, closes = (dt.date.fromisoformat(v) for v in window.value)  # type: ignore[union-attr]
        if day <= closes:
            when = f"applications {opens} to {closes}"
            return "met", (f"{when}: not open yet on {day}" if day < opens else when), window
    last = max(taking, key=lambda w: str(w.value))
    closes_on = last.value[1]  # type: ignore[index]
    if later:
        return (
            "unknown",
            f"the round that closed {closes_on} is over; later rounds to be announced",
            last,
        )
    return "unmet", f"applications closed {closes_on}, before {day}", last


def _takes(window: Condition, events: Sequence[int]) -> bool:
    """Whether a window takes applications for these events: it names no period, or one
    of them falls in the period it names."""
    subject = str(window.subject or "")
    if not subject.startswith("period:") or not events:
        return True
    start, end = (dt.date.fromisoformat(v) for v in subject.removeprefix("period:").split("/"))
    return any(start <= _as_date(d) <= end for d in events)


def _as_date(day: int) -> dt.date:
    year, month, date = day // 10000, day // 100 % 100, day % 100
    return dt.date(year, month or 1, date or 1)


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for date in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, date)
        except ValueError:
            continue
    raise ValueError(day)


def _on_or_after(day: int, start: dt.date) -> bool:
    """yyyymmdd with 00 for a missing month or day, against a date: a month or year that
    may hold the date counts as on or after it."""
    year, month, date = day // 10000, day // 100 % 100, day % 100
    if month == 0:
        return year >= start.year
    if date == 0:
        return (year, month) >= (start.year, start.month)
    return dt.date(year, month, date) >= start


def _show(day: int) -> str:
    year, month, date = day // 10000, day // 100 % 100, day % 100
    return "-".join(f"{p:02d}" if i else str(p) for i, p in enumerate((year, month, date)) if p)


_APPLY = re.compile(
    r"向[^。]{0,30}(?:提出申请|申报|报名)|受理部门|申报受理|apply to the|submitted online|"
    r"apply (?:through|online)",
    re.I,
)


def apply_clauses(
    hits: dict[str, SearchHit], documents: dict[str, Document]
) -> dict[str, Citation]:
    """Each document's clause saying where to apply."""
    found: dict[str, Citation] = {}
    for hit in hits.values():
        doc_id = hit.chunk.doc_id
        if doc_id in found:
            continue
        match = _APPLY.search(hit.chunk.text)
        if match:
            found[doc_id] = make_citation(0, hit, documents[doc_id], hit.chunk.start, hit.chunk.end)
    return found


class EligibilityMatcher:
    """Matches a profile against the measures of an index."""

    def __init__(self, localities: LocalityMap) -> None:
        self.localities = localities

    def match(
        self,
        profile: Profile,
        measures: Sequence[Measure],
        documents: dict[str, Document],
        hits_by_clause: dict[str, SearchHit],
        include_unmet: bool = False,
        language: str = "en",
        limit: int | None = None,
        apply_to: dict[str, Citation] | None = None,
    ) -> list[MeasureResult]:
        """Every measure's result, met first, then unknown, each in the given order; unmet
        ones only with `include_unmet`. With a `limit`, only the first `limit` results
        are sure to be complete: the rest may be left out unworked. `apply_to` is
        `apply_clauses` of the same clauses, when the caller keeps it."""
        places = self.localities.resolve(profile.region)
        context = _Matching(
            profile,
            places,
            documents,
            hits_by_clause,
            language,
            EnterpriseStatements.of(profile, places),
        )
        results: list[tuple[int, MeasureResult]] = []
        if apply_to is None:
            apply_to = apply_clauses(hits_by_clause, documents)
        listed_open = 0
        for order, measure in enumerate(measures):
            if not include_unmet:
                look = self._first_look(measure, context)
                if look == "unmet":
                    continue  # not shown, so not worked out
                if look == "open" and limit is not None and listed_open >= limit:
                    continue  # it would be listed after `limit` earlier open measures
            result = self._one(measure, context)
            listed_open += result.status == "unknown"
            if result.status == "unmet" and not include_unmet:
                continue
            results.append(
                (order, result.model_copy(update={"apply_to": apply_to.get(measure.doc_id)}))
            )
        rank = {"met": 0, "unknown": 1, "unmet": 2}
        results.sort(key=lambda item: (rank[item[1].status], item[0]))
        return [r for _, r in results]

    def _one(self, measure: Measure, context: _Matching) -> MeasureResult:
        profile, documents, language = context.profile, context.documents, context.language
        document = documents[measure.doc_id]
        hit = context.hits[measure.clause_id]
        checked = self._checked(measure, context)
        in_force = open_for_claims(document.meta, measure, profile.as_of, documents)
        statuses = {c.status for c in checked}
        status = (
            "unmet"
            if "unmet" in statuses or not in_force
            else ("unknown" if "unknown" in statuses else "met")
        )
        citation = make_citation(1, hit, document, hit.chunk.start, hit.chunk.end)
        return MeasureResult(
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
            clause_id=measure.clause_id,
            estimate=estimate(measure, profile, hit, document, language)
            if status != "unmet"
            else None,
        )

    def _first_look(self, measure: Measure, context: _Matching) -> str:
        """The measure's verdict before citations, statements and windows are worked out:
        "unmet" when out of the enterprise's locality, not in force on the profile's date,
        or failing a condition the profile settles; "open" when a condition stays unknown
        that no statement of the enterprise can settle (so it cannot be met); else
        "possible". A statement only ever settles an unknown, so neither can change."""
        locality = self._document_locality(measure.doc_id, context)
        if locality is not None and locality.status == "unmet":
            return "unmet"
        document = context.documents[measure.doc_id]
        if not open_for_claims(document.meta, measure, context.profile.as_of, context.documents):
            return "unmet"
        look = "open" if locality is not None and locality.status == "unknown" else "possible"
        for condition in measure.conditions:
            if condition.field in {"event_date", "application_window"}:
                continue
            status, _ = evaluate(condition, context.profile, context.places, self.localities)
            if status == "unmet":
                return "unmet"
            if status == "unknown" and condition.field not in _STATABLE:
                look = "open"
        return look

    def _document_locality(self, doc_id: str, context: _Matching) -> ConditionResult | None:
        if doc_id not in context.localities:
            context.localities[doc_id] = self._locality(
                context.documents[doc_id], context.places, context.hits
            )
        return context.localities[doc_id]

    def _checked(self, measure: Measure, context: _Matching) -> list[ConditionResult]:
        """Each distinct condition of the measure settled against the profile, with the
        sentence that settles it cited: the locality first."""
        profile, places = context.profile, context.places
        locality = self._document_locality(measure.doc_id, context)
        checked: list[ConditionResult] = [locality] if locality is not None else []
        seen: set[tuple[str, str, str, str | None]] = set()
        stated_by: list[str] = []
        windows = [c for c in measure.conditions if c.field == "event_date"]
        own = [c for c in measure.conditions if c.field not in {"event_date", "application_window"}]
        for condition in own + windows:
            key = (condition.field, condition.operator, str(condition.value), condition.subject)
            if key in seen:
                continue
            seen.add(key)
            if condition.field == "event_date":
                status, reason = _check_window(condition, measure, context, stated_by)
            else:
                status, reason = evaluate(condition, profile, places, self.localities)
                if status == "met" and condition.field == "certifications":
                    status, reason = self._at_level(condition, context, reason)
            if status == "unknown" and condition.field in _STATABLE:
                stated = (
                    context.statements.saying(*attestation_patterns(str(condition.value)))
                    if condition.field == "attestation"
                    else None
                )
                # The words no rule read, held against the enterprise's sentences and facts.
                unread = (
                    None
                    if _said_only_plainly(condition)
                    else _unread(condition, measure.conditions)
                )
                if stated is None and unread is not None:
                    stated = context.statements.stating(unread, whole=condition.text)
                if stated is not None:
                    stated_by.append(stated)
                    status, reason = "met", f"stated by the enterprise: “{stated}”"
                elif unread is not None and (
                    held := context.statements.known_to_hold(unread, whole=condition.text)
                ):
                    status, reason = "met", f"what the profile states: {', '.join(held)}"
            cited = condition
            if condition.waived_by is not None and reason.startswith("does not apply to"):
                cited = condition.waived_by  # the sentence that sets it aside settles it
            question = question_for(condition, context.language) if status == "unknown" else None
            checked.append(_result(condition, status, reason, cited, measure, context, question))
        application = self._application(measure, context, stated_by)
        return checked + ([application] if application is not None else [])

    def _at_level(self, condition: Condition, context: _Matching, reason: str) -> tuple[str, str]:
        """A title the clause gives a level ("示例省专精特新中小企业") is met only when the
        enterprise's words name that level for it: a city's title is not the province's,
        and a profile's code says no level."""
        hit = context.hits.get(condition.clause_id or "")
        if hit is None:
            return "met", reason
        offset = condition.start - hit.chunk.start
        level = _level_before(hit.chunk.text[max(0, offset - 8) : max(0, offset)], self.localities)
        title = CERTIFICATION_TITLES.get(str(condition.value))
        if level is None or title is None:
            return "met", reason
        names = self.localities.names_of(level) if self.localities else set()
        names |= {level} | (_PROVINCIAL if level.endswith("省") else set())
        for sentence, *_ in context.statements.sentences:
            if title.search(sentence) and any(n.lower() in sentence.lower() for n in names):
                return "met", f"{reason}, at the level it names: “{sentence}”"
        return "unknown", f"to confirm that the title is the one of {level}"

    @staticmethod
    def _application(
        measure: Measure, context: _Matching, stated_by: Sequence[str]
    ) -> ConditionResult | None:
        """Whether the application window that takes the measure is open on the date the
        enterprise gives, citing the sentence that sets it."""
        hit = context.hits[measure.clause_id]
        found = _check_application(
            _windows_for(measure, hit.chunk.text), measure, context, stated_by
        )
        if found is None:
            return None
        status, reason, window = found
        question = _WINDOW_QUESTION[context.language == "zh"] if status == "unknown" else None
        return _result(window, status, reason, window, measure, context, question)

    def _locality(
        self, document: Document, places: set[str], hits: dict[str, SearchHit]
    ) -> ConditionResult | None:
        """A local measure applies in its locality: the document's region is a condition,
        cited where the document states its scope (or, failing that, its first clause)."""
        region = document.meta.region or ""
        if document.meta.level == "national" or not region:
            return None
        own = self.localities.aliases_of(re.sub(r"\s*\(.*\)$", "", region.split(",")[0]))
        if not places:
            status, reason = "unknown", "the profile gives no region"
        elif places & own:
            status, reason = "met", "the enterprise is in the document's locality"
        else:
            status, reason = "unmet", f"a measure of {region.split(',')[0]}"
        chunks = [h for h in hits.values() if h.chunk.doc_id == document.doc_id]
        names = sorted((n for n in own if n), key=len, reverse=True)
        scope = next(
            (
                (h, h.chunk.start + h.chunk.text.lower().find(n), len(n))
                for h in chunks
                if re.search(r"适用|注册|登记|registered|eligible|scope", h.chunk.text, re.I)
                for n in names
                if n in h.chunk.text.lower()
            ),
            None,
        )
        if scope is not None:
            hit, start, length = scope
            citation = make_citation(0, hit, document, start, start + length)
        else:
            first = min(chunks, key=lambda h: h.chunk.start)
            citation = make_citation(0, first, document, first.chunk.start, first.chunk.end)
        return ConditionResult(
            field="region",
            operator="in",
            value=sorted(own)[:2],
            status=status,
            reason=reason,
            citation=citation,
            question=_FIELD_QUESTIONS["region"][0] if status == "unknown" else None,
        )


def follow_up_questions(results: Sequence[MeasureResult], limit: int = 5) -> list[str]:
    """The questions that would settle the most open measures, most useful first."""
    counts: dict[str, int] = {}
    for result in results:
        if result.status != "unknown":
            continue
        for condition in result.conditions:
            if condition.status == "unknown" and condition.question:
                counts[condition.question] = counts.get(condition.question, 0) + 1
    ranked = sorted(
        counts, key=lambda q: (-counts[q], q.startswith(("Does this hold", "以下条件")))
    )
    return ranked[:limit]


__all__ = [
    "INDUSTRIES",
    "EligibilityMatcher",
    "LocalityMap",
    "apply_clauses",
    "evaluate",
    "follow_up_questions",
    "in_force_on",
    "open_for_claims",
    "question_for",
]
