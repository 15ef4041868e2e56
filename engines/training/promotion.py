"""The promotion gate: a build may replace the champion only if its latest evaluation is
not worse than the champion's, on the same cases, on each guarded metric (within that
metric's margin). Plain comparison here; prospects flips the engine."""

from dataclasses import dataclass
from enum import IntEnum

from django.core.exceptions import ValidationError

from engines.ids import InvalidEngineId, parse_engine_id
from engines.models.training import Evaluation, PromotionPolicy


class Better(IntEnum):
    HIGHER = 1
    LOWER = -1


@dataclass(frozen=True)
class Guardable:
    head: str
    better: Better
    label: str


GUARDABLE = {
    # Usable: answered within the step's token budget, and passed by the gate.
    "gate_pass_rate": Guardable("voice", Better.HIGHER, "usable share (gate pass rate)"),
    "hold_rate": Guardable("voice", Better.LOWER, "hold rate"),
    "edit_distance_mean": Guardable("voice", Better.LOWER, "edit distance to the sent text"),
    "embedding_similarity_mean": Guardable(
        "voice", Better.HIGHER, "embedding similarity to the sent text"
    ),
    "is_prospect_accuracy": Guardable("classifier", Better.HIGHER, "is_prospect accuracy"),
    "move_accuracy": Guardable("classifier", Better.HIGHER, "move accuracy"),
    "valid_json_rate": Guardable("classifier", Better.HIGHER, "valid-JSON rate"),
    "invariant_violations": Guardable("classifier", Better.LOWER, "invariant violations"),
}
DEFAULT_GUARDS = {"hold_rate": 0.02, "gate_pass_rate": 0.02}
# A head the policy sets no guard for is still gated, on these.
HEAD_DEFAULT_GUARDS = {
    "voice": DEFAULT_GUARDS,
    "classifier": {
        "move_accuracy": 0.02,
        "is_prospect_accuracy": 0.01,
        "valid_json_rate": 0.0,
        "invariant_violations": 0.0,
    },
}


def guards_for(guards: dict[str, float], head: str) -> dict[str, float]:
    """The policy's guards on ``head``'s metrics: a build is judged on what it does (a
    classifier build on moves, a drafter on replies); the head's defaults if none is set."""
    own = {metric: margin for metric, margin in guards.items() if GUARDABLE[metric].head == head}
    return own or dict(HEAD_DEFAULT_GUARDS[head])


def promotion_policy() -> PromotionPolicy:
    row, _ = PromotionPolicy.objects.get_or_create(
        id=PromotionPolicy.SINGLETON_ID, defaults={"guards": DEFAULT_GUARDS}
    )
    return row


def promotion_policy_set(*, guards: dict, user) -> PromotionPolicy:
    errors = {}
    for metric, margin in guards.items():
        if metric not in GUARDABLE:
            errors[metric] = [f"Not a guardable metric; one of {', '.join(GUARDABLE)}."]
        elif isinstance(margin, bool) or not isinstance(margin, int | float) or margin < 0:
            errors[metric] = ["The margin is a number, 0 or more."]
    if errors:
        raise ValidationError(errors)
    row = promotion_policy()
    row.guards = {metric: float(margin) for metric, margin in guards.items()}
    row._history_user = user
    row.save()
    return row


@dataclass(frozen=True)
class Comparison:
    metric: str
    label: str
    candidate: float | None
    champion: float | None
    margin: float
    problem: str  # "" when the candidate holds on this metric


@dataclass(frozen=True)
class Verdict:
    candidate: str
    champion: str
    comparisons: list[Comparison]

    @property
    def ok(self) -> bool:
        return all(not row.problem for row in self.comparisons)

    @property
    def problems(self) -> list[str]:
        """Each problem once: a missing evaluation is the same problem for every metric of
        its head."""
        return list(dict.fromkeys(row.problem for row in self.comparisons if row.problem))


def latest_evaluation(engine_id: str, head: str, cases_sha256: str = "") -> Evaluation | None:
    found = Evaluation.objects.filter(
        build__engine_id=engine_id, head=head, status=Evaluation.Status.SUCCEEDED
    )
    if cases_sha256:
        found = found.filter(cases_sha256=cases_sha256)
    return found.order_by("-created_at").first()


def _is_model(engine_id: str) -> bool:
    try:
        return not parse_engine_id(engine_id).is_template
    except InvalidEngineId:
        return False


def evaluation_pair(candidate: str, champion: str, head: str) -> tuple:
    """The candidate's latest ``head`` evaluation and the champion's on the same cases
    (None where there is none, or the champion is the candidate or not a model)."""
    mine = latest_evaluation(candidate, head)
    if mine is None or candidate == champion or not _is_model(champion):
        return mine, None
    return mine, latest_evaluation(champion, head, mine.cases_sha256)


def promotion_verdict(
    candidate: str, champion: str, guards: dict[str, float], pairs: dict | None = None
) -> Verdict:
    """``pairs`` ({head: (mine, theirs)}) saves the look-ups a caller already made."""
    pairs = dict(pairs or {})
    rows = []
    for metric, margin in guards.items():
        guardable = GUARDABLE[metric]
        if guardable.head not in pairs:
            pairs[guardable.head] = evaluation_pair(candidate, champion, guardable.head)
        mine, theirs = pairs[guardable.head]
        value = mine.metrics.get(metric) if mine else None
        against = theirs.metrics.get(metric) if theirs else None
        rows.append(
            Comparison(
                metric=metric,
                label=guardable.label,
                candidate=value,
                champion=against,
                margin=margin,
                problem=_problem(guardable, champion, mine, theirs, value, against, margin),
            )
        )
    return Verdict(candidate=candidate, champion=champion, comparisons=rows)


def _problem(guardable, champion, mine, theirs, value, against, margin) -> str:
    if mine is None or value is None:
        return f"No {guardable.head} evaluation of this build yet: evaluate it first."
    if not _is_model(champion) and theirs is None:
        return ""  # the template champion has no model scores to be worse than
    if theirs is None or against is None:
        return (
            f"The champion {champion} has no {guardable.head} evaluation on the same cases: "
            f"evaluate it on the '{mine.split}' split too."
        )
    worse = (against - value) if guardable.better == Better.HIGHER else (value - against)
    if worse > margin:
        return (
            f"{guardable.label}: {value:.3f} against the champion's {against:.3f} is worse by "
            f"{worse:.3f}, more than the margin of {margin:.3f}."
        )
    return ""
