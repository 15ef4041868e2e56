"""The bridge webhook (issue 31): never signed with a weak key, its Idempotency-Key signed
too, replays refused by the documented verifier, and a post that timed out never followed
by a second reply."""

import json
import socket

import httpx
import pytest
from django.core.exceptions import ValidationError

from core.clock import now
from deploy.bridge_verifier import TOLERANCE_SECONDS, signature_valid
from engines.holds import HoldReason
from prospects.drafting.dispatch import (
    SIGNATURE_HEADER,
    bridge_unusable,
    draft_dispatch,
    signature,
)
from prospects.jobs.services import job_create
from prospects.models import Draft
from prospects.review.services import draft_approve, draft_correct
from tests.support.bridge import BRIDGE_SECRET
from tests.support.drafting import ingest
from tests.support.factories import make_inbound

pytestmark = pytest.mark.django_db


def _sent(coworker, body="Hi", **inbound) -> Draft:
    draft = ingest(make_inbound(body, **inbound)).draft
    draft_approve(draft_id=draft.id, user=coworker)
    return draft_dispatch(draft_id=draft.id)


class TestSigningSecret:
    @pytest.mark.parametrize("secret", ["", "x" * 31])
    def test_a_bridge_url_without_a_32_byte_secret_sends_nothing(
        self, secret, canon, coworker, bridge, settings
    ):
        settings.BRIDGE_SIGNING_SECRET = secret
        held = _sent(coworker)

        assert (held.status, held.hold_reason) == (Draft.Status.HELD, HoldReason.NO_BRIDGE)
        assert "BRIDGE_SIGNING_SECRET" in held.hold_detail
        assert bridge.keys == []

    def test_32_bytes_are_enough(self, bridge, settings):
        settings.BRIDGE_SIGNING_SECRET = "é" * 16  # 16 characters, 32 bytes

        assert bridge_unusable() is None


class TestSignature:
    def test_the_signature_covers_the_idempotency_key(self, canon, coworker, bridge):
        draft = _sent(coworker)
        received = bridge.received[0]
        arguments = {"raw_body": received["raw"], "header": received["signature"]}

        assert received["signature"].startswith("t=")
        assert signature_valid(
            **arguments, idempotency_key=str(draft.id), secret=BRIDGE_SECRET.encode()
        )
        assert not signature_valid(
            **arguments, idempotency_key="another-key", secret=BRIDGE_SECRET.encode()
        )

    def test_a_request_replayed_under_another_key_is_refused(self, canon, coworker, bridge):
        _sent(coworker)
        captured = bridge.received[0]

        replay = _post(bridge, captured["raw"], key="replayed-key", signed=captured["signature"])

        assert replay.status_code == 401
        assert len(bridge.received) == 1

    def test_a_second_delivery_of_the_same_draft_is_acknowledged_not_delivered(
        self, canon, coworker, bridge
    ):
        draft = _sent(coworker)
        captured = bridge.received[0]

        replay = _post(bridge, captured["raw"], key=str(draft.id), signed=captured["signature"])

        assert replay.status_code == 200
        assert [payload["draft_id"] for payload in bridge.received] == [str(draft.id)]

    def test_a_forged_or_stale_signature_is_refused(self, bridge, settings):
        body = json.dumps({"draft_id": "d-1", "thread": "t", "body": "Hi"}).encode()
        stamp = int(now().timestamp())
        stale = signature(body, idempotency_key="d-1", timestamp=stamp - TOLERANCE_SECONDS - 1)
        settings.BRIDGE_SIGNING_SECRET = "not-the-bridge-secret-but-long-enough-000"
        forged = signature(body, idempotency_key="d-1", timestamp=stamp)

        assert _post(bridge, body, key="d-1", signed=forged).status_code == 401
        assert _post(bridge, body, key="d-1", signed=stale).status_code == 401
        assert bridge.received == []


def _post(bridge, body: bytes, *, key: str, signed: str) -> httpx.Response:
    return httpx.post(
        bridge.url,
        content=body,
        headers={"Idempotency-Key": key, SIGNATURE_HEADER: signed},
    )


