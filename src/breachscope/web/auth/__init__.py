"""Sign-in, sessions, CSRF and the authorization gate of the team server.

- :mod:`.rules`: roles -> permissions and the rule of every route (data).
- :mod:`.gate`: the one check every request goes through (``authorize``) and ``Who``.
- :mod:`.signin`: password + TOTP under throttling, session cookies.
- :mod:`.routes`: ``/api/v1/auth/...`` and ``/api/v1/tokens``.
"""
