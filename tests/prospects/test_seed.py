"""seed_scale: bulk rows that keep the pipeline's invariants."""

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from prospects.models import Decision, Draft, InboundMessage, Thread

pytestmark = pytest.mark.django_db


def test_seeding_keeps_every_message_decided_and_every_draft_linked():
    call_command("seed_scale", threads=20, messages=240, drafts=60)
    assert Thread.objects.count() == 20
    assert InboundMessage.objects.count() == 240
    assert InboundMessage.objects.filter(decision__isnull=True).count() == 0
    assert Draft.objects.count() == 60
    assert not Draft.objects.filter(decision__template_key="").exists()
    assert not Draft.objects.filter(status="held", hold_reason="").exists()
    per_thread = Thread.objects.annotate(n=Count("messages")).values_list("n", flat=True)
    assert set(per_thread) == {12}
    statuses = dict(Draft.objects.values_list("status").annotate(n=Count("id")))
    assert statuses == {"held": 12, "sent": 36, "approved": 3, "rejected": 9}
    assert Decision.objects.filter(move="spam", template_key="").count() == 20


def test_seeding_twice_is_refused():
    call_command("seed_scale", threads=2, messages=4, drafts=1)
    with pytest.raises(CommandError, match="seeded already"):
        call_command("seed_scale", threads=2, messages=4, drafts=1)
