"""Load rule files (YAML) and validate them against the schema in ``schema.py``.

Validation is a small typed reader rather than a schema library: every field is checked for
presence, type and allowed values, and every error names the file, the rule id and the field
path (``rules[2].deadline.unit``), so a wrong rule file fails loudly at load time.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from breachscope import __version__, taxonomy
from breachscope.errors import BreachscopeError
from breachscope.rules import schema as s
from breachscope.rules.content import CONTENT_ITEMS

DATA_DIR = Path(__file__).parent / "data"
#: Files in ``data/`` that are not jurisdiction rule files.
NON_RULE_FILES = frozenset({"actions.yaml"})

T = TypeVar("T")


class RuleFileError(BreachscopeError):
    """A rule file does not match the schema. Names the file, rule and field."""

    exit_code = 2

    def __init__(self, file: str, rule: str | None, field: str, problem: str) -> None:
        where = f"{file}: rule {rule!r}: field {field!r}" if rule else f"{file}: field {field!r}"
        super().__init__(f"{where}: {problem}", "fix the rule file; see docs/rules.md for the format")
        self.file, self.rule, self.field, self.problem = file, rule, field, problem


class _Ctx:
    """Where we are in a file, for error messages."""

    def __init__(self, file: str, rule: str | None = None, path: str = "") -> None:
        self.file, self.rule, self.path = file, rule, path

    def at(self, key: str | int) -> _Ctx:
        part = f"[{key}]" if isinstance(key, int) else (f".{key}" if self.path else key)
        return _Ctx(self.file, self.rule, self.path + part)

    def fail(self, problem: str) -> RuleFileError:
        return RuleFileError(self.file, self.rule, self.path or "(top)", problem)


def _mapping(ctx: _Ctx, value: Any, allowed: Iterable[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ctx.fail(f"expected a mapping, got {type(value).__name__}")
    unknown = sorted(set(map(str, value)) - set(allowed))
    if unknown:
        raise ctx.at(unknown[0]).fail(f"unknown field; allowed: {', '.join(sorted(allowed))}")
    return cast(dict[str, Any], value)


def _req(ctx: _Ctx, m: dict[str, Any], key: str, kind: type[T]) -> T:
    if key not in m or m[key] is None:
        raise ctx.at(key).fail("required field is missing")
    return _typed(ctx.at(key), m[key], kind)


def _opt(ctx: _Ctx, m: dict[str, Any], key: str, kind: type[T], default: T) -> T:
    if key not in m or m[key] is None:
        return default
    return _typed(ctx.at(key), m[key], kind)


def _typed(ctx: _Ctx, value: Any, kind: type[T]) -> T:
    if kind is int and isinstance(value, bool):
        raise ctx.fail("expected an integer, got a boolean")
    if not isinstance(value, kind):
        raise ctx.fail(f"expected {kind.__name__}, got {type(value).__name__}")
    if kind is str and not cast(str, value).strip():
        raise ctx.fail("must not be empty")
    return value


def _choice(
    ctx: _Ctx, m: dict[str, Any], key: str, choices: tuple[str, ...], default: str | None = None
) -> str:
    if default is not None and m.get(key) is None:
        return default
    value = _req(ctx, m, key, str)
    if value not in choices:
        raise ctx.at(key).fail(f"{value!r} is not one of {', '.join(choices)}")
    return value


def _list(ctx: _Ctx, m: dict[str, Any], key: str, *, required: bool = True) -> list[Any]:
    if m.get(key) is None:
        if required:
            raise ctx.at(key).fail("required field is missing")
        return []
    value = m[key]
    if not isinstance(value, list):
        raise ctx.at(key).fail(f"expected a list, got {type(value).__name__}")
    return value


def _date(ctx: _Ctx, m: dict[str, Any], key: str, *, required: bool) -> date | None:
    value = m.get(key)
    if value is None:
        if required:
            raise ctx.at(key).fail("required field is missing")
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ctx.at(key).fail(f"expected a date YYYY-MM-DD, got {value!r}")


def _period(ctx: _Ctx, value: Any) -> s.Period:
    m = _mapping(ctx, value, ("amount", "unit"))
    amount = _req(ctx, m, "amount", int)
    if amount <= 0:
        raise ctx.at("amount").fail("must be a positive number")
    return s.Period(amount, cast(s.Unit, _choice(ctx, m, "unit", s.UNITS)))


def parse_combo(ctx: _Ctx, text: Any) -> s.Combo:
    combo = _typed(ctx, text, str)
    groups: list[tuple[str, ...]] = []
    for part in combo.split("+"):
        ids = tuple(x.strip() for x in part.split("|"))
        for cid in ids:
            if cid not in taxonomy.BY_ID:
                raise ctx.fail(f"unknown data class {cid!r} (see breachscope.taxonomy)")
        groups.append(ids)
    return s.Combo(tuple(groups))


_CONDITION_KEYS = (
    "always", "classes", "min_affected", "malicious", "unauthorised_acquisition", "duty", "determined",
    "unless_determined", "sector", "risk", "any", "all",
)  # fmt: skip


def _condition(ctx: _Ctx, value: Any) -> s.Condition:
    if not isinstance(value, dict):
        raise ctx.fail("expected a condition mapping with one of: " + ", ".join(_CONDITION_KEYS))
    kinds = [k for k in _CONDITION_KEYS if k in value]
    if len(kinds) != 1:
        raise ctx.fail("a condition needs exactly one of: " + ", ".join(_CONDITION_KEYS))
    kind = kinds[0]
    extra = {"min_affected": ("scope",), "risk": ("factors",)}.get(kind, ())
    m = _mapping(ctx, value, (kind, "words", *extra))
    words = _opt(ctx, m, "words", str, "")
    if kind == "always":
        if m["always"] is not True:
            raise ctx.at("always").fail("must be true")
        return s.Always(words)
    if kind == "classes":
        combos = _list(ctx, m, "classes")
        if not combos:
            raise ctx.at("classes").fail("needs at least one combination")
        return s.Classes(tuple(parse_combo(ctx.at("classes").at(i), c) for i, c in enumerate(combos)), words)
    if kind == "min_affected":
        n = _req(ctx, m, "min_affected", int)
        if n < 1:
            raise ctx.at("min_affected").fail("must be at least 1")
        scope = cast(
            s.HeadcountScope,
            _choice(ctx, m, "scope", ("jurisdiction", "incident", "subdivision"), "jurisdiction"),
        )
        return s.Headcount(n, scope, words)
    if kind == "malicious":
        if m["malicious"] is not True:
            raise ctx.at("malicious").fail("must be true")
        return s.Malicious(words)
    if kind == "unauthorised_acquisition":
        if m[kind] is not True:
            raise ctx.at(kind).fail("must be true")
        return s.Acquired(words)
    if kind == "duty":
        return s.DutyIs(_req(ctx, m, "duty", str), words)
    if kind == "determined":
        return s.Determined(_req(ctx, m, "determined", str), words)
    if kind == "unless_determined":
        return s.UnlessDetermined(_req(ctx, m, "unless_determined", str), words)
    if kind == "sector":
        return s.Sector(_req(ctx, m, "sector", str), words)
    if kind == "risk":
        factors = tuple(
            _typed(ctx.at("factors").at(i), f, str)
            for i, f in enumerate(_list(ctx, m, "factors", required=False))
        )
        return s.Risk(_req(ctx, m, "risk", str), words, factors)
    items = _list(ctx, m, kind)
    if not items:
        raise ctx.at(kind).fail("needs at least one condition")
    parsed = tuple(_condition(ctx.at(kind).at(i), c) for i, c in enumerate(items))
    return s.AnyOf(parsed, words) if kind == "any" else s.AllOf(parsed, words)


def _deadline(ctx: _Ctx, value: Any) -> s.Deadline:
    m = _mapping(
        ctx,
        value,
        ("form", "clock", "words", "amount", "unit", "bound_basis", "end_of_day", "after", "after_event",
         "late", "instead"),
    )  # fmt: skip
    form = cast(s.DeadlineForm, _choice(ctx, m, "form", s.DEADLINE_FORMS))
    clock = cast(s.ClockEvent, _choice(ctx, m, "clock", s.CLOCK_EVENTS))
    bound = _period(ctx, {"amount": m["amount"], "unit": m.get("unit")}) if "amount" in m else None
    if form == "fixed" and bound is None:
        raise ctx.at("amount").fail("a fixed deadline needs an amount and a unit")
    basis = cast(Any, _choice(ctx, m, "bound_basis", ("statute", "guidance"), "statute"))
    after = _opt(ctx, m, "after", str, "")
    if clock == "after_duty" and not after:
        raise ctx.at("after").fail("an after_duty clock needs the rule id of the other duty")
    if after and clock != "after_duty":
        raise ctx.at("after").fail("only an after_duty clock names another duty")
    instead = []
    for i, raw in enumerate(_list(ctx, m, "instead", required=False)):
        ic = ctx.at("instead").at(i)
        im = _mapping(ic, raw, ("when", "amount", "unit", "words"))
        instead.append(
            s.LongerBound(
                _condition(ic.at("when"), im.get("when")),
                _period(ic, {"amount": im.get("amount"), "unit": im.get("unit")}),
                _req(ic, im, "words", str),
            )
        )
    return s.Deadline(
        form,
        clock,
        _req(ctx, m, "words", str),
        bound,
        basis,
        _opt(ctx, m, "end_of_day", bool, False),
        after,
        cast(s.AfterEvent, _choice(ctx, m, "after_event", ("performed", "decided"), "performed")),
        _opt(ctx, m, "late", str, ""),
        tuple(instead),
    )


def _content(ctx: _Ctx, value: Any) -> s.ContentItem:
    if isinstance(value, str):
        item_id, words = value, ""
    else:
        m = _mapping(ctx, value, ("id", "words"))
        item_id, words = _req(ctx, m, "id", str), _opt(ctx, m, "words", str, "")
    if item_id not in CONTENT_ITEMS:
        raise ctx.fail(f"unknown content item {item_id!r} (see breachscope.rules.content)")
    return s.ContentItem(item_id, words or CONTENT_ITEMS[item_id])


_RULE_KEYS = (
    "id", "title", "duty_of", "recipient", "recipient_name", "statute", "citation", "trigger", "deadline",
    "content", "effective_from", "until", "confidence", "confidence_reason", "sources", "exemptions",
    "assessment_within", "notes", "retention", "local", "titles",
)  # fmt: skip
LOCAL_KEYS = ("recipient_name", "citation", "deadline")


def _local(ctx: _Ctx, value: Any) -> dict[str, dict[str, str]]:
    """``local: {id: {recipient_name: ..., citation: ..., deadline: ...}}``: a draft's words in the
    regulator's language (all three, so a draft is never half translated)."""
    if value is None:
        return {}
    m = _mapping(ctx, value, tuple(str(k) for k in value) if isinstance(value, dict) else ())
    out: dict[str, dict[str, str]] = {}
    for lang, words in m.items():
        lc = ctx.at(str(lang))
        wm = _mapping(lc, words, LOCAL_KEYS)
        out[str(lang)] = {k: _req(lc, wm, k, str) for k in LOCAL_KEYS}
    return out


