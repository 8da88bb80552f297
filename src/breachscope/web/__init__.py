"""The team server: the JSON API, sign-in and the console pages (``breachscope serve``).

- :mod:`breachscope.web.app`: the app factory ``create_app(settings)``.
- :mod:`breachscope.web.auth`: sign-in, sessions, CSRF, API tokens, the authorization gate and
  its rules (roles x per-incident membership, deny by default).
- :mod:`breachscope.web.api`: ``/api/v1``, one thin module per noun over the library entry points.
- :mod:`breachscope.web.pages`: the console (server-rendered pages over the library entry
  points), the templates and the vendored static files.

See docs/server.md and docs/console.md.
"""
