"""Which detectors run on which column, and the routing regexes built from detector anchors.

A column's name (normalised: lower case, runs of other characters turned into ``_``) is
matched against each detector's ``column_hints``; hint-only detectors run only where a hint
matches, ``anti_hints`` keep a detector off a column. Detectors with an ``anchor`` are grouped by
``family``; the engine uses one alternation of the family anchors to route values to the few
detectors that can match them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property

from breachscope import taxonomy
from breachscope.detectors.base import Detector

#: Classes recognised from a value's shape in a column named for them: a thing's name or id
#: column (``event_name``, a tag table's ``id``) never gets them.
_PERSON_SHAPED = frozenset({"person_name", "username", "internal_id"})
_LOW = taxonomy.Tier.LOW.rank


def _tier_rank(class_id: str) -> int:
    return taxonomy.get(class_id).tier.rank


def normalise(column: str) -> str:
    """``properties.$Email Address`` -> ``properties_email_address``."""
    return re.sub(r"[^a-z0-9]+", "_", column.lower()).strip("_")


@cache
def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _hinted(det: Detector, norm: str) -> bool:
    if not det.column_hints:
        return False
    return any(_rx(h).search(norm) for h in det.column_hints)


def _anti(det: Detector, norm: str) -> bool:
    return any(_rx(h).search(norm) for h in det.anti_hints)


@dataclass(frozen=True)
class Family:
    name: str
    anchor: str  # alternation of its members' anchors
    members: tuple[Detector, ...]


@dataclass(frozen=True)
class ColumnPlan:
    column: str
    routed: tuple[Detector, ...]  # pattern detectors routed by family anchors
    direct: tuple[Detector, ...]  # run on every distinct value (hinted, vocabulary)
    long: tuple[Detector, ...]  # run on values of at least ``min_length`` characters
    hinted: frozenset[str]  # names of detectors whose column hints match
    schema_classes: frozenset[str] = frozenset()

    @cached_property  # read for every column of every batch
    def detectors(self) -> tuple[Detector, ...]:
        return self.routed + self.direct + self.long

    @property
    def hinted_classes(self) -> frozenset[str]:
        return frozenset(d.data_class for d in self.detectors if d.name in self.hinted)


@dataclass(frozen=True)
class Routing:
    families: tuple[Family, ...]
    all_anchor: str
    except_anchor: Mapping[str, str] = field(default_factory=dict)  # family -> all others


def anchor_groups(families: Sequence[Family]) -> list[str]:
    """The alternations that together cover every family's anchor (one RE2 pass each).

    One alternation of all anchors: measured per 65,536 values, one joint pass costs 4-7 ms on
    emails, UUIDs, timestamps and names against 8-13 ms for keyword and structural anchors in
    two passes (on random base62 ids the two are within 10%).
    """
    return ["|".join(f"(?:{f.anchor})" for f in families)] if families else []


def alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a regex (``a|b(c|d)|[|]`` -> ``a``, ``b(c|d)``, ``[|]``)."""
    out: list[str] = []
    depth, start, i, in_class = 0, 0, 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "^":
                i += 1
            if pattern[i + 1 : i + 2] == "]":  # "[]...]" / "[^]...]": a literal ] first
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            out.append(pattern[start:i])
            start = i + 1
        i += 1
    out.append(pattern[start:])
    return out


def family_anchor(members: Sequence[Detector]) -> str:
    """One alternation of the members' anchors, each distinct top-level alternative once.

    Members often share alternatives (``\\d{13}`` is a NIK's, an NPWP's and a card's); RE2's
    DFA for an unanchored search grows with every overlapping counted repetition, so a
    duplicated ``\\d{13}`` doubled the cost of the routing pass on digit-rich values (UUIDs).
    """
    alts = dict.fromkeys(a for m in members for a in alternatives(m.anchor or m.pattern or ""))
    return "|".join(f"(?:{a})" for a in alts)


