"""The signature on every request Prospector posts out: the messaging bridge's webhook and
integrators' event webhooks carry the same header, checked the same way
(deploy/bridge_verifier.py)."""

import hashlib
import hmac

from django.conf import settings

SIGNATURE_HEADER = "X-Prospector-Signature"


def signature(body: bytes, *, idempotency_key: str, timestamp: int) -> str:
    """``t=<unix time>,v2=<hex>``: the HMAC-SHA256, keyed with BRIDGE_SIGNING_SECRET, of
    ``<t>.<Idempotency-Key>.<raw body>``. The key is signed so that a captured request
    cannot be replayed under another key, past the receiver's de-duplication; the receiver
    refuses a stale ``t`` (deploy/bridge_verifier.py)."""
    signed = f"{timestamp}.{idempotency_key}.".encode() + body
    digest = hmac.new(settings.BRIDGE_SIGNING_SECRET.encode(), signed, hashlib.sha256)
    return f"t={timestamp},v2={digest.hexdigest()}"