class TestTimeout:
    @pytest.fixture
    def timed_out(self, auto_send_opener, bridge, settings, django_capture_on_commit_callbacks):
        """An auto-sent reply the bridge took but never answered."""
        settings.BRIDGE_TIMEOUT_SECONDS = 0.2
        bridge.stall = True
        with django_capture_on_commit_callbacks(execute=True):
            draft = ingest(make_inbound("Hi", thread="slow-bridge")).draft
        bridge.stall = False
        return Draft.objects.get(id=draft.id)

    def test_a_timed_out_post_is_held_bridge_unknown(self, timed_out, bridge):
        assert (timed_out.status, timed_out.hold_reason) == (
            Draft.Status.HELD,
            HoldReason.BRIDGE_UNKNOWN,
        )
        assert "may have been delivered" in timed_out.hold_detail
        assert len(bridge.received) == 1

    def test_a_job_sends_no_second_reply_to_a_message_whose_post_timed_out(
        self, timed_out, operator, bridge, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            job_create(user=operator, thread_ids=[timed_out.thread_id], engine_id="template")

        redraft = Draft.objects.exclude(id=timed_out.id).get()
        assert (redraft.status, redraft.hold_reason) == (
            Draft.Status.HELD,
            HoldReason.ALREADY_ANSWERED,
        )
        assert bridge.keys == [str(timed_out.id)]

    def test_a_timed_out_post_counts_toward_the_daily_cap(
        self, timed_out, coworker, bridge, settings
    ):
        settings.GATE2_MAX_SENDS_PER_DAY = 1

        second = _sent(coworker, "Are you free Friday?", thread="slow-bridge")

        assert (second.hold_reason, "send_rate" in second.hold_detail) == (HoldReason.GATE2, True)
        assert bridge.keys == [str(timed_out.id)]

    def test_approving_it_again_reposts_it_under_the_same_key(
        self, timed_out, coworker, bridge, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            draft_approve(draft_id=timed_out.id, user=coworker)

        assert Draft.objects.get(id=timed_out.id).status == Draft.Status.SENT
        assert bridge.keys == [str(timed_out.id)] * 2
        assert len(bridge.received) == 1  # the bridge delivered the key once

    def test_a_reviewed_draft_held_unknown_is_approved_again_and_never_edited(
        self, timed_out, coworker, bridge, django_capture_on_commit_callbacks
    ):
        Draft.objects.filter(id=timed_out.id).update(reviewed_at=timed_out.created_at)
        with pytest.raises(ValidationError) as refused:
            draft_correct(draft_id=timed_out.id, user=coworker, body="Another text altogether.")
        with django_capture_on_commit_callbacks(execute=True):
            draft_approve(draft_id=timed_out.id, user=coworker)

        assert "may already have been delivered" in refused.value.message_dict["body"][0]
        assert Draft.objects.get(id=timed_out.id).status == Draft.Status.SENT
        assert bridge.keys == [str(timed_out.id)] * 2

    def test_a_bridge_that_cannot_be_reached_is_a_bridge_error(
        self, auto_send_opener, bridge, settings, django_capture_on_commit_callbacks
    ):
        with socket.socket() as bound:  # bound, never listening: the connection is refused
            bound.bind(("127.0.0.1", 0))
            settings.BRIDGE_WEBHOOK_URL = f"http://127.0.0.1:{bound.getsockname()[1]}/send"
            with django_capture_on_commit_callbacks(execute=True):
                draft = ingest(make_inbound("Hi")).draft

        draft = Draft.objects.get(id=draft.id)
        assert (draft.hold_reason, draft.dispatch_claimed_at) == (HoldReason.BRIDGE_ERROR, None)
        assert Draft.objects.replies_out().count() == 0

    @pytest.mark.parametrize(
        ("status", "reason"), [(504, HoldReason.BRIDGE_UNKNOWN), (503, HoldReason.BRIDGE_ERROR)]
    )
    def test_a_gateway_timeout_is_unknown_and_a_refusal_an_error(
        self, status, reason, canon, coworker, bridge
    ):
        bridge.fail_with = status

        assert _sent(coworker).hold_reason == reason
