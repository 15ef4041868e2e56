"""The menu shows each role the pages it uses, grouped, and the header names the user's
roles briefly (issue 36, item 10)."""

import pytest

from core.roles import Role
from prospects.navigation import menu_for
from tests.support.panel import logged_in

pytestmark = pytest.mark.django_db


def labels(user) -> dict[str, list[str]]:
    return {group.title: [link.label for link in group.links] for group in menu_for(user, "/")}


def test_a_coworker_gets_the_review_pages_and_the_builds_unfolded(coworker):
    assert labels(coworker) == {
        "Review": ["Review queue", "Scheduled sends", "Threads", "Decisions", "Corrections"],
        "Engines & GPU": ["Engines"],
    }
    # Six pages fit on the bar as they are.
    assert [group.folded for group in menu_for(coworker, "/")] == [False, False]


def test_an_operator_gets_the_workflow_pages_and_no_admin_levers(operator):
    assert labels(operator) == {
        "Review": ["Threads", "Corrections"],
        "Workflows": ["Workflows", "Experiments", "Canon & rules", "Jobs", "Playground"],
        "Engines & GPU": ["Engines"],
        "Settings": ["API"],
    }
    # Nine pages are past the bar's eight: each group of more than one folds.
    assert [group.folded for group in menu_for(operator, "/")] == [True, True, False, False]


def test_an_admin_gets_every_page_in_four_folded_groups(admin_user):
    groups = menu_for(admin_user, "/")

    assert [group.title for group in groups] == ["Review", "Workflows", "Engines & GPU", "Settings"]
    assert sum(len(group.links) for group in groups) == 16
    assert all(group.folded for group in groups)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OPERATOR, Role.COWORKER, Role.CLIENT])
def test_every_page_the_menu_shows_opens_for_that_role(make_user, role):
    user = make_user(f"someone-{role}", role)
    client = logged_in(user)

    for group in menu_for(user, "/"):
        for link in group.links:
            assert client.get(link.url).status_code == 200, (role, link.url)


def test_the_page_shown_and_its_group_are_marked(admin_user):
    groups = {group.title: group for group in menu_for(admin_user, "/threads/0/")}

    assert groups["Review"].current
    assert [link.label for link in groups["Review"].links if link.current] == ["Threads"]
    assert not groups["Workflows"].current


def test_the_coworkers_bar_holds_no_page_they_do_not_use(coworker):
    page = logged_in(coworker).get("/").content.decode()
    nav = page[page.index('<nav id="panel-nav"') : page.index("</nav>")]

    assert "Review queue" in nav
    for other in ("Workflows", "Experiments", "Jobs", "GPU", "Settings", "API"):
        assert other not in nav


@pytest.mark.parametrize(
    ("roles", "named"),
    [
        ([Role.ADMIN], "· admin<"),
        ([Role.OPERATOR, Role.COWORKER], "· operator, coworker<"),
        ([Role.COWORKER], "· coworker<"),
    ],
)
def test_the_header_names_the_roles_briefly(make_user, roles, named):
    user = make_user("pat", *roles)
    user.is_superuser = Role.ADMIN in roles  # as the demo's admin: every role's group
    user.save()

    page = logged_in(user).get("/").content.decode()

    assert named in page
    assert "client" not in page.split('class="whoami"')[1].split("</form>")[0]