def build_routing(detectors: Sequence[Detector]) -> Routing:
    groups: dict[str, list[Detector]] = {}
    for det in detectors:
        if det.pattern and not det.requires_hint and not det.min_length and not det.vocabulary:
            groups.setdefault(det.family or det.name, []).append(det)
    families = []
    for name, members in groups.items():
        families.append(Family(name, family_anchor(members), tuple(members)))
    all_anchor = "|".join(f"(?:{f.anchor})" for f in families)
    except_anchor = {
        f.name: "|".join(f"(?:{g.anchor})" for g in families if g.name != f.name) for f in families
    }
    return Routing(tuple(families), all_anchor, except_anchor)


#: Columns a sync pipeline adds (Fivetran, Airbyte, Stitch/Singer, RudderStack, dlt, Hevo) and
#: sync or load times: bookkeeping that carries no personal-data class. Only detectors of the
#: critical, high and moderate tiers still run on them (a key or an email is reported wherever it
#: is). ``_airbyte_data`` is the record itself, not bookkeeping.
PIPELINE_COLUMNS = (
    r"^_?(?:fivetran|sdc|rudder|stitch|dlt|hevo|meltano|portable)_",
    r"^_airbyte_(?!data$)",
    r"^__hevo",
    r"^(?:_|airbyte_)?(?:emitted|extracted|loaded|load|synced|sync|batched|ingested|received_by_pipeline)"
    r"_(?:at|time|timestamp|ts)$",
    r"^(?:_|)(?:sync|load|batch)_(?:id|time|timestamp)$",
    # any other loader's sync stamp: ``_<tool>_synced``, ``_<tool>_loaded_at`` ...
    r"^_[a-z0-9]+_(?:synced|loaded|extracted|emitted|batched|ingested)(?:_at)?$",
)

#: Source (file, table or stream) names of tables whose rows are things, not people: their bare
#: ``id`` is a record id and their ``name``/``title`` columns name the thing.
THING_TABLES = (
    r"(?:^|[^a-z])(?:tags?|teams?|segments?|cohorts?|funnels?|annotations?|articles?|collections?"
    r"|help_?centers?|event_?types?|events?|projects?|campaigns?|canvas(?:es)?|boards?|products?"
    r"|items?|plans?|channels?|templates?|insights?|dashboards?|experiments?|feature_?flags?"
    r"|conversations?|conversation_?parts?|tickets?|messages?|pages?|screens?|tracks?|sessions?"
    r"|apps?|clients?|integrations?|revenue|funnel_ids|cohort_?members|activity_?logs?"
    r"|data_?attributes?|(?:company|contact)_?attributes|segments)(?:[^a-z]|$)",
)
#: Tables of organisations: their ``id`` identifies an organisation (an internal identifier),
#: their ``name`` is a company's, not a person's.
ORG_TABLES = (
    r"(?:^|[^a-z])(?:compan(?:y|ies)|organi[sz]ations?|orgs?|groups?|accounts?|workspaces?)(?:[^a-z]|$)",
)

#: Column names (normalised) that name a thing, never a person: events, items, products,
#: projects, traffic sources, companies and groups, OAuth clients, campaigns and canvases,
#: boards, devices, teams, tags, segments (``name`` alone is decided by the table).
THING_NAME_COLUMNS = (
    r"(?:^|_)(?:event|item|product|project|traffic_source|source|medium|company|group|org|organi[sz]ation"
    r"|client|oauth_client|app|application|campaign|canvas|board|device|device_friendly|team|tag|segment"
    r"|cohort|funnel|plan|page|screen|sla|feature|flag|experiment|insight|dashboard|channel|template"
    r"|workspace|help_center|collection|article|step|goal|metric|property|library|lib|bundle|store"
    r"|brand|category|variant|sku|browser|os|platform|carrier|model|manufacturer|city|region|country"
    r"|host|domain|file|queue|topic|job|bot|integration|provider|partner|vendor|merchant|shop|site)s?"
    r"_?(?:name|title|label|display_name)$",
    r"(?:^|_)(?:name|title)_(?:of_)?(?:event|item|product|project|company|group|team|tag|campaign)",
    r"^(?:friendly|display)_?name$",
    # Segment group calls: the group's traits (``group_traits.name``, ``company.name``)
    r"(?:^|_)(?:group|company|organi[sz]ation|org)_(?:traits_|properties_)?(?:name|title)$",
)


