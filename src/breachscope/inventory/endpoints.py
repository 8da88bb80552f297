"""The collection-endpoint table (``data/endpoints.yaml``): which request goes to which service.

Each service lists hosts (exact, or ``*.suffix``), path patterns, script hosts, key fields and
the public documentation it was taken from. :func:`match` says which service (if any) a request
URL is for; :func:`script` says which service's SDK a loaded script is; unknown third-party
pixels are recognised by the ``generic_pixel`` rule. Checked on load; an error names the service
and the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult

import yaml

from breachscope.errors import InputError

PATH = Path(__file__).parent / "data" / "endpoints.yaml"
#: The service id of a pixel not in the table (its vendor name is the host).
GENERIC = "pixel"


@dataclass(frozen=True)
class Service:
    id: str
    vendor: str
    purpose: str
    hosts: tuple[str, ...]
    paths: tuple[re.Pattern[str], ...]
    scripts: tuple[str, ...]
    script_key: re.Pattern[str] | None
    keys: frozenset[str]
    sources: tuple[str, ...]
    transport: frozenset[str] = frozenset()

    def has_host(self, host: str) -> bool:
        return any(_host_matches(h, host) for h in self.hosts)


@dataclass(frozen=True)
class Table:
    services: dict[str, Service]
    pixel_paths: re.Pattern[str]
    pixel_max_bytes: int
    pixel_sources: tuple[str, ...]


def _host_matches(pattern: str, host: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    return host == pattern


def _list(where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InputError(f"{where}: expected a list of strings")
    return tuple(value)


def _rx(where: str, pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise InputError(f"{where}: bad regular expression {pattern!r}: {exc}") from exc


def parse(doc: Any, source: str) -> Table:
    if not isinstance(doc, dict) or doc.get("version") != 1 or not isinstance(doc.get("services"), dict):
        raise InputError(f"{source}: not an endpoint table (version: 1 and services: expected)")
    services = {}
    for sid, body in doc["services"].items():
        where = f"{source}: service {sid!r}"
        if not isinstance(body, dict):
            raise InputError(f"{where}: expected a mapping")
        missing = [k for k in ("vendor", "hosts", "paths", "sources") if k not in body]
        if missing:
            raise InputError(f"{where}: missing {', '.join(missing)}")
        key_rx = body.get("script_key")
        services[sid] = Service(
            id=sid,
            vendor=str(body["vendor"]),
            purpose=str(body.get("purpose") or ""),
            hosts=_list(f"{where} hosts", body["hosts"]),
            paths=tuple(_rx(f"{where} paths", p) for p in _list(f"{where} paths", body["paths"])),
            scripts=_list(f"{where} scripts", body.get("scripts", [])),
            script_key=_rx(f"{where} script_key", key_rx) if key_rx else None,
            keys=frozenset(_list(f"{where} keys", body.get("keys", []))),
            sources=_list(f"{where} sources", body["sources"]),
            transport=frozenset(_list(f"{where} transport", body.get("transport", []))),
        )
    pixel = doc.get("generic_pixel") or {}
    return Table(
        services=services,
        pixel_paths=_rx(f"{source}: generic_pixel paths", str(pixel.get("paths", r"$^"))),
        pixel_max_bytes=int(pixel.get("image_response_max_bytes", 512)),
        pixel_sources=_list(f"{source}: generic_pixel sources", pixel.get("sources", ["-"])),
    )


@cache
def table() -> Table:
    return parse(yaml.safe_load(PATH.read_text(encoding="utf-8")), "inventory/data/endpoints.yaml")


def services() -> dict[str, Service]:
    return table().services


@cache
def _for_host(host: str) -> tuple[Service, ...]:
    """The services collecting on ``host`` (cached: a capture repeats few hosts)."""
    return tuple(sv for sv in table().services.values() if sv.has_host(host))


@cache
def _scripts_on(host: str) -> tuple[tuple[str, Service], ...]:
    """(script prefix, service) pairs whose prefix is on ``host``."""
    return tuple(
        (prefix, sv)
        for sv in table().services.values()
        for prefix in sv.scripts
        if prefix == host or prefix.startswith(host + "/")
    )


def _site(host: str) -> str:
    """The registrable-ish part of a host (last two labels; enough to tell first from third party)."""
    parts = host.rsplit(".", 2)
    return ".".join(parts[-2:])


def collects_on(host: str) -> bool:
    """Whether a known service collects on ``host`` (a CONNECT tunnel's host, say)."""
    return bool(_for_host(host.lower()))


def match(
    url: SplitResult, *, page_host: str | None, response_mime: str = "", response_bytes: int | None = None
) -> tuple[str, str] | None:
    """``(service id, vendor name)`` for a collection request, or ``None``.

    A generic pixel is a third-party request (another site than the page's) whose path looks like
    a collector, or whose response is a tiny image, and which carries a query string.
    """
    host = (url.hostname or "").lower()
    if not host:
        return None
    path = url.path or "/"
    t = table()
    for service in _for_host(host):
        if any(p.match(path) for p in service.paths):
            return service.id, service.vendor
    if page_host is None or _site(host) == _site(page_host) or not url.query:
        return None
    tiny_image = (
        response_mime.startswith("image/")
        and response_bytes is not None
        and 0 <= response_bytes <= t.pixel_max_bytes
    )
    if tiny_image or t.pixel_paths.search(path):
        return GENERIC, host
    return None


def script(url: SplitResult) -> tuple[str, str | None] | None:
    """``(service id, key in the script URL or None)`` if this URL loads a known service's SDK."""
    host = (url.hostname or "").lower()
    where = host + (url.path or "")
    for prefix, service in _scripts_on(host):
        if where == prefix or where.startswith(prefix + "/") or host == prefix:
            key = None
            if service.script_key is not None:
                m = service.script_key.search(url.path or "")
                key = m["key"] if m else None
            return service.id, key
    return None
