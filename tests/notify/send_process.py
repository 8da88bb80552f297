"""Run one delivery in its own process (the crash tests kill it with SIGKILL)."""

from __future__ import annotations

import sys
from pathlib import Path

from breachscope.case.db import open_case_db
from breachscope.notify.config import load_config
from breachscope.notify.sender import DeliveryRun
from breachscope.notify.service import make_signer
from breachscope.notify.smtp import SmtpMailer


def main() -> int:
    db_url, config_path = sys.argv[1], Path(sys.argv[2])
    config = load_config(config_path, env={})
    engine = open_case_db(db_url)
    summary = DeliveryRun(
        engine,
        1,
        mailer_factory=lambda: SmtpMailer(config.smtp),  # [notify.smtp] connections of them
        config=config,
        signer=make_signer(config),
        resend_unconfirmed="--resend-unconfirmed" in sys.argv[3:],
    ).run()
    print(summary.to_dict(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
