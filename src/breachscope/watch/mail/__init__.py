"""Reported mail: check a message reported as phishing against the incident (``check-mail``).

Layers inside: :mod:`.parse` (standard library, budgets, hostile MIME reported),
:mod:`.links` (every link and its real target, defanged), :mod:`.domains` (official /
look-alike / confusable), :mod:`.auth` (DKIM, ARC, SPF, DMARC against the configured resolver),
:mod:`.signs` (phrases as data), :mod:`.check` (the verdict with its reasons),
:mod:`.store` and :mod:`.service` (the incident: outbox, leaked data, counts, tasks),
:mod:`.mailbox` (Maildir and IMAP). See docs/watch.md.
"""
