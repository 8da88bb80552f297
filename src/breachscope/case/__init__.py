"""The incident case: one database every stage reads and writes.

- :mod:`breachscope.case.db`: ``open_case_db(url)`` (migrates to ``heads``; only
  ``create=True`` makes a new database), ``session_scope``.
- :mod:`breachscope.case.keys`, :mod:`breachscope.case.rekey`: the per-case key, kept apart.
- :mod:`breachscope.case.api`: the case API (incidents, timeline, datasets, exposures).
- :mod:`breachscope.case.models`: the SQLAlchemy models, on :class:`breachscope.case.base.Base`.
- :mod:`breachscope.case.purge`: purge that deletes person-derived rows and verifies.

The case is storage only: it imports no stage (scan, exposures, scope, rules, notify); every
stage imports it.

See docs/case.md.
"""
