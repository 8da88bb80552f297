"""IP addresses (IPv4 and IPv6), candidates validated with Python's ``ipaddress``."""

from __future__ import annotations

import ipaddress
import re

from breachscope.detectors.base import Detector

_V4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_V6 = re.compile(r"[0-9A-Fa-f:]*:[0-9A-Fa-f:.]+")


def valid_ipv4(value: str) -> bool:
    for m in _V4.finditer(value):
        try:
            ipaddress.IPv4Address(m.group(0))
            return True
        except ValueError:
            continue
    return False


def valid_ipv6(value: str) -> bool:
    for m in _V6.finditer(value):
        text = m.group(0).strip(":") if m.group(0).count("::") == 0 else m.group(0)
        try:
            ipaddress.IPv6Address(text)
            return True
        except ValueError:
            continue
    return False


IPV4 = Detector(
    name="ipv4",
    version=2,
    data_class="ip_address",
    # not after a product token's slash (``Chrome/142.0.0.0``, ``Version/1.2.3.4``): a
    # user-agent version is no address; ``//1.2.3.4`` (a URL host) still is
    pattern=r"(?:^|[^\d./]|(?:^|[^\w.])/)(?P<token>(?:\d{1,3}\.){3}\d{1,3})(?:$|[^\d.])",
    validate=valid_ipv4,
    column_hints=(r"^ip$", r"ip_?addr", r"_ip$", r"^ip_", r"remote_?addr", r"client_?ip"),
    family="ip",
    anchor=r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}",
    anti_hints=(r"version", r"^ver$", r"_ver$", r"build", r"release", r"user_?agent", r"^ua$", r"_ua$"),
    description="Dotted-quad IPv4 addresses, each octet 0-255.",
)

IPV6 = Detector(
    name="ipv6",
    version=1,
    data_class="ip_address",
    pattern=(
        r"(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}"
        r"|(?:[0-9A-Fa-f]{1,4}:){1,7}:|:(?::[0-9A-Fa-f]{1,4}){1,7}"
        r"|(?:[0-9A-Fa-f]{1,4}:){1,6}(?::[0-9A-Fa-f]{1,4}){1,6}"
    ),
    validate=valid_ipv6,
    column_hints=IPV4.column_hints,
    family="ip",
    anchor=r"[0-9A-Fa-f]:[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:|::",
    description="Full and compressed IPv6 addresses.",
)

DETECTORS: tuple[Detector, ...] = (IPV4, IPV6)
