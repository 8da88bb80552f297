"""Rendering a notice: Jinja2 template files per language, text and HTML, checked link-free.

Templates live in ``notify/templates/<lang>/`` as ``<kind>.subject.j2``, ``<kind>.txt.j2`` and
``<kind>.html.j2`` (kind = user, admin, regulator) next to the ``fields.yaml`` catalogue. A
company copies the folder, edits it and passes ``--templates DIR``: each file is looked up in
DIR first, then in the built-in set, in the recipient's language, then in English.

HTML templates autoescape. Every untrusted value (names, organisation names, locations) is
defanged and put on one line *before* templates see it, so an edited template cannot forget.
After rendering, the subject, text and HTML are checked for anything link-like; a notice that
fails is refused with :class:`NoticeError`, naming the template.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from breachscope.errors import BreachscopeError
from breachscope.notify.catalogue import (
    FALLBACK_LANGUAGE,
    Catalogue,
    available_languages,
    load_catalogue,
    normalise_language,
    template_roots,
)
from breachscope.notify.context import ActionItem, NoticeContext
from breachscope.notify.safety import defang, find_html_links, find_links, one_line, show_domain
from breachscope.rules.actions import records_phrase

#: The dates, counts and sender details every template may use.
LOCATION_CLASSES = ("coarse_location",)


class NoticeError(BreachscopeError):
    """A notice that must not be sent as rendered (a link crept in, a template is broken)."""


@dataclass(frozen=True)
class NoticeFrom:
    """Who the notice is from, as templates show it (from config; trusted)."""

    company: str
    domain: str
    domain_style: str = "brackets"
    support_phone: str = ""
    #: The page in the product where a notice can be checked ("" = none configured: not named).
    help_page: str = ""
    show_location: bool = True


@dataclass(frozen=True)
class RenderedNotice:
    language: str
    subject: str
    text: str
    html: str


def _sentence(text: str) -> str:
    """A recorded statement as a closed sentence, so the template's next sentence does not run on
    ("We rotated all keys We are telling ..."); empty stays empty."""
    text = text.strip()
    return text if not text or text[-1] in ".!?。！？।" else text + "."


def _tr(texts: dict[str, str], language: str) -> str:
    return texts.get(language) or texts.get(FALLBACK_LANGUAGE) or next(iter(texts.values()), "")


class Renderer:
    """Renders :class:`NoticeContext` objects; one Jinja2 environment per language, cached."""

    def __init__(self, sender: NoticeFrom, templates: Path | None = None) -> None:
        if templates is not None and not templates.is_dir():
            raise BreachscopeError(
                f"template folder {templates} does not exist",
                "copy src/breachscope/notify/templates to start from the shipped templates",
            )
        self.sender = sender
        self.templates = templates
        self.languages = available_languages(templates)
        self._envs: dict[str, jinja2.Environment] = {}
        self._catalogues: dict[str, Catalogue] = {}

    def __getstate__(self) -> dict[str, Any]:
        """Picklable for worker processes: the caches are rebuilt there."""
        state = dict(self.__dict__)
        state["_envs"], state["_catalogues"] = {}, {}
        return state

    def pick_language(self, requested: str | None) -> str:
        lang = normalise_language(requested)
        return lang if lang in self.languages else FALLBACK_LANGUAGE

    def catalogue(self, language: str) -> Catalogue:
        if language not in self._catalogues:
            self._catalogues[language] = load_catalogue(language, self.templates)
        return self._catalogues[language]

    def _env(self, language: str) -> jinja2.Environment:
        env = self._envs.get(language)
        if env is None:
            search: list[str] = []
            for lang in dict.fromkeys((language, FALLBACK_LANGUAGE)):
                search.extend(str(root / lang) for root in template_roots(self.templates))
            env = jinja2.Environment(
                loader=jinja2.FileSystemLoader(search),
                autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
                undefined=jinja2.StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
                keep_trailing_newline=True,
                auto_reload=False,
            )
            self._envs[language] = env
        return env

    def variables(self, ctx: NoticeContext, language: str, *, phrase: str, reference: str) -> dict[str, Any]:
        """The template variables for one notice (untrusted values already defanged)."""
        cat = self.catalogue(language)
        location = defang(ctx.location) if ctx.location and self.sender.show_location else ""
        exposed: list[dict[str, str]] = []
        seen: set[str] = set()
        for cid in cat.sort(ctx.exposed_classes):
            text = cat.your_phrase(cid)
            if text in seen:
                continue
            seen.add(text)
            exposed.append({"id": cid, "text": text, "detail": location if cid in LOCATION_CLASSES else ""})
        exposed_names = list(dict.fromkeys(cat.name(c) for c in cat.sort(ctx.exposed_classes)))
        absent_ids = cat.sort(c for c in ctx.absent_classes if c not in ctx.exposed_classes)
        absent = list(dict.fromkeys(cat.name(c) for c in absent_ids))
        org = None
        if ctx.org is not None:
            org = {
                "id": defang(ctx.org.id),
                "name": defang(ctx.org.name),
                "affected_users": ctx.org.affected_users,
                "users_told": ctx.org.users_told,
                "classes": list(dict.fromkeys(cat.name(c) for c in cat.sort(ctx.org.classes))),
            }
        duty = None
        if ctx.duty is not None:
            d = ctx.duty
            duty = {
                "id": d.id,
                "jurisdiction": d.jurisdiction,
                "recipient": d.recipient,
                "citation": d.citation,
                "deadline": d.deadline,
                "due": d.due,
                "records": d.records,
                "affected_people": d.affected_people,
                "items": [{"id": c, "heading": cat.heading(c)} for c in d.required_content],
            }
        return {
            "language": language,
            "kind": ctx.kind,
            "company": self.sender.company,
            "domain_style": self.sender.domain_style,
            "domain": show_domain(self.sender.domain, self.sender.domain_style, cat.dot_word),
            # A channel recorded in the case wins over notify.toml; none at all = none named.
            "support_phone": defang(ctx.incident.support_phone or self.sender.support_phone, 40),
            "help_page": defang(ctx.incident.help_page or self.sender.help_page, 80),
            "phrase": phrase,
            "reference": reference,
            "name": defang(ctx.name, 80),
            "incident": {
                "id": ctx.incident.id,
                "name": defang(ctx.incident.name),
                "vendor": defang(ctx.incident.vendor),
                "detected_on": ctx.incident.detected_on,
                "aware_on": ctx.incident.aware_on,
                "description": defang(ctx.incident.description, 2000),
                "occurred_on": ctx.incident.occurred_on,
                "notified_on": ctx.incident.notified_on,
                "cause": ctx.incident.cause,
                "our_systems_affected": ctx.incident.our_systems_affected,
                "vendor_relationship": ctx.incident.vendor_relationship,
                "working_with_vendor": ctx.incident.working_with_vendor,
                "breached_party": ctx.incident.breached_party,
                "measures": _sentence(defang(ctx.incident.measures, 500)),
            },
            "exposed": exposed,
            "exposed_names": exposed_names,
            "absent": absent,
            "checked": {
                "records": cat.number(ctx.checked_records) if ctx.checked_records else "",
                "files": ctx.checked_files,
                "all": ctx.checked_complete,
            },
            "actions": [_tr(a.text, language) for a in ctx.actions],
            "not_needed": [self._not_needed(a, language, cat) for a in ctx.not_needed],
            "org": org,
            "duty": duty,
            "update": self._update(ctx, cat),
        }

    @staticmethod
    def _update(ctx: NoticeContext, cat: Catalogue) -> dict[str, Any] | None:
        """A follow-up's change, classes named in the recipient's language."""
        u = ctx.update
        if u is None:
            return None
        new = (
            None
            if u.new_classes is None
            else list(dict.fromkeys(cat.your_phrase(c) for c in cat.sort(u.new_classes)))
        )
        return {"change": u.change, "on": u.on, "new": new, "reported": u.reported}

    @staticmethod
    def _not_needed(item: ActionItem, language: str, cat: Catalogue) -> dict[str, str]:
        """The not-needed line with the classes named in the recipient's language."""
        text = _tr(item.text, language)
        template = item.template.get(language)
        if template and item.classes and (item.values or item.records):
            names = [cat.name(c) for c in cat.sort(item.classes)]
            records = records_phrase(
                item.records,
                item.records_complete,
                language,
                cat.number(item.records) if item.records else None,
            )
            try:
                text = template.format(
                    classes=cat.join_or(names), values=cat.number(item.values), records=records
                )
            except (KeyError, IndexError, ValueError):
                pass  # a malformed edited template keeps the stored words
        return {"text": text, "reason": _tr(item.reason, language) if item.reason else ""}

    def render(self, ctx: NoticeContext, *, phrase: str, reference: str) -> RenderedNotice:
        language = self.pick_language(ctx.language)
        variables = self.variables(ctx, language, phrase=phrase, reference=reference)
        env = self._env(language)
        parts: dict[str, str] = {}
        for part in ("subject", "txt", "html"):
            name = f"{ctx.kind}.{part}.j2"
            try:
                parts[part] = env.get_template(name).render(variables)
            except jinja2.TemplateNotFound as exc:
                raise NoticeError(f"template {name} not found for language {language}") from exc
            except jinja2.TemplateError as exc:
                raise NoticeError(
                    f"template {name} ({language}) failed: {exc}", "fix the template; see docs/notify.md"
                ) from exc
        subject = one_line(parts["subject"], 200)
        problems = [f"subject: {p}" for p in find_links(subject)]
        problems += [f"{ctx.kind}.txt.j2: {p}" for p in find_links(parts["txt"])]
        problems += [f"{ctx.kind}.html.j2: {p}" for p in find_html_links(parts["html"])]
        if problems:
            raise NoticeError(
                f"refusing a {ctx.kind} notice ({language}) that contains link-like text: "
                + "; ".join(problems[:5]),
                "notices carry no links; write the official domain as {{ domain }} (rendered unclickable)",
            )
        return RenderedNotice(language=language, subject=subject, text=parts["txt"], html=parts["html"])
