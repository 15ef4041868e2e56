"""The linear move head in the panel: the Settings page's uncertain-move threshold, and a
head's build page with its lineage and its evaluation beside the rules'."""

import json

import pytest
from playwright.sync_api import expect

from prospects.builds.move_head import move_head_train
from prospects.deciding.move_corpus import labelled_files
from prospects.demo import demo_load
from prospects.selectors import pipeline_settings
from tests.browser.conftest import log_in
from tests.support.factories import PASSWORD
from tests.support.labels import labelled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_sets_the_uncertain_move_threshold_and_a_wrong_one_is_named(page, screenshot):
    demo_load(password=PASSWORD, experiment=False)
    log_in(page, "admin", PASSWORD)
    page.goto("/settings/")
    section = page.locator("#uncertain-move-form")
    # The browser refuses 1.5 itself (the input's max); past that, the server names it.
    section.locator("#id_uncertain_move_threshold").evaluate(
        "input => input.removeAttribute('max')"
    )
    section.locator("#id_uncertain_move_threshold").fill("1.5")
    section.locator("text=Save threshold").click()
    error = page.locator("#uncertain-move-form #id_uncertain_move_threshold_error")
    expect(error).to_contain_text("less than or equal to 1")
    screenshot("settings-uncertain-move-error")
    page.locator("#uncertain-move-form #id_uncertain_move_threshold").fill("0.6")
    page.locator("#uncertain-move-form >> text=Save threshold").click()
    expect(page.locator(".current-threshold")).to_have_text("0.6")
    screenshot("settings-uncertain-move")
    assert pipeline_settings().uncertain_move_threshold == 0.6


def test_a_heads_build_page_shows_its_lineage_and_its_score_beside_the_rules(
    page, screenshot, settings, tmp_path
):
    demo_load(password=PASSWORD, experiment=False)
    settings.TUNING_EVAL_PERCENT = 50
    labelled(4)
    corpus = tmp_path / "starting.jsonl"
    corpus.write_text(
        json.dumps({"body": "hello there", "move": "opener", "is_prospect": True}) + "\n"
    )
    engine_id = move_head_train(extra=labelled_files([corpus])).build.engine_id
    log_in(page, "admin", PASSWORD)
    page.goto(f"/engines/{engine_id}/")
    expect(page.locator("text=Trained by")).to_be_visible()
    expect(page.locator("dd", has_text="people's move labels and labelled files")).to_be_visible()
    expect(page.locator("body")).to_contain_text("move accuracy")
    expect(page.locator("dd", has_text="in the process that asks it")).to_be_visible()
    expect(page.locator("text=Train an adapter")).to_have_count(0)
    expect(page.locator("section.serving")).to_have_count(0)
    curve = page.locator("#learning-curve")
    expect(curve).to_be_visible()
    expect(curve.locator("polyline")).to_have_count(2)
    curve.scroll_into_view_if_needed()
    screenshot("build-move-head")
