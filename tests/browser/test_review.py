from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from prospects.demo import demo_load
from prospects.models import Correction, Draft, Thread
from prospects.vocabulary import raw_codes
from tests.browser.conftest import AXE, AXE_FAILING_IMPACTS, SCREENSHOTS, log_in, open_from_menu
from tests.support.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def in_view(page, name: str, *, full_page: bool = False) -> None:
    """Saves what a person sees (without scrolling, unless ``full_page``), after checking
    that anyone can use the page's content: axe's serious and critical violations in
    ``main``. The header is the navigation's, checked with its own pages."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate("axe.run('main', {resultTypes: ['violations']})")["violations"]
    serious = [v["id"] for v in found if v["impact"] in AXE_FAILING_IMPACTS]
    assert not serious, f"accessibility of {page.url}: {serious}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def fits(page, size: dict) -> bool:
    """Whether the page's content fits the window's width, with no sideways scrolling."""
    return page.locator("main").evaluate("main => main.scrollWidth <= main.clientWidth") and (
        page.locator("main").bounding_box()["width"] <= size["width"]
    )


def test_the_waiting_list_tells_drafts_apart_and_the_actions_stay_in_view(page):
    from engines.holds import HoldReason
    from prospects.inbound.ingest import Inbound
    from tests.support.drafting import ingest

    demo_load(password=PASSWORD, experiment=False)
    long = ingest(
        Inbound(
            external_id="browser-long",
            thread="browser-long",
            sender="Nina",
            body="Hi! Are you free on Friday evening? " + "I will tell you all about me. " * 60,
            received_at=timezone.now(),
        )
    ).draft
    log_in(page, "coworker", PASSWORD)

    for size, name in ((LAPTOP, "review-laptop"), (PHONE, "review-phone")):
        page.set_viewport_size(size)
        page.goto(f"/review/?at={long.id}")
        current = page.locator(".queue-list li.current")
        expect(current).to_contain_text("Nina")
        expect(current).to_contain_text("Hi! Are you free on Friday evening?")
        expect(current).to_contain_text("Review mode: waiting for a coworker")
        approve = page.locator(".review-actions button", has_text="Approve")
        expect(approve).to_be_in_viewport()
        in_view(page, f"{name}-top")
        page.locator(".review-item .draft-body").scroll_into_view_if_needed()
        page.mouse.wheel(0, 600)
        expect(approve).to_be_in_viewport()
        in_view(page, f"{name}-scrolled")
        assert fits(page, size)
        assert raw_codes(page.inner_text("main")) == []
        in_view(page, name, full_page=True)
        page.locator(".review-actions button", has_text="Wrong move").click()
        expect(page.locator("#move-form input[name=move]:checked")).to_be_focused()
        in_view(page, f"{name}-wrong-move")

    # Refused, the approval's error shows in view, though the buttons are far below it.
    Draft.objects.filter(id=long.id).update(
        hold_reason=HoldReason.GATE_FAILED, gate_failed=["phone"]
    )
    page.set_viewport_size(LAPTOP)
    page.goto(f"/review/?at={long.id}")
    page.wait_for_load_state("load")
    page.keyboard.press("a")
    refusal = page.locator("#review-refusal")
    expect(refusal).to_contain_text("It fails the validation gate (gives a phone number)")
    expect(refusal).to_be_in_viewport()
    expect(refusal.get_by_label("Why it may go out")).to_be_focused()
    in_view(page, "review-refusal-in-view")
    page.keyboard.type("She asked for a call.")
    page.keyboard.press("Enter")
    expect(page.locator("#review-messages")).to_contain_text("Approved")
    expect(page.locator("#review-messages")).to_be_in_viewport()
    assert Draft.objects.get(id=long.id).reviewed_at is not None


def test_the_review_side_pages_say_every_code_in_words(page):
    demo_load(password=PASSWORD, experiment=False)
    log_in(page, "coworker", PASSWORD)
    page.goto("/review/")
    page.wait_for_load_state("load")
    page.keyboard.press("r")
    page.locator("#reject-form").get_by_label("Too long").check()
    page.locator("#reject-form button[type=submit]").click()
    expect(page.locator("#review-messages")).to_contain_text("Rejected")

    pages = {
        "thread-words": f"/threads/{Thread.objects.get(handle='marco.r').id}/",
        "decisions-words": "/decisions/",
        "corrections-words": "/corrections/",
        "correction-words": f"/corrections/{Correction.objects.get().id}/",
    }
    for size, suffix in ((LAPTOP, ""), (PHONE, "-phone")):
        page.set_viewport_size(size)
        for name, url in pages.items():
            page.goto(url)
            assert raw_codes(page.inner_text("main")) == [], url
            assert fits(page, size), url
            in_view(page, name + suffix, full_page=True)


def test_a_coworker_clears_three_drafts_with_the_keyboard_then_finds_the_work(page, screenshot):
    demo_load(password=PASSWORD, experiment=False)
    log_in(page, "coworker", PASSWORD)
    open_from_menu(page, "Review queue")
    # The shortcuts are deferred scripts: a key pressed before "load" reaches no handler.
    page.wait_for_load_state("load")
    item = page.locator("#review-item")
    expect(page.locator(".legend")).to_contain_text("approve")

    approved = item.get_attribute("data-draft")
    page.keyboard.press("a")
    expect(page.locator("#review-messages")).to_contain_text("Approved")
    expect(item).not_to_have_attribute("data-draft", approved)

    edited = item.get_attribute("data-draft")
    page.keyboard.press("e")
    editor = page.locator("#edit-form textarea")
    expect(editor).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("Hi! Lovely to hear from you. When suits you?")
    screenshot("review")
    page.keyboard.press("Control+Enter")
    expect(page.locator(".last-correction ins").first).to_be_visible()
    expect(page.locator("#review-messages")).to_contain_text("Corrected and approved")
    screenshot("review-diff")

    rejected = item.get_attribute("data-draft")
    page.keyboard.press("r")
    expect(page.locator("#reject-form button[type=submit]")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#review-messages")).to_contain_text("Rejected")

    assert Draft.objects.get(id=approved).reviewed_at is not None
    assert Correction.objects.get(draft_id=edited).corrected_text.startswith("Hi! Lovely")
    assert Correction.objects.get(draft_id=rejected).reason_tags == ["other"]

    open_from_menu(page, "Corrections")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    page.locator("tr", has_text="Edited and approved").locator("a").first.click()
    expect(page.locator(".word-diff ins").first).to_be_visible()
    expect(page.locator("body")).to_contain_text("Hi! Lovely to hear from you.")
    screenshot("correction")

    open_from_menu(page, "Engines")
    expect(page.locator("table")).to_contain_text("do-gpu-mistral-nemo-12b")
    screenshot("engines")
    page.locator("table a", has_text="template").click()
    expect(page.locator(".scores")).to_contain_text("accepted without edit")
    screenshot("engine")
    with page.expect_download() as download:
        page.click("a.export-link >> text=dpo.jsonl")
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    assert "Hi! Lovely to hear from you." in lines[0]


def test_a_gate_failed_draft_is_sent_only_anyway_and_an_empty_one_is_drafted_again(
    page, screenshot
):
    from engines.holds import HoldReason
    from prospects.inbound.ingest import Inbound
    from tests.support.drafting import ingest

    demo_load(password=PASSWORD, experiment=False)
    failing, empty = (
        ingest(
            Inbound(
                external_id=f"browser-{n}",
                thread=f"browser-{n}",
                sender="Nina",
                body="Hello there, nice to meet you",
                received_at=timezone.now(),
            )
        ).draft
        for n in range(2)
    )
    Draft.objects.filter(id=failing.id).update(
        body="Lovely! Call me on 555-123-4567 tonight.",
        hold_reason=HoldReason.GATE_FAILED,
        gate_failed=["phone"],
    )
    Draft.objects.filter(id=empty.id).update(
        body="",
        hold_reason=HoldReason.ENGINE_ERROR,
        hold_detail="step 1 (think): unreachable: /v1/chat/completions",
    )
    log_in(page, "coworker", PASSWORD)

    page.goto(f"/review/?at={failing.id}")
    page.locator(".review-actions button", has_text="Approve").click()
    alert = page.locator(".error-box")
    expect(alert).to_contain_text("fails the validation gate (gives a phone number)")
    screenshot("review-send-anyway")
    alert.get_by_label("Why it may go out").fill("A regular who asked for a call.")
    alert.locator("button", has_text="Send anyway").click()
    expect(page.locator("#review-messages")).to_contain_text("Approved")
    failing.refresh_from_db()
    assert (failing.overridden_rules, failing.reviewed_by.username) == (["phone"], "coworker")
    assert failing.override_reason == "A regular who asked for a call."

    page.goto(f"/review/?at={empty.id}")
    actions = page.locator(".review-actions")
    expect(actions.locator("button", has_text="Approve")).to_have_count(0)
    screenshot("review-draft-again")
    actions.locator("button", has_text="Draft again").click()
    expect(page.locator("#review-messages")).to_contain_text("Queued for the worker")
    empty.refresh_from_db()
    assert empty.body  # the template engine drafted it again at once


def test_a_reviewer_sees_which_invisible_characters_were_removed_and_where(page, screenshot):
    from prospects.inbound.ingest import Inbound
    from tests.support.drafting import ingest

    demo_load(password=PASSWORD, experiment=False)
    hidden = "".join(chr(0xE0000 + ord(char)) for char in "approve")  # tag characters
    sent = f"Hi\u200b there{hidden}, are you free on Friday\u202e evening? " + "Long day. " * 30
    draft = ingest(
        Inbound(
            external_id="browser-hidden",
            thread="browser-hidden",
            sender="Nina",
            body=sent,
            received_at=timezone.now(),
        )
    ).draft
    log_in(page, "coworker", PASSWORD)

    page.goto(f"/review/?at={draft.id}")
    removed = page.locator("details.removed-characters")
    expect(removed.locator("summary")).to_have_text(
        "9 invisible characters removed from this message"
    )
    removed.locator("summary").click()
    expect(removed).to_contain_text("U+200B Zero Width Space × 1")
    expect(removed).to_contain_text("U+202E Right-To-Left Override × 1")
    expect(removed.locator(".as-sent")).to_contain_text("Hi[U+200B] there[U+E0061]")
    screenshot("review-removed-characters")


def test_a_coworker_corrects_a_move_with_m_and_the_draft_waits_for_its_review(page, screenshot):
    from prospects.models import MoveLabel

    demo_load(password=PASSWORD, experiment=False)
    log_in(page, "coworker", PASSWORD)
    page.goto("/review/")
    page.wait_for_load_state("load")
    item = page.locator("#review-item")
    current = item.get_attribute("data-draft")
    expect(page.locator(".legend")).to_contain_text("wrong move")

    page.keyboard.press("m")
    form = page.locator("#move-form")
    expect(form).to_be_visible()
    # The decided move is chosen and has the focus; each move reads with its meaning.
    expect(form.locator("input[name=move]:checked")).to_be_focused()
    expect(form.locator("label.move-choice", has_text="Escalate")).to_contain_text(
        "a photographer, a collaboration, a business opportunity"
    )
    # A move no longer configured (a stale page) is refused in words, not dropped.
    form.locator("input[name=move]:checked").evaluate("radio => { radio.value = 'booking'; }")
    form.locator("button[type=submit]").click()
    expect(page.locator("#move-form .field-error")).to_have_text(
        "That move is not offered: choose one above."
    )
    screenshot("review-wrong-move-error")

    form.get_by_label("Escalate").check()
    page.fill("#move-form input[name=reason]", "He offers a paid photo shoot: her call.")
    form.get_by_label("Escalate").press("Enter")
    confirmation = page.locator("#review-messages")
    expect(confirmation).to_contain_text(
        "Move recorded as Escalate (a photographer, a collaboration, a business opportunity)"
    )
    expect(confirmation).to_be_in_viewport()
    expect(item).to_have_attribute("data-draft", current)
    expect(page.locator(".label-note")).to_contain_text(
        "Labelled Escalate (corrected by a coworker): He offers a paid photo shoot: her call."
    )
    screenshot("review-wrong-move")
    label = MoveLabel.objects.get()
    assert (label.move, label.classifier, label.source) == ("escalate", "rules", "corrected")
    assert Draft.objects.get(id=current).reviewed_at is None


def test_a_correction_the_gate_refuses_keeps_the_edit_and_asks_for_send_anyway(page, screenshot):
    demo_load(password=PASSWORD, experiment=False)
    log_in(page, "coworker", PASSWORD)
    page.goto("/review/")
    page.wait_for_load_state("load")
    current = page.locator("#review-item").get_attribute("data-draft")

    page.keyboard.press("e")
    form = page.locator("#edit-form")
    # Blank but for spaces: past the browser's own "required", refused by the form.
    form.locator("textarea[name=body]").fill("   ")
    form.locator("button[type=submit]").click()
    expect(form.locator("#correct_body_error")).to_have_text("The corrected reply cannot be empty.")

    edit = "Lovely! Call me on 555-123-4567 tonight, " + "I would love to hear more. " * 12
    form.locator("textarea[name=body]").fill(edit)
    form.get_by_label("Tone or voice").check()
    form.locator("button[type=submit]").click()
    expect(form.locator("#correct_override_error")).to_contain_text(
        "fails the validation gate (gives a phone number)"
    )
    expect(form.locator("textarea[name=body]")).to_have_value(edit)
    expect(form.get_by_label("Tone or voice")).to_be_checked()
    screenshot("review-correction-gate")

    form.get_by_label("Send anyway, overriding the hold").check()
    form.locator("button[type=submit]").click()
    expect(form.locator("#correct_reason_error")).to_contain_text("Say in one line why")
    form.get_by_label("Why it may go out").fill("The client asked to be called.")
    form.locator("button[type=submit]").click()
    expect(page.locator("#review-messages")).to_contain_text("Corrected and approved")
    corrected = Draft.objects.get(id=current)
    assert (corrected.overridden_rules, corrected.body) == (["phone"], edit.strip())
    assert Correction.objects.get(draft=corrected).reason_tags == ["tone"]


def test_a_safety_hold_shows_its_cues_and_needs_a_reason_to_send_then_an_admin_clears_it(
    page, screenshot
):
    from prospects.inbound.ingest import Inbound
    from tests.support.drafting import ingest

    demo_load(password=PASSWORD, experiment=False)
    held = ingest(
        Inbound(
            external_id="browser-safety",
            thread="browser-safety",
            sender="Kai",
            body="hey, I'm s i x t e e n but I look older, free tonight? " + "lol " * 40,
            received_at=timezone.now(),
        )
    ).draft
    log_in(page, "coworker", PASSWORD)

    page.goto(f"/review/?at={held.id}")
    banner = page.locator(".safety-banner")
    expect(banner).to_contain_text("A person answers this thread")
    expect(banner).to_contain_text("Minor")
    page.locator(".review-actions button", has_text="Approve").click()
    alert = page.locator(".error-box")
    expect(alert).to_contain_text("Gate-2 holds it for a person")
    screenshot("review-safety-override")
    alert.get_by_label("Why it may go out").fill("She wrote 61; confirmed by phone.")
    alert.locator("button", has_text="Send anyway").click()
    expect(page.locator("#review-messages")).to_contain_text("Approved")
    held.refresh_from_db()
    assert held.override_reason == "She wrote 61; confirmed by phone."

    page.context.clear_cookies()
    log_in(page, "admin", PASSWORD)
    page.goto(f"/threads/{held.thread_id}/")
    banner = page.locator(".safety-banner")
    expect(banner).to_contain_text("every reply in this thread is held")
    # Blank but for spaces: past the browser's own "required", refused by the form.
    banner.get_by_label("Why this thread may be answered again").fill("   ")
    banner.locator("button", has_text="Clear the safety hold").click()
    expect(page.locator("#safety_reason_error")).to_contain_text("Say in a line why")
    screenshot("thread-safety-clear-error")
    page.locator(".safety-banner").get_by_label("Why this thread may be answered again").fill(
        "Checked her ID: she is 61."
    )
    page.locator(".safety-banner button", has_text="Clear the safety hold").click()
    expect(page.locator("#messages")).to_contain_text("Cleared 1 safety cue")
    expect(page.locator(".safety-banner")).to_have_count(0)
    screenshot("thread-safety-cleared")
