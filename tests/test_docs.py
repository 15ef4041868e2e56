"""The README and docs/: the generated tables say what the code says, the README's first
screen holds what a newcomer needs, and every relative link resolves."""

import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from prospects.demo import DEMO_USERS
from prospects.docs_tables import SETTINGS, DocsError, docs_rendered, environment_paragraphs

ROOT = Path(settings.BASE_DIR)
README = ROOT / "README.md"
FIRST_SCREEN = 60
DOCS = sorted((ROOT / "docs").glob("*.md"))
LINKED_FILES = [README, *DOCS, ROOT / "deploy" / "README.md"]
GENERATED = [Path("docs/configuration.md"), Path("docs/api.md")]


# --- the generated tables -------------------------------------------------------------


@pytest.mark.parametrize("path", GENERATED, ids=str)
def test_generated_table_matches_the_code(path):
    assert (ROOT / path).read_text() == docs_rendered(ROOT)[path], (
        f"{path} is stale: run `python manage.py docs_tables`"
    )


@pytest.fixture
def docs_copy(tmp_path, settings):
    """The settings and the generated files as they should read, under a fresh BASE_DIR."""
    (tmp_path / SETTINGS).parent.mkdir(parents=True)
    shutil.copy(ROOT / SETTINGS, tmp_path / SETTINGS)
    (tmp_path / "docs").mkdir()
    for path, text in docs_rendered(ROOT).items():
        (tmp_path / path).write_text(text)
    settings.BASE_DIR = tmp_path
    return tmp_path


def test_check_names_the_stale_file_and_writes_nothing(docs_copy):
    api = docs_copy / "docs" / "api.md"
    text = api.read_text()
    edited = text.replace("| `/api/gpu/hold/` | admin |", "| `/api/gpu/hold/` | any role |")
    assert edited != text
    api.write_text(edited)

    with pytest.raises(CommandError, match=r"Stale: docs/api\.md\. Run"):
        call_command("docs_tables", "--check")
    assert api.read_text() == edited


def test_the_command_rewrites_only_the_table(docs_copy):
    configuration = docs_copy / "docs" / "configuration.md"
    text = configuration.read_text()
    table = text[text.index("| variable |") : text.index("<!-- END generated -->")]
    configuration.write_text(text.replace(table, ""))

    call_command("docs_tables")

    assert configuration.read_text() == text


def test_a_setting_read_without_a_comment_is_refused():
    source = '# The port.\nPORT = env.int("PORT", default=1)\n\nHOST = env.str("HOST")\n'

    with pytest.raises(DocsError, match="settings.py:4 reads HOST with no comment"):
        environment_paragraphs(source, filename="settings.py")


def test_a_paragraph_shares_its_comment_and_keeps_each_default():
    source = (
        "# Where to listen.\n"
        'HOST = env.str("HOST", default="localhost")\n'
        'PORT = env.int("PORT", default=8000 + 1)\n'
        "# Required.\n"
        'KEY = env("KEY")\n'
    )

    assert environment_paragraphs(source, filename="settings.py") == [
        ("Where to listen.", [("HOST", "str", "'localhost'"), ("PORT", "int", "8000 + 1")]),
        ("Required.", [("KEY", "str", "")]),
    ]


def test_the_api_table_reads_who_from_the_role_predicates():
    table = docs_rendered(ROOT)[Path("docs/api.md")]

    assert "| `GET` | `/api/gpu/` | any role |" in table  # has_any_role
    assert "| `POST` | `/api/gpu/hold/` | admin |" in table  # can_use_gpu_levers
    assert "| `POST` | `/api/inbound/` | admin, operator, client |" in table  # can_ingest
    assert "| `POST` | `/api/auth/logout/` | anyone signed in, with a role or without |" in table
    assert "| `GET` | `/api/schema/` | anyone |" in table


# --- the README's first screen --------------------------------------------------------


def first_screen() -> list[str]:
    return README.read_text().splitlines()[:FIRST_SCREEN]


def test_readme_opens_with_the_two_commands():
    lines = first_screen()
    assert lines[0] == "# Prospector draft engine"
    fence = lines.index("```sh")
    block = lines[fence + 1 : lines.index("```", fence + 1)]
    assert [line.split("#")[0].strip() for line in block] == ["make run", "make test"]
    assert fence < 5, "the commands come first"


def test_readme_first_screen_has_the_demo_logins():
    screen = "\n".join(first_screen())
    makefile = (ROOT / "Makefile").read_text()
    password = re.search(r"^DEMO_PASSWORD \?= (\S+)$", makefile, re.MULTILINE).group(1)

    for username in DEMO_USERS:
        assert f"`{username}`" in screen
    assert f"`{password}`" in screen


def test_readme_first_screen_has_the_other_commands():
    screen = "\n".join(first_screen())

    assert "`make run-llm`" in screen
    assert "`make test-fast`" in screen


def test_readme_first_screen_links_every_doc():
    targets = {target.split("#")[0] for target in links("\n".join(first_screen()))}

    missing = [doc.name for doc in DOCS if f"docs/{doc.name}" not in targets]
    assert not missing, f"not linked from the README's first {FIRST_SCREEN} lines: {missing}"


# --- links ----------------------------------------------------------------------------

_FENCED = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#+\s+(.*?)\s*$", re.MULTILINE)


def links(markdown: str) -> list[str]:
    """The targets of the inline links and images, outside code."""
    return _LINK.findall(_CODE.sub("", _FENCED.sub("", markdown)))


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def broken_links(path: Path) -> list[str]:
    broken = []
    for target in links(path.read_text()):
        if re.match(r"[a-z]+:", target):  # https:, mailto:: not ours to check offline
            continue
        file, _, fragment = target.partition("#")
        resolved = (path.parent / file).resolve() if file else path
        if not resolved.exists():
            broken.append(target)
        elif fragment:
            headings = _HEADING.findall(_FENCED.sub("", resolved.read_text()))
            if fragment not in {anchor(heading) for heading in headings}:
                broken.append(target)
    return broken


@pytest.mark.parametrize("path", LINKED_FILES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_resolves(path):
    assert not broken_links(path)


def test_a_missing_file_or_heading_is_a_broken_link(tmp_path):
    (tmp_path / "there.md").write_text("# A heading: `with code`\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](there.md) [ok](there.md#a-heading-with-code) [code](`gone.md`)\n"
        "[file](gone.md) [heading](there.md#elsewhere)\n"
        "```\n[in a fence](gone-too.md)\n```\n"
    )

    assert broken_links(page) == ["gone.md", "there.md#elsewhere"]
