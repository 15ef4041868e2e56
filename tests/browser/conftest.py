import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
# Every run writes here (ignored by git); `make screenshots` copies them over the tracked
# ones in docs/screenshots when a person means to refresh them.
SCREENSHOTS = ROOT / "var" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Impacts that fail a page; axe's "moderate" and "minor" are left to judgement.
AXE_FAILING_IMPACTS = ("serious", "critical")
# WCAG 1.4.11: a glyph that is the button's only content is a graphic, 3:1 against its ground.
ICON_CONTRAST = 3
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

# Playwright's sync API runs an event loop in this thread; the live server's database
# work happens in its own thread, and Django's async guard cannot tell the difference.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 860}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    """Saves the page as a person sees it, after checking that anyone can use it: each
    state a test shows in a screenshot is one a person reaches, so axe looks at it too."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        assert_accessible(page)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def axe_violations(page) -> list[str]:
    """Every serious or critical axe-core violation on the page as it is now, one line each:
    the rule, its impact, what it asks for and the elements that break it."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(" ".join(map(str, node["target"])) for node in v["nodes"])
        for v in result["violations"]
        if v["impact"] in AXE_FAILING_IMPACTS
    ]


def icon_button_violations(page) -> list[str]:
    """Icon buttons whose glyph does not show or that have no aria-label. axe names neither:
    its contrast rule skips symbol glyphs such as ✕, and a title counts as a name for it."""
    buttons = page.locator("button.icon").evaluate_all(
        """els => els.map(e => ({
            html: e.outerHTML.split(">")[0] + ">",
            label: e.getAttribute("aria-label") || "",
            glyph: e.textContent.trim(),
            color: getComputedStyle(e).color,
            background: getComputedStyle(e).backgroundColor,
        }))"""
    )
    return [
        f"icon-button: needs a glyph at {ICON_CONTRAST}:1 and an aria-label at {button['html']}"
        for button in buttons
        if not (
            button["label"]
            and button["glyph"]
            and contrast(button["color"], button["background"]) >= ICON_CONTRAST
        )
    ]


def contrast(color: str, background: str) -> float:
    """WCAG contrast ratio of two opaque computed colours, "rgb(r, g, b)"."""

    def luminance(css: str) -> float:
        channels = [int(part) / 255 for part in css[css.index("(") + 1 : -1].split(",")[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(color), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def accessibility_violations(page) -> list[str]:
    return axe_violations(page) + icon_button_violations(page)


def assert_accessible(page) -> None:
    violations = accessibility_violations(page)
    assert not violations, f"accessibility of {page.url}:\n" + "\n".join(violations)


def log_in(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def open_from_menu(page, label: str) -> None:
    """Follows the menu's link ``label``, opening its group first where the menu folds it."""
    nav = page.locator("#panel-nav")
    # By its text: a link in a closed group is hidden, and a role query skips hidden ones.
    link = f'a:text-is("{label}")'
    if not nav.locator(link).is_visible():
        nav.locator("details.nav-group", has=page.locator(link)).locator("summary").click()
    nav.locator(link).click()
