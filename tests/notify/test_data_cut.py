"""A server that drops the connection in the middle of DATA (before the final dot).

Before: the body fit in the socket buffer, the dot was "sent" into a dead connection, and the
notice was recorded "sent (unconfirmed)": 100 of 700 recipients got nothing while the summary
said "sent 700". Now only a notice whose final dot was really written may be unconfirmed; one
cut before the dot is re-queued and sent by the same run (or the next), the summary counts
sent / unconfirmed / queued apart, and ``notify status`` names the cause.
"""

from __future__ import annotations

import email
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from email import policy
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from breachscope.cli import cli
from breachscope.notify.config import NotifyConfig, from_mapping
from breachscope.notify.mailer import CUT_BEFORE_DOT, Outgoing
from breachscope.notify.queue import outbox_counts, queue_notices
from breachscope.notify.sender import DeliveryRun
from breachscope.notify.service import make_renderer, make_signer, status
from breachscope.notify.smtp import SmtpMailer

from .conftest import DkimKey, config_mapping, user_ctx
from .cutting_server import CuttingServer

N = 70
CUT = set(range(3, N, 7))  # 10 of 70, like 100 of 700


@pytest.fixture
def cutting() -> Iterator[CuttingServer]:
    server = CuttingServer(cut=set(CUT)).start()
    yield server
    server.stop()


class HeldAtTheDot(SmtpMailer):
    """The real SMTP mailer; for a message the server cuts, it reaches the final dot only after the
    server has hung up, so the test does not depend on thread timing (the real-world order)."""

    def __init__(self, config: NotifyConfig, server: CuttingServer) -> None:
        super().__init__(config.smtp)
        self.server = server

    def send(self, mail: Outgoing, before_final_dot: Callable[[], None]) -> str:
        def held() -> None:
            number = self.server.data_started
            if number in self.server.cut:
                assert self.server.cut_done[number].wait(5)
            before_final_dot()

        return super().send(mail, held)


def _config(dkim_key: DkimKey, port: int) -> NotifyConfig:
    return from_mapping(config_mapping(dkim_key, port, max_attempts=3))


def test_a_notice_cut_before_the_dot_is_requeued_and_sent(
    engine: Engine, dkim_key: DkimKey, cutting: CuttingServer
) -> None:
    config = _config(dkim_key, cutting.port)
    queue_notices(engine, [user_ctx(i) for i in range(N)], renderer=make_renderer(config), config=config)
    sender = DeliveryRun(
        engine, 1, config=config, signer=make_signer(config), mailer=HeldAtTheDot(config, cutting)
    )
    summary = sender.run()
    assert (summary.sent, summary.unconfirmed, summary.remaining) == (N, 0, 0)
    assert summary.cut_before_dot == len(CUT) and summary.deferred == len(CUT)
    received = sorted(str(email.message_from_bytes(b, policy=policy.default)["To"]) for b in cutting.accepted)
    assert received == sorted(f"User {i} <user{i}@example.org>" for i in range(N))  # each exactly once
    assert outbox_counts(engine, 1)["user"]["sent"] == N
    assert not status(engine, 1)["unconfirmed"]


def test_summary_and_status_name_the_cause(
    engine: Engine, dkim_key: DkimKey, cutting: CuttingServer, tmp_path: Path
) -> None:
    """With no time for a retry in the run, the cut notices stay queued and say why."""
    config = _config(dkim_key, cutting.port)
    config = replace(config, smtp=replace(config.smtp, backoff_base_s=3600, backoff_max_s=3600, linger_s=0))
    queue_notices(engine, [user_ctx(i) for i in range(N)], renderer=make_renderer(config), config=config)
    sender = DeliveryRun(
        engine, 1, config=config, signer=make_signer(config), mailer=HeldAtTheDot(config, cutting)
    )
    summary = sender.run()
    assert (summary.sent, summary.unconfirmed, summary.remaining) == (N - len(CUT), 0, len(CUT))
    info = status(engine, 1)
    assert info["queued_for_retry"] == {CUT_BEFORE_DOT: len(CUT)}
    assert info["outbox"]["user"]["queued"] == len(CUT)
    url = str(engine.url)
    result = CliRunner().invoke(
        cli, ["notify", "status", "--incident", "1", "--db", url], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert f"{len(CUT)}: {CUT_BEFORE_DOT}" in result.output
    as_json = CliRunner().invoke(cli, ["notify", "status", "--incident", "1", "--db", url, "--json"])
    assert json.loads(as_json.output)["queued_for_retry"] == {CUT_BEFORE_DOT: len(CUT)}


def test_unheld_cuts_are_requeued_too(engine: Engine, dkim_key: DkimKey, cutting: CuttingServer) -> None:
    """Without holding the client, the dot races the hang-up and is often written into a connection
    the server is closing; the server resets it (it closes with our dot unread), so the notice is
    re-queued and sent, never counted as sent or left unconfirmed."""
    config = from_mapping(config_mapping(dkim_key, cutting.port, max_attempts=6))
    queue_notices(engine, [user_ctx(i) for i in range(N)], renderer=make_renderer(config), config=config)
    sender = DeliveryRun(engine, 1, config=config, signer=make_signer(config), mailer=SmtpMailer(config.smtp))
    summary = sender.run()
    assert summary.sent == len(cutting.accepted) == N
    assert (summary.unconfirmed, summary.remaining, summary.failed) == (0, 0, 0)
    assert summary.cut_before_dot >= len(CUT)
