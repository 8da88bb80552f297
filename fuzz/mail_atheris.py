"""Coverage-guided fuzzing of reported-mail checking with atheris (libFuzzer), part of ``make fuzz``.

    pip install -e '.[fuzz]'
    python fuzz/mail_atheris.py -max_total_time=600 fuzz/mail-corpus

Each input is a message. The target parses it (budgets, hostile MIME), lists its links, judges
its domains, runs DKIM/ARC/SPF/DMARC (with no DNS server: every lookup is "not answered") and
gives a verdict; nothing may raise, and a message is never genuine without an incident. The
seed corpus (created on first run) holds the test corpus's shapes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# coverage of the mail code and the stdlib parsers it drives (instrumenting every dependency
# takes minutes on a loaded machine)
with atheris.instrument_imports(include=["breachscope.watch.mail", "email", "html"]):
    from breachscope.watch.mail.auth import DnsLookups
    from breachscope.watch.mail.check import check_message
    from breachscope.watch.mail.domains import DomainJudge
    from breachscope.watch.resolve import ResolverSettings

JUDGE = DomainJudge(["example.com"])
LOOKUPS = DnsLookups(ResolverSettings(nameserver="127.0.0.1", port=9, timeout=0.01, lifetime=0.01))


def one_input(data: bytes) -> None:
    check = check_message(data, judge=JUDGE, lookups=LOOKUPS)
    assert check.verdict in ("suspicious", "phishing"), check.verdict


def seed(folder: Path) -> None:
    from tests.watch.mail.corpus import PHISH_HTML, PHISH_ID, PHISH_TEXT, message
    from tests.watch.mail.test_parse import SEEDS

    folder.mkdir(parents=True, exist_ok=True)
    shapes = [
        message(from_="a@exarnple.com", subject="s", text=PHISH_TEXT, html=PHISH_HTML),
        message(from_="b@mail.test", subject="s", text=PHISH_ID),
        *SEEDS,
    ]
    for i, raw in enumerate(shapes):
        (folder / f"seed-{i}").write_bytes(raw)


if __name__ == "__main__":
    corpus = [a for a in sys.argv[1:] if not a.startswith("-")]
    for c in corpus:
        if not Path(c).exists() or not any(Path(c).iterdir()):
            seed(Path(c))
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
