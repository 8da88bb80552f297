"""Recommended actions from the exposed data classes (rules as data: ``data/actions.yaml``).

An action is recommended when any of its trigger classes is present, and names those classes.
It is reported as NOT needed only when every trigger class was checked by the scan and found
absent ("no need to change your password: ..."); if the scan did not check a class, the action is
``undetermined`` rather than silently dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

from breachscope import taxonomy
from breachscope.rules.facts import Action, Facts, NotNeeded
from breachscope.rules.schema import ActionSpec


def lower_name(class_id: str) -> str:
    """A class name for use mid-sentence: "Names" -> "names", but "API keys" stays."""
    name = taxonomy.get(class_id).name
    return name if name[1:2].isupper() else name[:1].lower() + name[1:]


#: How to say "all values" when the count is not known (e.g. a purged case keeps only statuses).
_ALL_VALUES = {"en": "all", "id": "semua"}
#: ``{records}`` in a not-needed text, per language: every record read / only the readable ones
#: (a person accepted an incomplete read) / count unknown. People read records, not values.
RECORDS_PHRASE = {
    "en": ("all {n} records", "the {n} records that could be read", "every record"),
    "id": ("seluruh {n} catatan", "{n} catatan yang dapat dibaca", "setiap catatan"),
}


def _values(count: int, lang: str) -> str:
    return f"{count:,}" if count else _ALL_VALUES.get(lang, "all")


def records_phrase(count: int, complete: bool, lang: str, number: str | None = None) -> str:
    """``all 20,000 records`` (``number`` is the count already written in the reader's style)."""
    whole, readable, unknown = RECORDS_PHRASE.get(lang, RECORDS_PHRASE["en"])
    if not count:
        return unknown
    return (whole if complete else readable).format(n=number or f"{count:,}")


def join_or(words: Sequence[str], or_word: str = "or") -> str:
    """``a``, ``a or b``, ``a, b or c`` (``or_word`` in the reader's language)."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {or_word} " + words[-1]


def recommend(
    facts: Facts, specs: tuple[ActionSpec, ...]
) -> tuple[tuple[Action, ...], tuple[NotNeeded, ...], tuple[str, ...]]:
    """Return (actions to take, actions not needed with why, action ids that cannot be decided)."""
    actions: list[Action] = []
    not_needed: list[NotNeeded] = []
    undetermined: list[str] = []
    for spec in specs:
        caused_by = tuple(c for c in spec.when_any if c in facts.present)
        if caused_by:
            actions.append(Action(spec.id, spec.audience, caused_by, dict(spec.text)))
        elif all(c in facts.absent for c in spec.when_any):
            names = join_or([lower_name(c) for c in spec.when_any])
            text = {
                lang: words.format(
                    classes=names,
                    values=_values(facts.values_checked, lang),
                    records=records_phrase(facts.records_checked, facts.absence_complete, lang),
                )
                for lang, words in spec.not_needed.items()
            }
            not_needed.append(
                NotNeeded(
                    spec.id,
                    spec.when_any,
                    facts.values_checked,
                    text,
                    spec.audience,
                    dict(spec.not_needed),
                    facts.records_checked,
                    facts.absence_complete,
                )
            )
        else:
            undetermined.append(spec.id)
    return tuple(actions), tuple(not_needed), tuple(undetermined)
