"""The review panel: queue, actions over htmx, corrections, engines and scores."""

import json
import re
import uuid

import pytest
from django.utils.html import strip_tags

from core.roles import Role
from engines.gate.reply_gate import GateRule
from engines.holds import HoldReason
from prospects.deciding.decision_gate import Gate2Rule
from prospects.models import Correction, Draft, ReasonTag
from prospects.review.services import draft_correct, draft_reject
from prospects.review.views import QUEUE_SIDEBAR
from prospects.selectors import QUEUE_PREVIEW_CHARS
from prospects.vocabulary import raw_codes
from tests.support.drafting import ingest
from tests.support.factories import make_inbound
from tests.support.panel import HTMX, csrf_post, logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(canon):
    return lambda body="Hi there": ingest(make_inbound(body)).draft


def test_the_queue_shows_the_oldest_draft_with_its_context(held, coworker):
    first, second = held("Hi, are you free Friday?"), held("Hello again")
    page = logged_in(coworker).get("/review/").content.decode()
    assert f'data-draft="{first.id}"' in page
    assert "Hi, are you free Friday?" in page
    assert "opener" in page or first.decision.template_key in page
    assert "Keyboard shortcuts" in page
    assert f"at={second.id}" in page  # "Next" and the queue list lead on
    assert Draft.objects.get(id=first.id).review_claimed_by == coworker


def _shown(html: str) -> str:
    """What a person reads of a page or a part of it: its text, spaces collapsed."""
    return " ".join(strip_tags(html).split())


def test_the_waiting_list_says_who_wrote_what_and_why_it_waits(canon, coworker):
    long = "Hello! A friend told me about you and I would love to book an evening next week. " * 2
    ingest(make_inbound("Hi, are you free Friday?", sender="Nina"))
    ingest(make_inbound(long, sender="Omar"))
    page = logged_in(coworker).get("/review/").content.decode()
    waiting = _shown(page[page.index('<ol class="queue-list">') : page.index("</ol>")])
    assert re.search(r"Nina waiting \d+s Hi, are you free Friday\?", waiting)
    assert f"Omar waiting 0s {long[: QUEUE_PREVIEW_CHARS - 1]}…" in waiting
    assert long[:QUEUE_PREVIEW_CHARS] not in waiting
    assert waiting.count(HoldReason.REVIEW_MODE.label) == 2
    assert raw_codes(_shown(page)) == []


def test_the_pane_shows_the_sender_the_move_and_every_check_in_words(canon, coworker):
    draft = ingest(make_inbound("Hi, are you free Friday?", sender="Nina")).draft
    Draft.objects.filter(id=draft.id).update(
        hold_reason=HoldReason.GATE_FAILED, gate_failed=[GateRule.PHONE, GateRule.TOO_LONG]
    )
    shown = _shown(logged_in(coworker).get("/review/").content.decode())
    assert "Nina waiting" in shown
    assert f"{HoldReason.GATE_FAILED.label} thread" in shown
    assert "Pursue real booking interest: a rate, a day, availability, how it works" in shown
    assert "Reply: Pursue: next step · Hold for review" in shown
    assert f"{Gate2Rule.HUMAN_ONLY_MOVE.label}: no (Pursue)" in shown
    assert f"{Gate2Rule.THREAD_CLOSED.label}: no (New)" in shown
    # A rule that found nothing says only "no".
    assert f"{Gate2Rule.SAFETY_TERMS.label}: no ✓ {Gate2Rule.SAFETY_MEMORY.label}: no ✓" in shown
    assert f"Validation ✗ {GateRule.PHONE.label} ✗ {GateRule.TOO_LONG.label}" in shown
    assert raw_codes(shown) == []


def test_a_wrong_move_is_confirmed_with_its_name_and_meaning(canon, coworker):
    draft = ingest(make_inbound("Hi, are you free Friday?")).draft
    client = logged_in(coworker, csrf_checks=True)
    saved = csrf_post(client, f"/review/{draft.id}/move/", {"move": "escalate"})
    shown = _shown(saved.content.decode())
    assert saved.status_code == 200
    assert (
        "Move recorded as Escalate (a photographer, a collaboration, a business opportunity); "
        "the classifier learns from it." in shown
    )
    assert (
        "Labelled Escalate (corrected by a coworker): "
        "A coworker read this as Escalate, not Pursue." in shown
    )
    # The pane scrolls back to its top, where the confirmation is.
    assert "HX-Reswap" not in saved.headers
    assert raw_codes(shown) == []


