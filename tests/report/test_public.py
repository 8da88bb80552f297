"""The public incident page and the ``breachscope report`` commands, on the pipeline-built case."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from breachscope.cli import cli
from breachscope.report import gather
from breachscope.report.build import class_names
from breachscope.report.public import public_html

from .conftest import HOSTILE_NAME, BuiltCase
from .test_report import _text


@pytest.fixture(scope="module")
def pages(built_case: BuiltCase) -> dict[str, str]:
    data = gather(built_case.engine, built_case.incident_id, clock=built_case.clock)
    return {lang: public_html(data, built_case.config, lang) for lang in ("en", "id")}


@pytest.mark.parametrize(
    ("lang", "sentences"),
    [
        (
            "en",
            [
                "On 2025-11-09, Mixpanel detected a security incident.",
                "Mixpanel told us that an attacker from outside obtained a dataset from its systems.",
                "Our own systems were not breached.",
                "We learned of it on 2025-11-27.",
                "records in the file we received. None of them contained:",
                "We are working with Mixpanel to understand the incident.",
                "We are telling the people affected directly, by email.",
                "Our notices come only from security@example.com, on our official domain example.com.",
                "They contain no links and no attachments.",
                "a four-word verification phrase.",
                "We will never ask you, by email, message or phone, for your password, a one-time code, "
                "an API key or payment details.",
                "2025-11-27: we learned of the incident.",
                "2025-11-27: we began notifying the people affected.",
                "You can also call us on +62 21 555 0100 and give the reference.",
            ],
        ),
        (
            "id",
            [
                "Pada 2025-11-09, Mixpanel mendeteksi sebuah insiden keamanan.",
                "Mixpanel memberi tahu kami bahwa seorang penyerang dari luar memperoleh sebuah dataset "
                "dari sistemnya.",
                "Sistem kami sendiri tidak dibobol.",
                "Kami bekerja sama dengan Mixpanel untuk memahami insiden ini.",
                "Pemberitahuan kami hanya dikirim dari security@example.com, di domain resmi kami "
                "example.com.",
                "Kami tidak akan pernah meminta, melalui surel, pesan atau telepon, kata sandi, kode sekali "
                "pakai, kunci API atau data pembayaran Anda.",
                "2025-11-27: kami mengetahui insiden ini.",
                "2025-11-27: kami mulai memberi tahu orang-orang yang terdampak.",
            ],
        ),
    ],
)
def test_public_page_states_recorded_facts(pages: dict[str, str], lang: str, sentences: list[str]) -> None:
    text = _text(pages[lang])
    for sentence in sentences:
        assert sentence in text, sentence


@pytest.mark.parametrize("lang", ["en", "id"])
def test_not_checked_classes_are_not_claimed_absent(
    built_case: BuiltCase, pages: dict[str, str], lang: str
) -> None:
    names = class_names(gather(built_case.engine, built_case.incident_id), lang)
    assert names.not_checked and names.absent
    text = _text(pages[lang])
    start = text.index("None of them contained:" if lang == "en" else "Tidak satu pun memuat:")
    end = text.index("We have not checked" if lang == "en" else "Kami belum memeriksa")
    absent_part, after = text[start:end], text[end : end + 600]
    for name in names.not_checked:
        assert name not in absent_part and name in after
    for name in names.absent:
        assert name in absent_part


@pytest.mark.parametrize("lang", ["en", "id"])
def test_public_page_loads_nothing_and_runs_nothing(pages: dict[str, str], lang: str) -> None:
    page = pages[lang]
    assert not re.search(r"<(script|img|iframe|object|embed|link)\b", page)
    assert not re.search(r"<[^>]+\s(src|srcset)=", page)
    assert "default-src &#39;none&#39;" in page and "unsafe" not in page
    links = re.findall(r"<a\b[^>]*href=\"([^\"]*)\"", page)
    assert links == ["id.html" if lang == "en" else "index.html"]  # only the other language, beside it
    assert "http://" not in page and "https://" not in page
    assert "<iframe" not in page and "evil[.]example" in page  # the description is shown, defanged
    assert HOSTILE_NAME not in page


def test_cli_writes_report_and_public_page(built_case: BuiltCase, tmp_path: Path) -> None:
    db = str(built_case.engine.url)
    toml = tmp_path / "notify.toml"
    toml.write_text(
        '[notify]\ncompany = "Example Corp"\nofficial_domain = "example.com"\n'
        'from = "Example Security <security@example.com>"\n'
    )
    runner = CliRunner()
    out = tmp_path / "r.html"
    res = runner.invoke(cli, ["report", "--db", db, "--incident", "1", "--html", str(out), "--lang", "id"])
    assert res.exit_code == 0, res.output
    assert f"Wrote {out}" in res.output
    assert "Laporan insiden" in out.read_text() and stat.S_IMODE(out.stat().st_mode) == 0o600
    res = runner.invoke(
        cli,
        [
            "report",
            "public",
            "--db",
            db,
            "--incident",
            "1",
            "--config",
            str(toml),
            "--out",
            str(tmp_path / "site"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (tmp_path / "site").iterdir()) == ["id.html", "index.html"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "--html", "x.html"], "which incident?"),
        (["report", "--incident", "1"], "nothing to write"),
        (["report", "--incident", "99", "--html", "x.html"], "99"),
        (["report", "--incident", "1", "--html", "x.html", "--lang", "fr"], "'fr' is not one of"),
    ],
)
def test_cli_errors_are_clean(built_case: BuiltCase, tmp_path: Path, args: list[str], message: str) -> None:
    res = CliRunner().invoke(cli, [args[0], "--db", str(built_case.engine.url), *args[1:]])
    assert res.exit_code != 0 and message in res.output and "Traceback" not in res.output
