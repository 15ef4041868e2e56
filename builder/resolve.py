"""Workflow resolution: which published workflow runs for a situation.

For (archetype, state, template key) the live version whose appliesTo matches most
specifically wins; ties go to the higher priority, then to the workflow slug, so the
answer never depends on database order. An empty appliesTo list means "any".
"""

from dataclasses import dataclass

from builder.models import Workflow, WorkflowVersion


@dataclass(frozen=True)
class Situation:
    archetype: str
    state: str
    template_key: str


@dataclass(frozen=True)
class Candidate:
    key: str  # a stable tie-breaker: the workflow slug
    priority: int
    archetypes: frozenset[str]
    states: frozenset[str]
    template_keys: frozenset[str]

    @classmethod
    def of(cls, version: WorkflowVersion) -> "Candidate":
        applies_to = version.applies_to
        return cls(
            key=version.workflow.slug,
            priority=version.priority,
            archetypes=frozenset(applies_to.get("archetypes", [])),
            states=frozenset(applies_to.get("states", [])),
            template_keys=frozenset(applies_to.get("templateKeys", [])),
        )

    def matches(self, situation: Situation) -> bool:
        return (
            (not self.archetypes or situation.archetype in self.archetypes)
            and (not self.states or situation.state in self.states)
            and (not self.template_keys or situation.template_key in self.template_keys)
        )

    @property
    def specificity(self) -> tuple[int, int, int, int]:
        """More constrained dimensions first; among equals a template key, then a state."""
        constrained = (bool(self.template_keys), bool(self.states), bool(self.archetypes))
        return (sum(constrained), *constrained)

    def rank(self) -> tuple:
        return (self.specificity, self.priority, _descending(self.key))


def _descending(text: str) -> tuple[int, ...]:
    # max() picks the largest rank; negated code points make the smallest slug win a tie.
    return tuple(-ord(ch) for ch in text) + (0,)


def pick(candidates, situation: Situation):
    """The winning candidate for a situation, or None when nothing matches."""
    matching = [candidate for candidate in candidates if candidate.matches(situation)]
    return max(matching, key=Candidate.rank, default=None)


def live_versions():
    return WorkflowVersion.objects.filter(
        id__in=Workflow.objects.exclude(live_version=None).values("live_version"),
        status=WorkflowVersion.Status.PUBLISHED,
    ).select_related("workflow")


def resolve_workflow(situation: Situation) -> WorkflowVersion | None:
    """The live workflow version that runs for ``situation``; None when none applies."""
    versions = {version.workflow.slug: version for version in live_versions()}
    winner = pick([Candidate.of(version) for version in versions.values()], situation)
    return versions[winner.key] if winner else None
