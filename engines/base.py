"""What every draft engine takes and returns, as plain data (engines never see models)."""

import secrets
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from engines.holds import HoldReason


@dataclass(frozen=True)
class Step:
    kind: str  # "think" or "draft"
    instruction: str
    max_chars: int | None = None


@dataclass(frozen=True)
class WorkflowSpec:
    """A workflow version as plain data: builder hands it down, engines never see models."""

    label: str  # e.g. "opener-welcome@3"
    context: tuple[tuple[str, str], ...]  # (title, text), in order
    steps: tuple[Step, ...]
    retrieval: bool = False  # send past corrections as few-shot exemplars

    @property
    def max_chars(self) -> int:
        return self.steps[-1].max_chars or 0


@dataclass(frozen=True)
class Turn:
    """One message of the conversation the reply answers."""

    sender: str
    body: str


@dataclass(frozen=True)
class Exemplar:
    """A past correction shown to the model: a reply to imitate, or one to avoid."""

    accepted: bool
    message: str  # what the client wrote
    reply: str  # the coworker's corrected reply, or the rejected draft
    note: str = ""  # why a reply was rejected
    ref: str = ""  # the correction's id, logged on the draft


@dataclass(frozen=True)
class DraftRequest:
    template_key: str
    canon_text: str | None  # None: no canon entry exists for the key
    max_chars: int
    inbound_body: str = ""
    thread_handle: str = ""
    archetype: str = ""
    state: str = ""
    move: str = ""
    history: tuple[Turn, ...] = ()
    workflow: WorkflowSpec | None = None
    exemplars: tuple[Exemplar, ...] = ()
    # Marks where untrusted text starts and ends in this request's prompts: random, so no
    # sender can write the line that closes a block.
    boundary: str = field(default_factory=lambda: secrets.token_hex(6))

    @property
    def reply_max_chars(self) -> int:
        """The longest reply: the workflow's draft step's maxChars, else the global cap."""
        return self.workflow.max_chars if self.workflow else self.max_chars


@dataclass(frozen=True)
class DraftResult:
    body: str
    engine_id: str
    latency_ms: int = 0
    # Per step: kind, prompt messages, output, tokens in/out, latency.
    steps: list[dict] = field(default_factory=list)
    tokens_in: int = 0
    tokens_out: int = 0


class EngineError(Exception):
    """An engine yielded no usable body. ``permanent`` says whether a retry can help."""

    def __init__(
        self, reason: HoldReason, detail: str, *, permanent: bool, steps: list | None = None
    ):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.permanent = permanent
        self.steps = steps or []


class DraftEngine(ABC):
    engine_id: str

    @abstractmethod
    def draft(self, request: DraftRequest) -> DraftResult: ...