def table_kind(source: str) -> str | None:
    """``"things"``, ``"orgs"`` or ``None`` (people, or unknown) for a file, table or stream name."""
    stem = source.replace("\\", "/").rsplit("/", 1)[-1].rsplit("!", 1)[-1].lower()
    stem = re.sub(r"\.(?:csv|tsv|jsonl?|ndjson|parquet|avro|xlsx|gz|bz2|xz|zip)$", "", stem)
    stem = re.sub(r"\.(?:csv|tsv|jsonl?|ndjson|parquet|avro|xlsx)$", "", stem)
    if re.search(
        r"(?:^|[^a-z])(?:contacts?|users?|people|persons?|profiles?|members?|customers?|admins?"
        r"|leads?|identifies|engage|visitors?|subscribers?)(?:[^a-z]|$)",
        stem,
    ):
        return None
    if any(_rx(p).search(stem) for p in ORG_TABLES):
        return "orgs"
    if any(_rx(p).search(stem) for p in THING_TABLES):
        return "things"
    return None


def _thing_column(norm: str, kind: str | None) -> bool:
    """A column that names or identifies a thing (so no person-name or person-id hint)."""
    if any(_rx(p).search(norm) for p in THING_NAME_COLUMNS):
        return True
    return kind is not None and norm in ("name", "title", "display_name", "label", "description")


def plan_column(
    column: str,
    detectors: Sequence[Detector],
    schema_classes: frozenset[str] = frozenset(),
    *,
    hints: bool = True,
    table: str | None = None,
) -> ColumnPlan:
    """Which detectors run on this column, and how.

    Column-name hints count only where the vendor schema (if any) does not already say what the
    column is: a GA4 ``traffic_source.name`` is a campaign, not a person's name. ``hints=False``
    (vendor bookkeeping columns such as a library name) turns name hints off altogether. Values
    are still checked by every routed detector either way.
    """
    norm = normalise(column)
    last = normalise(column.rsplit(".", 1)[-1]) if "." in column else norm
    raw_last = column.rsplit(".", 1)[-1].strip().lower()  # normalise() drops a leading "_"
    pipeline = any(_rx(p).search(raw_last) or _rx(p).search(last) for p in PIPELINE_COLUMNS)
    thing = _thing_column(last, table) or _thing_column(norm, None)
    record_id = table == "things" and "." not in column and last in ("id", "uuid")
    if pipeline:
        schema_classes = frozenset()  # sync bookkeeping: no documented class either
    elif thing or record_id:
        schema_classes = schema_classes - _PERSON_SHAPED
    routed: list[Detector] = []
    direct: list[Detector] = []
    long: list[Detector] = []
    hinted = set()
    for det in detectors:
        if _anti(det, norm) or (last != norm and _anti(det, last)):
            continue
        if pipeline and (det.weak or det.requires_hint or _tier_rank(det.data_class) >= _LOW):
            continue  # sync bookkeeping: only values of a real class are still looked for
        if (thing or record_id) and det.data_class in _PERSON_SHAPED:
            continue  # the name or id of a thing (an event, a tag, a company), not of a person
        is_hinted = hints and _hinted(det, norm) and (not schema_classes or det.data_class in schema_classes)
        if is_hinted:
            hinted.add(det.name)
        if det.requires_hint and not is_hinted:
            continue
        if det.min_length:
            long.append(det)
        elif det.requires_hint or det.vocabulary or not det.pattern:
            direct.append(det)
        else:
            routed.append(det)
    return ColumnPlan(column, tuple(routed), tuple(direct), tuple(long), frozenset(hinted), schema_classes)
