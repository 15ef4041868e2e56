"""The panel's menu: its pages grouped by what people do, each shown to those who can use
it. Who can is asked of the same predicates the pages and the API ask (``core.roles``)."""

from dataclasses import dataclass

from django.urls import reverse

from core.roles import (
    Predicate,
    can_change_engine,
    can_edit_workflows,
    can_ingest,
    can_manage_webhooks,
    can_read_corrections,
    can_review,
    can_run_preview_on_model,
    can_start_jobs,
    can_use_gpu_levers,
    has_any_role,
)


@dataclass(frozen=True)
class Page:
    label: str
    url_name: str
    # Shown to those who use it: the predicate of what the page is for, not only of
    # who may open it (anyone signed in may read the GPU page; only an admin acts on it).
    shown_to: Predicate


@dataclass(frozen=True)
class Group:
    title: str
    pages: tuple[Page, ...]


MENU = (
    Group(
        "Review",
        (
            Page("Review queue", "prospects:review", can_review),
            Page("Scheduled sends", "prospects:scheduled_sends", can_review),
            Page("Threads", "prospects:thread_list", has_any_role),
            Page("Decisions", "prospects:decision_list", can_review),
            Page("Corrections", "prospects:correction_list", can_read_corrections),
        ),
    ),
    Group(
        "Workflows",
        (
            Page("Workflows", "builder:workflow_list", can_edit_workflows),
            Page("Experiments", "prospects:experiment_list", can_edit_workflows),
            Page("Canon & rules", "builder:snippet_list", can_edit_workflows),
            Page("Jobs", "prospects:job_list", can_start_jobs),
            Page("Playground", "prospects:playground", can_run_preview_on_model),
        ),
    ),
    Group(
        "Engines & GPU",
        (
            # Their scores, and the tuning exports of people's corrections.
            Page("Engines", "prospects:engine_list", can_read_corrections),
            Page("GPU", "prospects:gpu", can_use_gpu_levers),
        ),
    ),
    Group(
        "Settings",
        (
            Page("Settings", "prospects:settings", can_change_engine),
            Page("Pipeline", "prospects:pipeline_settings", can_change_engine),
            Page("API", "api-docs", can_ingest),
            Page("Webhooks", "prospects:webhook_list", can_manage_webhooks),
        ),
    ),
)


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    current: bool


@dataclass(frozen=True)
class MenuGroup:
    title: str
    links: list[Link]
    # Folded under its title where the bar would otherwise hold too many links.
    folded: bool

    @property
    def current(self) -> bool:
        return any(link.current for link in self.links)


# Up to this many pages sit on the bar as they are (one row at 1280 px, the Dashboard, the
# brand and who is signed in beside them); more, and groups fold under their titles.
FLAT_LIMIT = 8


def menu_for(user, path: str) -> list[MenuGroup]:
    """The groups ``user`` uses, each with only the pages they use; ``path`` marks the
    page shown (a page's own URL, or one under it: a thread under Threads). Past
    ``FLAT_LIMIT`` pages, each group of more than one page folds under its title."""
    found = []
    for group in MENU:
        links = []
        for page in group.pages:
            if page.shown_to(user):
                url = reverse(page.url_name)
                links.append(Link(page.label, url, path.startswith(url)))
        if links:
            found.append((group.title, links))
    fold = sum(len(links) for _, links in found) > FLAT_LIMIT
    return [MenuGroup(title, links, folded=fold and len(links) > 1) for title, links in found]
