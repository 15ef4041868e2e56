import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_too_many_sign_in_attempts_get_a_wait_page(page, screenshot, coworker, settings):
    settings.LOGIN_RATE_LIMIT = "3/m"
    for _ in range(3):
        page.goto("/accounts/login/")
        page.fill("input[name=username]", "cora")
        page.fill("input[name=password]", "wrong guess")
        page.click("button[type=submit]")
        expect(page.locator("input[name=password]")).to_be_visible()
        expect(page.locator(".errorlist.nonfield")).to_contain_text("didn't match")
    screenshot("login-error")
    page.fill("input[name=username]", "cora")
    page.fill("input[name=password]", "wrong guess")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Too many attempts")
    screenshot("login-rate-limited")
