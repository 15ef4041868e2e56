"""`manage.py check --deploy` for the project's own settings, in the operator's words.

Django checks its own settings (DEBUG, HSTS, the secret key); these cover what it cannot
know: the bridge's signing secret, the metrics token, where the client address is read
behind nginx, and the one switch (SECURE_COOKIES) behind both cookie flags. Registered
by ``prospects.apps``.
"""

from django.conf import settings
from django.core import checks

# HMAC-SHA256 keys and bearer tokens: 32 bytes is what a random one needs to resist
# guessing offline, and what `secrets.token_urlsafe(32)` gives.
MIN_SECRET_BYTES = 32
NEW_SECRET = 'python3 -c "import secrets; print(secrets.token_urlsafe(32))"'


def weak_secret(name: str, value: str) -> str | None:
    """Why the secret in setting ``name`` is too weak to sign or authenticate with; None
    when it will do."""
    size = len(value.encode())
    if size == 0:
        return f"{name} is not set."
    if size < MIN_SECRET_BYTES:
        return f"{name} has {size} bytes; it needs at least {MIN_SECRET_BYTES}."
    return None


@checks.register(checks.Tags.security, deploy=True)
def bridge_signing_secret(app_configs, **kwargs) -> list:
    problem = settings.BRIDGE_WEBHOOK_URL and weak_secret(
        "BRIDGE_SIGNING_SECRET", settings.BRIDGE_SIGNING_SECRET
    )
    if not problem:
        return []
    return [
        checks.Error(
            f"{problem} The bridge webhook is set, and anyone could forge our requests to it; "
            "until it is fixed every send is held `no_bridge`.",
            hint=f"Set BRIDGE_SIGNING_SECRET to a new random value ({NEW_SECRET}) "
            "and give the bridge the same one.",
            id="prospector.E001",
        )
    ]


@checks.register(checks.Tags.security, deploy=True)
def metrics_token(app_configs, **kwargs) -> list:
    # Unset is a choice: /metrics then answers direct loopback callers only.
    problem = settings.METRICS_TOKEN and weak_secret("METRICS_TOKEN", settings.METRICS_TOKEN)
    if not problem:
        return []
    return [
        checks.Error(
            f"{problem} Anyone who guesses it reads /metrics.",
            hint=f"Set METRICS_TOKEN to a random value ({NEW_SECRET}), or unset it.",
            id="prospector.E002",
        )
    ]


@checks.register(checks.Tags.security, deploy=True)
def client_address(app_configs, **kwargs) -> list:
    # SECURE_PROXY_SSL_HEADER says a proxy terminates TLS, so REMOTE_ADDR is the proxy's.
    behind_proxy = bool(settings.SECURE_PROXY_SSL_HEADER)
    if not behind_proxy or settings.RATELIMIT_IP_META_KEY not in ("", "REMOTE_ADDR"):
        return []
    return [
        checks.Warning(
            "Sign-in limits read the client address from REMOTE_ADDR, which behind nginx is "
            "127.0.0.1 for everyone: ten failed sign-ins lock every user out.",
            hint="Set RATELIMIT_IP_META_KEY=HTTP_X_REAL_IP (deploy/nginx/prospector.conf "
            "sets X-Real-IP), and never let clients reach gunicorn directly.",
            id="prospector.W003",
        )
    ]


@checks.register(checks.Tags.security, deploy=True)
def secure_cookies(app_configs, **kwargs) -> list:
    if settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE:
        return []
    return [
        checks.Warning(
            "SECURE_COOKIES is off: the session and CSRF cookies also travel over plain "
            "HTTP, where anyone on the path can read a session.",
            hint="Set SECURE_COOKIES=1 (the default unless DEBUG).",
            id="prospector.W004",
        )
    ]
