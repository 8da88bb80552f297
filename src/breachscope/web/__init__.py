"""The team server: the JSON API, sign-in and the console pages (``breachscope serve``).

``web.pages`` holds the console (server-rendered pages over the library entry points), the
templates and the vendored static files; the app factory, accounts and the API live beside it.
"""
