"""Which engine drafts a thread's reply, and with which workflow version: one rule, that
the pipeline and the workflow preview both call.

A workflow does not name its engine. A thread that a running experiment assigns to one
of its arms runs on that arm's engine and workflow version; every other thread runs on
the active draft engine with the workflow that resolves for its situation.
"""

from dataclasses import dataclass

from builder.experiments import assign_arm
from builder.models import ExperimentArm, WorkflowVersion
from builder.resolve import Situation, resolve_workflow


@dataclass(frozen=True)
class Route:
    engine_id: str
    workflow_version: WorkflowVersion | None
    arm: ExperimentArm | None = None

    @property
    def experiment_arm(self) -> str:
        """What decisions and drafts record: ``experiment:arm``, or nothing."""
        return self.arm.label if self.arm else ""

    @property
    def reason(self) -> str:
        """Why this engine, in the words the preview shows."""
        if self.arm is None:
            return "the active draft engine"
        return f"arm {self.arm.key} of experiment {self.arm.experiment.slug}"


def route_for(situation: Situation, thread_key: str, *, draft_engine: str) -> Route:
    """The running experiment's arm that the thread is assigned to (sticky per thread),
    else ``draft_engine`` (the active setting) with the resolved workflow."""
    arm = assign_arm(situation, thread_key)
    if arm is not None:
        return Route(arm.engine_id, arm.workflow_version, arm)
    return Route(draft_engine, resolve_workflow(situation))
