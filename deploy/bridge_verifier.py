"""What the messaging bridge runs on each Prospector webhook request (standard library
only: copy it into the bridge). The tests' bridge runs this very file.

Prospector posts JSON ``{"draft_id", "thread", "body"}`` with the headers
``Idempotency-Key: <draft id>`` and ``X-Prospector-Signature: t=<unix time>,v2=<hex>``,
where ``<hex>`` is the HMAC-SHA256, keyed with BRIDGE_SIGNING_SECRET, of
``<t>.<Idempotency-Key>.<raw body>``. A retried send (a sweep, or a post that timed out
and was approved again) carries the same key with a fresh ``t``.
"""

import hashlib
import hmac
import threading
import time

# A signature older (or newer) than this is refused: a captured request replays only
# within it, and then only under its own key, which ``Deliveries`` has already seen.
TOLERANCE_SECONDS = 300


def signature_valid(
    *, raw_body: bytes, idempotency_key: str, header: str, secret: bytes, now: float | None = None
) -> bool:
    """Whether ``header`` signs this body under this key, recently."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        stamp = int(fields["t"])
        given = fields["v2"]
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - stamp) > TOLERANCE_SECONDS:
        return False
    signed = f"{stamp}.{idempotency_key}.".encode() + raw_body
    expected = hmac.new(secret, signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given)


class Deliveries:
    """The replay cache: idempotency keys already delivered. A second request with one is
    acknowledged and never delivered again.

    Prospector may re-post a draft long after the signature window (a post that timed out,
    approved again days later), so keep keys for good, or at least 30 days: in production
    a table with a unique key, written in the transaction that queues the message. This
    in-memory one serves a single process.
    """

    def __init__(self) -> None:
        self._keys: set[str] = set()
        self._lock = threading.Lock()

    def first(self, idempotency_key: str) -> bool:
        """Records the key; True only the first time it is seen."""
        with self._lock:
            if idempotency_key in self._keys:
                return False
            self._keys.add(idempotency_key)
            return True


def answer(*, raw_body: bytes, headers, secret: bytes, deliveries: Deliveries) -> tuple[int, bool]:
    """The HTTP status to answer, and whether to deliver the message: 401 for a forged or
    stale request; 200 without delivering for a key already delivered (a replay, or our
    own retry of a send that arrived); 202 and deliver for a new one."""
    key = headers.get("Idempotency-Key", "")
    header = headers.get("X-Prospector-Signature", "")
    if not key or not signature_valid(
        raw_body=raw_body, idempotency_key=key, header=header, secret=secret
    ):
        return 401, False
    if not deliveries.first(key):
        return 200, False
    return 202, True