def _titles(ctx: _Ctx, value: Any) -> dict[str, str]:
    """``titles: {id: ...}``: the duty's title in every language of :data:`schema.TITLE_LANGUAGES`
    (the report and console show it in their language; ``title`` is the English one)."""
    if value is None:
        raise ctx.fail(f"missing; give the title in {', '.join(s.TITLE_LANGUAGES)} too")
    m = _mapping(ctx, value, s.TITLE_LANGUAGES)
    out = {lang: _req(ctx, m, lang, str).strip() for lang in s.TITLE_LANGUAGES}
    for lang, title in out.items():
        if not title:
            raise ctx.at(lang).fail("empty title")
    return out


def _rule(ctx: _Ctx, value: Any) -> s.Rule:
    rule_id = value.get("id") if isinstance(value, dict) else None
    ctx = _Ctx(ctx.file, rule_id if isinstance(rule_id, str) else None, ctx.path)
    m = _mapping(ctx, value, _RULE_KEYS)
    confidence = cast(s.Confidence, _choice(ctx, m, "confidence", s.CONFIDENCES))
    reason = _opt(ctx, m, "confidence_reason", str, "")
    if confidence == "unconfirmed" and not reason:
        raise ctx.at("confidence_reason").fail("an unconfirmed rule must say why")
    sources = [_typed(ctx.at("sources").at(i), x, str) for i, x in enumerate(_list(ctx, m, "sources"))]
    if not sources:
        raise ctx.at("sources").fail("at least one source is required")
    exemptions = []
    for i, e in enumerate(_list(ctx, m, "exemptions", required=False)):
        ec = ctx.at("exemptions").at(i)
        em = _mapping(ec, e, ("kind", "words", "citation"))
        kind = cast(s.ExemptionKind, _choice(ec, em, "kind", s.EXEMPTION_KINDS))
        exemptions.append(s.Exemption(kind, _req(ec, em, "words", str), _opt(ec, em, "citation", str, "")))
    content = _list(ctx, m, "content")
    if not content:
        raise ctx.at("content").fail("list the required content of the notice")
    aw = m.get("assessment_within")
    effective = _date(ctx, m, "effective_from", required=True)
    until = _date(ctx, m, "until", required=False)
    assert effective is not None
    if until is not None and until < effective:
        raise ctx.at("until").fail("ends before effective_from")
    retention = _opt(ctx, m, "retention", str, "")
    if m.get("recipient") == "records" and not retention:
        raise ctx.at("retention").fail("a record-keeping duty must say how long the record is kept")
    return s.Rule(
        id=_req(ctx, m, "id", str),
        title=_req(ctx, m, "title", str),
        titles=_titles(ctx.at("titles"), m.get("titles")),
        duty_of=cast(s.DutyOf, _choice(ctx, m, "duty_of", s.DUTY_OF, "controller")),
        recipient=cast(s.Recipient, _choice(ctx, m, "recipient", s.RECIPIENTS)),
        recipient_name=_req(ctx, m, "recipient_name", str),
        statute=_req(ctx, m, "statute", str),
        citation=_req(ctx, m, "citation", str),
        trigger=_condition(ctx.at("trigger"), m.get("trigger")),
        deadline=_deadline(ctx.at("deadline"), m.get("deadline")),
        content=tuple(_content(ctx.at("content").at(i), c) for i, c in enumerate(content)),
        effective_from=effective,
        until=until,
        confidence=confidence,
        confidence_reason=reason,
        sources=tuple(sources),
        exemptions=tuple(exemptions),
        assessment_within=_period(ctx.at("assessment_within"), aw) if aw is not None else None,
        notes=_opt(ctx, m, "notes", str, ""),
        retention=retention,
        local=_local(ctx.at("local"), m.get("local")),
    )


