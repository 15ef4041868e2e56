"""Signing in and posting to the panel as a browser (or htmx) does, and reading its forms."""

import re
from html import unescape

from django.test import Client

HTMX = {"HTTP_HX_REQUEST": "true"}


def logged_in(user, *, csrf_checks=False) -> Client:
    client = Client(enforce_csrf_checks=csrf_checks)
    client.force_login(user)
    return client


def csrf_post(client: Client, url: str, data=None):
    """POST as htmx does: the token from the page's cookie in the X-CSRFToken header."""
    client.get("/")
    token = client.cookies["csrftoken"].value
    return client.post(url, data or {}, HTTP_X_CSRFTOKEN=token, **HTMX)


def field_error(page: str, field: str) -> str:
    """The text of the error element right after the field ``field``."""
    match = re.search(rf'<[a-z]+ class="field-error" id="id_{field}_error">([^<]*)<', page)
    assert match, f"no error next to {field}"
    return match[1]


def visible_text(html: str) -> str:
    """What a person reads on ``html``: the text between tags, not attributes or values
    (a select's option values are codes by design; its labels are words)."""
    without_markup = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", without_markup)).split())
