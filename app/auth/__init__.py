"""Curators: the only people who may write (metadata corrections). Accounts and API tokens
(:mod:`app.auth.accounts`), signed session cookies and CSRF tokens (:mod:`app.auth.sessions`),
the sign-in throttle (:mod:`app.auth.throttle`) and what a route asks (:mod:`app.auth.guard`).
No HTTP in the first three; searching never needs any of it.
"""