def _walk(c: s.Condition) -> Iterable[s.Condition]:
    yield c
    if isinstance(c, s.AnyOf | s.AllOf):
        for x in c.items:
            yield from _walk(x)


def _references(r: s.Rule) -> list[tuple[str, str]]:
    """(other rule id, field) for every other duty this rule depends on (same file only)."""
    refs = [(c.rule, "trigger") for c in _walk(r.trigger) if isinstance(c, s.DutyIs | s.Determined)]
    if r.deadline.after:
        refs.append((r.deadline.after, "deadline.after"))
    return refs


def depends_on(r: s.Rule) -> frozenset[str]:
    """The other rules whose duty must be evaluated before this one."""
    return frozenset(other for other, _ in _references(r))


def _load_yaml(ctx: _Ctx, text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: a value YAML cannot build (2021-02-31)
        raise ctx.fail(f"not valid YAML: {exc}") from None


def parse_jurisdiction(file: str, text: str) -> s.Jurisdiction:
    """Parse one rule file's text. ``file`` is only used in error messages."""
    ctx = _Ctx(file)
    data = _load_yaml(ctx, text)
    m = _mapping(ctx, data, ("jurisdiction", "name", "codes", "timezone", "law", "rules"))
    tz = _req(ctx, m, "timezone", str)
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ctx.at("timezone").fail(f"unknown time zone {tz!r}") from None
    codes = [_typed(ctx.at("codes").at(i), c, str) for i, c in enumerate(_list(ctx, m, "codes"))]
    if not codes:
        raise ctx.at("codes").fail("list at least one ISO 3166 code")
    rules = [_rule(ctx.at("rules").at(i), r) for i, r in enumerate(_list(ctx, m, "rules"))]
    seen: set[str] = set()
    for r in rules:
        if r.id in seen:
            raise RuleFileError(file, r.id, "id", "duplicate rule id")
        seen.add(r.id)
    for r in rules:
        for other, where in _references(r):
            if other not in seen or other == r.id:
                raise RuleFileError(file, r.id, where, f"{other!r} is not another rule of this file")
    return s.Jurisdiction(
        code=_req(ctx, m, "jurisdiction", str),
        name=_req(ctx, m, "name", str),
        codes=tuple(codes),
        timezone=tz,
        law=_req(ctx, m, "law", str),
        rules=tuple(rules),
        file=file,
    )


def rule_files(directory: Path = DATA_DIR) -> list[Path]:
    return sorted(p for p in directory.glob("*.yaml") if p.name not in NON_RULE_FILES)


def load_rules(directory: Path = DATA_DIR, *, read: Callable[[Path], str] | None = None) -> s.RuleSet:
    """Load and validate every rule file in ``directory``; raise :class:`RuleFileError` on the first error."""
    read_file = read or (lambda p: p.read_text(encoding="utf-8"))

    def reader(path: Path) -> str:
        try:
            return read_file(path)
        except UnicodeDecodeError:
            raise RuleFileError(path.name, None, "(top)", "not UTF-8 text") from None
        except OSError as exc:
            raise RuleFileError(path.name, None, "(top)", f"cannot read: {exc.strerror or exc}") from None

    digest = hashlib.sha256()
    jurisdictions: list[s.Jurisdiction] = []
    files = rule_files(directory)
    if not files:
        raise BreachscopeError(
            f"no rule files in {directory}", "point --rules at a folder of *.yaml rule files"
        )
    ids: dict[str, str] = {}
    for path in files:
        text = reader(path)
        digest.update(path.name.encode() + b"\0" + text.encode("utf-8") + b"\0")
        j = parse_jurisdiction(path.name, text)
        for r in j.rules:
            if r.id in ids:
                raise RuleFileError(path.name, r.id, "id", f"rule id already used in {ids[r.id]}")
            ids[r.id] = path.name
        jurisdictions.append(j)
    actions: tuple[s.ActionSpec, ...] = ()
    actions_path = directory / "actions.yaml"
    if actions_path.exists():
        text = reader(actions_path)
        digest.update(b"actions.yaml\0" + text.encode("utf-8"))
        actions = parse_actions(actions_path.name, text)
    digest.update(__version__.encode())
    version = f"sha256:{digest.hexdigest()[:16]}+breachscope-{__version__}"
    return s.RuleSet(tuple(jurisdictions), version, tuple(p.name for p in files), actions)


LANGUAGES = ("en", "id")


def _texts(ctx: _Ctx, value: Any) -> dict[str, str]:
    m = _mapping(ctx, value, LANGUAGES)
    return {lang: _req(ctx, m, lang, str) for lang in LANGUAGES}


def parse_actions(file: str, text: str) -> tuple[s.ActionSpec, ...]:
    """Parse ``actions.yaml``: every action needs an id, audience, trigger classes and en + id texts."""
    ctx = _Ctx(file)
    data = _load_yaml(ctx, text)
    m = _mapping(ctx, data, ("actions",))
    specs: list[s.ActionSpec] = []
    for i, raw in enumerate(_list(ctx, m, "actions")):
        aid = raw.get("id") if isinstance(raw, dict) else None
        ac = _Ctx(file, aid if isinstance(aid, str) else None, f"actions[{i}]")
        am = _mapping(ac, raw, ("id", "audience", "when_any", "text", "not_needed"))
        when = [_typed(ac.at("when_any").at(k), c, str) for k, c in enumerate(_list(ac, am, "when_any"))]
        for k, cid in enumerate(when):
            if cid not in taxonomy.BY_ID:
                raise ac.at("when_any").at(k).fail(f"unknown data class {cid!r} (see breachscope.taxonomy)")
        specs.append(
            s.ActionSpec(
                id=_req(ac, am, "id", str),
                audience=cast(Any, _choice(ac, am, "audience", ("recipients", "company"))),
                when_any=tuple(when),
                text=_texts(ac.at("text"), am.get("text")),
                not_needed=_texts(ac.at("not_needed"), am.get("not_needed")),
            )
        )
    return tuple(specs)


@functools.lru_cache(maxsize=1)
def rule_titles() -> dict[str, dict[str, str]]:
    """rule id -> {language: title} of the bundled rule files (for snapshots stored before the
    rule files carried translated titles)."""
    return {r.id: dict(r.titles) for j in load_rules().jurisdictions for r in j.rules}