def test_a_refused_action_shows_its_error_where_the_coworker_looks(canon, coworker):
    draft = ingest(make_inbound("Hi, are you free Friday?")).draft
    client = logged_in(coworker, csrf_checks=True)
    in_form = csrf_post(client, f"/review/{draft.id}/move/", {"move": "booking"})
    assert in_form.status_code == 400
    assert in_form.headers["HX-Reswap"] == "innerHTML"
    Draft.objects.filter(id=draft.id).update(
        hold_reason=HoldReason.GATE_FAILED, gate_failed=[GateRule.PHONE]
    )
    by_the_buttons = csrf_post(client, f"/review/{draft.id}/approve/")
    assert by_the_buttons.status_code == 400
    assert by_the_buttons.headers["HX-Reswap"] == "innerHTML show:#review-refusal:top"
    assert 'id="review-refusal"' in by_the_buttons.content.decode()


def test_the_filters_offer_replies_in_words_and_name_a_bad_one_by_its_label(canon, coworker):
    ingest(make_inbound("Hi, are you free Friday?"))
    client = logged_in(coworker)
    page = client.get("/review/", {"template_key": "pursue.next_step"}).content.decode()
    assert '<option value="pursue.next_step" selected>Pursue: next step</option>' in page
    assert "Nothing to review" not in page
    refused = client.get("/review/", {"template_key": "no.such_key"}).content.decode()
    assert '<p class="field-error">Reply: Select a valid choice.' in refused
    assert "Nothing to review" in refused


def _step_links(page: str) -> tuple[str | None, str | None]:
    found = dict(re.findall(r'data-shortcut="([kj])" href="[^"]*at=([0-9a-f-]+)"', page))
    return found.get("k"), found.get("j")


def test_previous_and_next_lead_through_the_queue_past_the_sidebar(held, coworker):
    drafts = [str(held(f"Message {n}").id) for n in range(QUEUE_SIDEBAR + 2)]
    client = logged_in(coworker)
    assert _step_links(client.get("/review/").content.decode()) == (None, drafts[1])
    for at in (1, QUEUE_SIDEBAR - 1, QUEUE_SIDEBAR):
        page = client.get("/review/", {"at": drafts[at]}).content.decode()
        assert f'data-draft="{drafts[at]}"' in page
        assert _step_links(page) == (drafts[at - 1], drafts[at + 1])
    last = client.get("/review/", {"at": drafts[-1]}).content.decode()
    assert _step_links(last) == (drafts[-2], None)


def test_a_second_coworker_is_shown_another_draft(held, coworker, make_user):
    first, second = held(), held()
    logged_in(coworker).get("/review/")
    page = logged_in(make_user("olga", Role.COWORKER)).get("/review/").content.decode()
    assert f'data-draft="{second.id}"' in page
    assert f'data-draft="{first.id}"' not in page


def test_filters_narrow_the_queue_and_bad_filters_say_why(held, coworker):
    held()
    client = logged_in(coworker)
    assert "Nothing to review" in client.get("/review/", {"engine": "vllm-x_1"}).content.decode()
    page = client.get("/review/", {"hold_reason": "no-such-reason"}).content.decode()
    assert "field-error" in page
    assert "Nothing to review" in page


def test_the_workflow_version_filter_lists_versions_and_narrows_both_lists(
    held, published_workflow, coworker, operator
):
    version = published_workflow()
    mine, other = held("Hi, are you free Friday?"), held("Hello again")
    Draft.objects.filter(id=mine.id).update(workflow_version=version)
    Draft.objects.filter(id=other.id).update(workflow_version=None)
    client = logged_in(coworker)
    page = client.get("/review/", {"workflow_version": version.id}).content.decode()
    assert f'<option value="{version.id}" selected>{version.label}</option>' in page
    assert f'data-draft="{mine.id}"' in page
    assert f"at={other.id}" not in page
    unknown = client.get("/review/", {"workflow_version": uuid.uuid4()}).content.decode()
    assert "field-error" in unknown

    draft_correct(draft_id=mine.id, user=coworker, body="Hello there, friend")
    corrections = logged_in(operator)
    listed = corrections.get("/corrections/", {"workflow_version": version.id}).content.decode()
    assert "/corrections/" + str(Correction.objects.get().id) in listed


