"""The incident case: one database every stage reads and writes.

- :mod:`breachscope.case.db`: ``open_case_db(url)`` (migrates to ``heads``), ``session_scope``.
- :mod:`breachscope.case.api`: the case API (incidents, timeline, datasets, exposures, purge).
- :mod:`breachscope.case.models`: the SQLAlchemy models, on :class:`breachscope.case.base.Base`.
- :mod:`breachscope.case.attach`: hash, scan and extract a leaked file into a case.
- :mod:`breachscope.case.testing`: helpers for tests that need a case.

See docs/case.md.
"""
