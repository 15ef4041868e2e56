"""Live messages bring up the on-demand GPU, are drafted on it, and let it go (issue 19).

pydo talks HTTP to the local DigitalOcean API; the "droplet" is an OpenAI-compatible
server on loopback; the product's clock is stopped and moved on by the test.
"""

import pytest

from engines.gpu.lifecycle import plan_build, policy_for
from engines.holds import HoldReason
from engines.models.gpu import GpuInstance
from prospects.builds.gpu import build_loads, gpu_tick_run
from prospects.drafting.runner import live_draft_run
from prospects.engine_switch import draft_engine_set
from prospects.inbound.ingest import inbound_ingest
from prospects.models import Draft
from tests.support.factories import DO_BUILD, make_inbound

pytestmark = pytest.mark.django_db
State = GpuInstance.State


def test_live_messages_provision_a_droplet_are_drafted_on_it_then_it_is_released(
    do_build, published_workflow, fake_do, clock, gpu_box, admin_user
):
    published_workflow(appliesTo={})
    draft_engine_set(engine_id=DO_BUILD, user=admin_user)
    queued = [
        inbound_ingest(inbound=make_inbound(f"Hi there, free on day {n}?")).draft for n in range(20)
    ]

    assert build_loads()[DO_BUILD].live_items == 20
    gpu_tick_run()
    assert GpuInstance.objects.get().state == State.PROVISIONING
    # While the droplet boots, live drafts wait: queued, never held.
    assert {live_draft_run(draft).status for draft in queued[:3]} == {Draft.Status.QUEUED}

    clock.shift(fake_do.boot_seconds + 1)
    gpu_tick_run()  # droplet active: booting
    gpu_tick_run()  # model server healthy: ready
    assert GpuInstance.objects.get().state == State.READY

    drafted = [live_draft_run(draft) for draft in queued]
    assert {draft.engine_id for draft in drafted} == {DO_BUILD}
    assert all(draft.body for draft in drafted)
    assert not [d for d in drafted if d.hold_reason == HoldReason.ENGINE_UNAVAILABLE]
    assert build_loads()[DO_BUILD].items == 0

    # Twenty leads came at once: holding is worth what their cold start would have cost.
    grace = plan_build(DO_BUILD, build_loads()[DO_BUILD]).grace_seconds
    assert grace > policy_for(DO_BUILD).cold_break_even_seconds  # more than one lead's
    clock.shift(grace + 60)
    gpu_tick_run()
    assert GpuInstance.objects.get().state == State.OFF
    assert fake_do.droplets == {}
