"""``breachscope check-mail``, ``watch mailbox`` and ``watch reported`` on the command line."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

from breachscope.cli import cli
from breachscope.watch.mail.service import MailSettings
from tests.watch.mail.conftest import Case, Keys
from tests.watch.mail.dovecot import dovecot
from tests.watch.mail.test_imap import _append
from tests.watch.mail.test_service import phish


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def test_check_mail_prints_verdicts_reasons_and_defanged_links(
    case: Case, keys: Keys, settings: MailSettings, tmp_path: Path
) -> None:
    db = str(case.engine.url)
    where = f"127.0.0.1:{settings.resolver.port}"
    (tmp_path / "p.eml").write_bytes(phish(keys, 1))
    (tmp_path / "n.eml").write_bytes(case.notices[0])
    code, out = _run(
        "check-mail",
        str(tmp_path / "p.eml"),
        str(tmp_path / "n.eml"),
        "--db",
        db,
        "--incident",
        "1",
        "--resolver",
        where,
    )
    assert code == 0, out
    assert "PHISHING" in out and "GENUINE" in out
    assert "is a look-alike of example[.]com: registered look-alike on the watch list" in out
    assert "DKIM exarnple[.]com=pass" in out and "quotes data about the recipient that was in the leak" in out
    assert "https://" not in out and "Budi" not in out.split("PHISHING")[0]
    assert "2 message(s): 1 phishing, 0 suspicious, 1 genuine" in out
    code, out = _run(
        "check-mail",
        str(tmp_path / "p.eml"),
        "--db",
        db,
        "--incident",
        "1",
        "--resolver",
        where,
        "--json",
        "-",
    )
    data = json.loads(out)
    assert data["messages"][0]["new"] is False and data["messages"][0]["verdict"] == "phishing"
    code, out = _run("watch", "reported", "--db", db, "--incident", "1", "--json", "-")
    counts = json.loads(out)
    assert counts["totals"]["phishing"] == 1 and counts["totals"]["genuine"] == 1
    assert counts["lookalike_domains"][0]["domain"] == "exarnple.com"
    code, out = _run("watch", "reported", "--db", db, "--incident", "1")
    assert code == 0 and "exarnple[.]com" in out and "total: 1 phishing (1 using the leak)" in out


def test_without_incident_and_bad_input(settings: MailSettings, keys: Keys, tmp_path: Path) -> None:
    (tmp_path / "p.eml").write_bytes(phish(keys, 1))
    where = f"127.0.0.1:{settings.resolver.port}"
    code, out = _run(
        "check-mail", str(tmp_path / "p.eml"), "--domain", "example.com", "--resolver", where, "--json", "-"
    )
    assert code == 0 and json.loads(out)["messages"][0]["verdict"] == "phishing"
    result = CliRunner().invoke(
        cli,
        ["check-mail", "-", "--domain", "example.com", "--resolver", where, "--json", "-"],
        input=phish(keys, 2),
    )
    assert result.exit_code == 0 and json.loads(result.output)["messages"][0]["name"] == "standard input"
    code, out = _run("check-mail", str(tmp_path / "missing.eml"))
    assert code == 2
    code, out = _run("check-mail", str(tmp_path / "p.eml"), "--domain", "exa\x07mple.com")
    assert code == 2 and "refused" in out


def test_watch_mailbox_maildir_and_imap(
    case: Case, keys: Keys, settings: MailSettings, tmp_path: Path
) -> None:
    db = str(case.engine.url)
    where = f"127.0.0.1:{settings.resolver.port}"
    md = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (md / sub).mkdir(parents=True)
    (md / "new" / "1").write_bytes(phish(keys, 1))
    code, out = _run(
        "watch", "mailbox", "--db", db, "--incident", "1", "--maildir", str(md), "--resolver", where
    )
    assert code == 0 and "PHISHING new/1\n" in out, out
    code, out = _run("watch", "mailbox", "--db", db, "--incident", "1", "--resolver", where)
    assert code == 2 and "exactly one of" in out
    with dovecot(tmp_path) as imap:
        _append(imap, phish(keys, 2))
        url = f"imap://{imap.user}@{imap.host}:{imap.port}"
        args = (
            "watch",
            "mailbox",
            "--db",
            db,
            "--incident",
            "1",
            "--imap",
            url,
            "--plain",
            "--resolver",
            where,
        )
        code, out = _run(*args, env={"BREACHSCOPE_IMAP_PASSWORD": ""})
        assert code != 0 and "BREACHSCOPE_IMAP_PASSWORD" in out
        code, out = _run(*args, "--json", "-", env={"BREACHSCOPE_IMAP_PASSWORD": imap.password})
        assert code == 0, out
        assert [m["verdict"] for m in json.loads(out)["messages"]] == ["phishing"]
    assert "s3cret" not in os.environ.get("BREACHSCOPE_IMAP_PASSWORD", "")