def test_correcting_over_htmx_shows_the_diff_and_the_next_draft(held, coworker):
    first, second = held(), held()
    client = logged_in(coworker, csrf_checks=True)
    client.get("/review/")
    response = csrf_post(
        client,
        f"/review/{first.id}/correct/",
        {"body": "Hello there, friend", "reason_tags": ["tone"], "filters": ""},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "<ins>" in html
    assert "Corrected and approved" in html
    assert f'data-draft="{second.id}"' in html
    correction = Correction.objects.get(draft=first)
    assert f"/corrections/{correction.id}/" in html


def test_an_empty_edit_keeps_the_draft_and_shows_the_error(held, coworker):
    draft = held()
    client = logged_in(coworker, csrf_checks=True)
    html = csrf_post(client, f"/review/{draft.id}/correct/", {"body": "  "}).content.decode()
    assert "cannot be empty" in html
    assert f'data-draft="{draft.id}"' in html
    assert Draft.objects.get(id=draft.id).status == Draft.Status.HELD


def test_acting_on_a_draft_someone_else_reviewed_says_so(held, coworker, make_user):
    draft = held()
    draft_correct(draft_id=draft.id, user=make_user("olga", Role.COWORKER), body="Theirs")
    client = logged_in(coworker, csrf_checks=True)
    html = csrf_post(client, f"/review/{draft.id}/approve/").content.decode()
    assert "already approved" in html or "already sent" in html


def test_skip_moves_on_and_keeps_the_draft_for_others(held, coworker, make_user):
    first, second = held(), held()
    client = logged_in(coworker, csrf_checks=True)
    client.get("/review/")
    html = csrf_post(client, f"/review/{first.id}/skip/").content.decode()
    assert f'data-draft="{second.id}"' in html
    assert Draft.objects.awaiting_review(make_user("olga")).filter(id=first.id).exists()


def test_an_unknown_action_is_404(held, coworker):
    draft = held()
    client = logged_in(coworker, csrf_checks=True)
    assert csrf_post(client, f"/review/{draft.id}/delete/").status_code == 404


@pytest.mark.parametrize("who", ["operator", "client_account"])
def test_only_reviewers_open_the_queue(held, request, who):
    assert logged_in(request.getfixturevalue(who)).get("/review/").status_code == 403


def test_review_actions_need_the_csrf_token(held, coworker):
    draft = held()
    client = logged_in(coworker, csrf_checks=True)
    assert client.post(f"/review/{draft.id}/approve/", **HTMX).status_code == 403


def test_corrections_say_their_reply_and_reasons_in_words(held, coworker, operator):
    edited, rejected = held("Hi, are you free Friday?"), held("Hello again")
    draft_correct(draft_id=edited.id, user=coworker, body="Hi! Friday works.")
    draft_reject(draft_id=rejected.id, user=coworker, reason_tags=["too_long", "off_topic"])
    client = logged_in(operator)
    listing = _shown(client.get("/corrections/").content.decode())
    assert f"{ReasonTag.TOO_LONG.label}, {ReasonTag.OFF_TOPIC.label}" in listing
    assert "Pursue: next step" in listing
    assert raw_codes(listing) == []
    narrowed = client.get("/corrections/", {"template_key": "pursue.next_step"}).content.decode()
    assert f"/corrections/{Correction.objects.get(draft=edited).id}/" in narrowed
    assert f"/corrections/{Correction.objects.get(draft=rejected).id}/" not in narrowed
    detail = client.get(f"/corrections/{Correction.objects.get(draft=rejected).id}/")
    assert f'<span class="pill">{ReasonTag.OFF_TOPIC.label}</span>' in detail.content.decode()
    assert raw_codes(_shown(detail.content.decode())) == []


def test_corrections_pages_list_filter_and_show_the_diff(held, coworker, operator):
    draft = held()
    draft_correct(draft_id=draft.id, user=coworker, body="Hello there, friend")
    correction = Correction.objects.get()
    client = logged_in(operator)
    listing = client.get("/corrections/").content.decode()
    assert f"/corrections/{correction.id}/" in listing
    assert (
        "No corrections yet" in client.get("/corrections/", {"kind": "rejected"}).content.decode()
    )
    detail = client.get(f"/corrections/{correction.id}/").content.decode()
    assert "<ins>" in detail
    assert "Hello there, friend" in detail


def test_engine_pages_show_scores_and_the_export_downloads(held, coworker):
    draft = held()
    draft_correct(draft_id=draft.id, user=coworker, body="Hello there, friend")
    client = logged_in(coworker)
    assert "/engines/template/" in client.get("/engines/").content.decode()
    page = client.get("/engines/template/").content.decode()
    assert "accepted without edit" in page
    assert "/engines/template/export/?format=dpo&amp;split=all" in page
    download = client.get("/engines/template/export/", {"format": "dpo"})
    lines = [json.loads(line) for line in b"".join(download.streaming_content).splitlines()]
    assert lines[0]["chosen"][0]["content"] == "Hello there, friend"
    assert client.get("/engines/template/export/", {"format": "csv"}).status_code == 400
    assert client.get("/engines/not an id/").status_code == 404


def test_the_workflow_page_loads_scores_per_version(published_workflow, coworker, operator):
    version = published_workflow()
    client = logged_in(operator)
    page = client.get(f"/workflows/{version.workflow_id}/").content.decode()
    assert f"/workflows/{version.workflow_id}/scores_hx/" in page
    partial = client.get(f"/workflows/{version.workflow_id}/scores_hx/", **HTMX).content.decode()
    assert version.label in partial
    # Which version drafts now, in the words of the history above it, not "published".
    assert ">Live</span>" in partial
    assert "published" not in partial.replace('class="pill published"', "")
