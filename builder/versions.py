"""What each version of a workflow is, in words: the live one, one that was live before
(and when), a draft, an archived one; and how it differs from the live version.

Every version is made live by ``workflow_publish`` (a rollback or a promotion publishes a
copy), so the versions published, in the order they were, are the workflow's live
history: each was live from its publication until the next one's.
"""

from dataclasses import dataclass
from datetime import datetime

from builder.diff import changed_sections
from builder.models import Workflow, WorkflowVersion

LIVE, LIVE_BEFORE, DRAFT, ARCHIVED = "live", "live_before", "draft", "archived"
# What each kind of version is called on the page: "published" alone said nothing of which
# one drafts use now.
STATE_WORDS = {
    LIVE: "Live",
    LIVE_BEFORE: "Was live",
    DRAFT: "Draft",
    ARCHIVED: "Archived",
}


@dataclass(frozen=True)
class VersionStory:
    version: WorkflowVersion
    state: str
    live_from: datetime | None
    # The version that replaced it as live, and when; None while it is live or never was.
    replaced_by: WorkflowVersion | None
    # Sections that differ from the live version; None for the live one, or with none live.
    changed: list[str] | None

    @property
    def state_words(self) -> str:
        return STATE_WORDS[self.state]

    @property
    def live_until(self) -> datetime | None:
        return self.replaced_by.published_at if self.replaced_by else None


def version_state(version: WorkflowVersion) -> str:
    """Live, was live, draft or archived (a key of ``STATE_WORDS``)."""
    if version.id == version.workflow.live_version_id:
        return LIVE
    if version.status == WorkflowVersion.Status.ARCHIVED:
        return ARCHIVED
    if version.status == WorkflowVersion.Status.DRAFT:
        return DRAFT
    return LIVE_BEFORE


def version_stories(workflow: Workflow) -> list[VersionStory]:
    """The workflow's versions, newest first, each with what it is and how it differs from
    the live version."""
    versions = list(workflow.versions.select_related("workflow", "author", "published_by"))
    live = next((v for v in versions if v.id == workflow.live_version_id), None)
    published = sorted((v for v in versions if v.published_at), key=lambda v: v.published_at)
    replaced_by = dict(zip((v.id for v in published), published[1:], strict=False))
    return [
        VersionStory(
            version=version,
            state=version_state(version),
            live_from=version.published_at,
            replaced_by=replaced_by.get(version.id),
            changed=changed_sections(live, version) if live and version != live else None,
        )
        for version in versions
    ]
