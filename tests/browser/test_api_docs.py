import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_render_offline_from_the_pinned_package(page):
    outside = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if "127.0.0.1" not in request.url and "localhost" not in request.url
            else None
        ),
    )
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    assert outside == []
