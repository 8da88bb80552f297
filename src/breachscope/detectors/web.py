"""Web data: URLs and referrers, referring domains by hint, user agents, device/OS/browser columns."""

from __future__ import annotations

import re

from breachscope.detectors.base import Detector

_API_RECORD = re.compile(r"/api/v\d+(?:\.\d+)?/[^?#\s]*\.(?:json|xml)(?:$|[?#])")


def not_an_api_record(value: str) -> bool:
    """False for a REST resource URL (``https://x.zendesk.com/api/v2/users/1.json``): a record's
    own address, which a connector stores with the record, not a page anyone visited."""
    return _API_RECORD.search(value) is None


URL = Detector(
    name="url",
    version=2,
    data_class="url",
    pattern=r"(?i:https?|ftp|wss?)://[^\s/$.?#][^\s]*|(?i:www)\.[A-Za-z0-9-]+\.[A-Za-z]{2,}",
    validate=not_an_api_record,
    column_hints=(r"url", r"referr?er", r"landing", r"page", r"href", r"link"),
    family="url",
    anchor=r"://|(?i:www)\.",
    description="http(s)/ftp/ws URLs and www. hosts (referrers, landing pages).",
)

DOMAIN = Detector(
    name="referring_domain",
    version=1,
    data_class="url",
    pattern=r"^\s*(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}\.?\s*$",
    column_hints=(r"referr?ing_?domain", r"referr?er", r"domain", r"host", r"site", r"utm_source"),
    requires_hint=True,
    weak=True,
    description="Bare host names in a referrer/domain column.",
)

USER_AGENT = Detector(
    name="user_agent",
    version=1,
    data_class="user_agent",
    pattern=(
        r"Mozilla/\d\.\d \(|AppleWebKit/\d|Dalvik/\d|CFNetwork/\d|okhttp/\d|curl/\d"
        r"|python-requests/\d|Opera/\d|Googlebot/|bingbot/"
    ),
    column_hints=(r"user_?agent", r"^ua$", r"_ua$"),
    family="ua",
    anchor=r"Mozilla/|AppleWebKit/|Dalvik/|CFNetwork/|okhttp/|curl/|python-requests/|Opera/|Googlebot/|bingbot/",
    description="HTTP User-Agent strings of browsers, apps and bots.",
)

DEVICE = Detector(
    name="device",
    version=1,
    data_class="device",
    pattern=r"^[\w .,;:()/+-]{1,80}$",
    column_hints=(
        r"^os$",
        r"_os$",
        r"^os_",
        r"browser",
        r"device",
        r"model",
        r"manufacturer",
        r"platform",
        r"screen",
        r"carrier",
        r"app_?version",
        r"lib_?version",
        r"radio",
        r"wifi",
    ),
    requires_hint=True,
    weak=True,
    anti_hints=(r"device_?id", r"_id$"),
    description="Operating system, browser, model, screen values in device-named columns.",
)

DETECTORS: tuple[Detector, ...] = (URL, DOMAIN, USER_AGENT, DEVICE)
