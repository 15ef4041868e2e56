"""The pipeline's sending settings an admin changes, with one set of rules for the panel
and the API: the default send mode, the template keys that send without review, what a
draft does with no matching workflow or no ready engine, the build a draft the gate refused
escalates to, the uncertain-move threshold and the daily cap on replies sent without a
person. Each change is kept in history with who
made it and why.

The engine switches (draft engine, classifier) live in prospects/engine_switch.py."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction

from core.fields import control_character, control_character_message
from core.history import CHANGE_REASON_LENGTH
from engines.ids import parse_engine_id
from engines.models import AdapterHead
from engines.selectors import engine_id_problem
from prospects.deciding.next_action import template_keys_in_use
from prospects.engine_switch import build_head
from prospects.models import Mode, PipelineSettings, WithoutWorkflow
from prospects.selectors import pipeline_settings
from prospects.vocabulary import template_key_words

FIELDS = (
    "default_mode",
    "auto_send_keys",
    "without_workflow",
    "engine_wait_fallback",
    "escalation_engine",
    "uncertain_move_threshold",
    "daily_send_cap",
)
# The history keeps the reason whole (core.history.CHANGE_REASON_LENGTH).
MAX_REASON_LENGTH = CHANGE_REASON_LENGTH
# Past this, a cap is a typo rather than a limit.
MAX_DAILY_SEND_CAP = 1_000_000
CAP_RANGE = f"From 1 to {MAX_DAILY_SEND_CAP:,} replies a day, or empty: no cap."
THRESHOLD_RANGE = "From 0 (never hold) to 1 (hold every head's move)."


def pipeline_values(row: PipelineSettings) -> dict:
    """The row's settings this module changes, by field."""
    return {field: getattr(row, field) for field in FIELDS}


def _choice(value, choices: type, field: str) -> str:
    if value not in choices.values:
        words = " or ".join(f"“{label}”" for label in choices.labels)
        raise ValidationError({field: f"Choose {words}."})
    return value


def _keys(value) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(key, str) for key in value):
        raise ValidationError({"auto_send_keys": "A list of template keys."})
    known = template_keys_in_use()
    unknown = sorted(set(value) - known)
    if unknown:
        raise ValidationError(
            {"auto_send_keys": f"Unknown template key: {', '.join(unknown)}."},
        )
    return sorted(set(value))


def escalation_engine_problem(engine_id: str, *, draft_engine: str) -> str | None:
    """Why ``engine_id`` cannot take over the drafts the gate refuses: only a registered
    model build that drafts, other than the active draft engine, can ("" escalates to
    none)."""
    if engine_id == "":
        return None
    if problem := engine_id_problem(engine_id):
        return problem
    parsed = parse_engine_id(engine_id)
    if parsed.is_template or parsed.runs_in_process:
        return f"'{engine_id}' runs no model: escalate to a model build."
    if build_head(engine_id) == AdapterHead.CLASSIFIER:
        return f"'{engine_id}' is a classifier build: it decides moves, it does not draft."
    if engine_id == draft_engine:
        return f"'{engine_id}' is the draft engine: a build cannot escalate to itself."
    return None


def _escalation(value) -> str:
    if not isinstance(value, str):
        raise ValidationError({"escalation_engine": "An engine id, or empty: no escalation."})
    if problem := escalation_engine_problem(value, draft_engine=pipeline_settings().draft_engine):
        raise ValidationError({"escalation_engine": problem})
    return value


def _threshold(value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError({"uncertain_move_threshold": "A number from 0 to 1."})
    if not 0 <= value <= 1:
        raise ValidationError({"uncertain_move_threshold": THRESHOLD_RANGE})
    return float(value)


def _cap(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({"daily_send_cap": "A whole number of replies, or empty: no cap."})
    if not 1 <= value <= MAX_DAILY_SEND_CAP:
        raise ValidationError({"daily_send_cap": CAP_RANGE})
    return value


SETTING_RULES = {
    "default_mode": lambda value: _choice(value, Mode, "default_mode"),
    "auto_send_keys": _keys,
    "without_workflow": lambda value: _choice(value, WithoutWorkflow, "without_workflow"),
    "engine_wait_fallback": lambda value: _choice(value, WithoutWorkflow, "engine_wait_fallback"),
    "escalation_engine": _escalation,
    "uncertain_move_threshold": _threshold,
    "daily_send_cap": _cap,
}


def _reason(reason) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError({"reason": "Say why: it is kept in the history."})
    reason = reason.strip()
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationError({"reason": f"At most {MAX_REASON_LENGTH} characters."})
    if what := control_character(reason, multiline=False):
        raise ValidationError({"reason": control_character_message(what, multiline=False)})
    return reason


def pipeline_settings_clean(changes: dict, reason: str = "") -> tuple[dict, str]:
    """``changes`` checked against the rules, with every field's error at once; and the
    reason, which is required. Raises ``ValidationError`` keyed by field."""
    errors: dict[str, list] = {}
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        errors[NON_FIELD_ERRORS] = [f"Not a pipeline setting: {', '.join(unknown)}."]
    cleaned = {}
    for field, value in changes.items():
        if field not in SETTING_RULES:
            continue
        try:
            cleaned[field] = SETTING_RULES[field](value)
        except ValidationError as error:
            error.update_error_dict(errors)
    try:
        reason = _reason(reason)
    except ValidationError as error:
        error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    return cleaned, reason


@transaction.atomic
def pipeline_settings_update(*, changes: dict, reason: str, user) -> PipelineSettings:
    """Sets the given pipeline settings (any of ``FIELDS``) on the settings row, under its
    lock, and keeps the change in history with ``user`` and ``reason``. Settings given at
    their current values change nothing and write no history.

    Raises ``ValidationError`` keyed by field (``reason`` too) for any value the rules
    refuse; nothing is saved then."""
    cleaned, reason = pipeline_settings_clean(changes, reason)
    row = PipelineSettings.objects.select_for_update().get(id=pipeline_settings().id)
    if all(getattr(row, field) == value for field, value in cleaned.items()):
        return row
    for field, value in cleaned.items():
        setattr(row, field, value)
    row._history_user = user
    row._change_reason = reason
    row.save()
    return row


def _keys_words(keys) -> str:
    return ", ".join(template_key_words(key) for key in sorted(keys))


def _key_count(count: int) -> str:
    return f"{count} template key{'' if count == 1 else 's'}"


def _without(value: str) -> str:
    if value == WithoutWorkflow.TEMPLATE:
        return "fall back to the template engine"
    return "be held for a person"


def pipeline_settings_changes_summary(old: dict, new: dict) -> list[str]:
    """What changes from ``old`` to ``new`` (``pipeline_values``, or the fields given), one
    sentence each, in the words people read on the confirmation and in the history."""
    changed = {
        field: new[field] for field in FIELDS if field in new and new[field] != old.get(field)
    }
    sentences = []
    if "default_mode" in changed:
        if changed["default_mode"] == Mode.AUTO_SEND:
            sentences.append(
                "Drafts of every template key will send without review, unless something "
                "else holds them."
            )
        else:
            sentences.append(
                "Drafts will wait for review, except the template keys that send without review."
            )
    if "auto_send_keys" in changed:
        before, after = set(old.get("auto_send_keys") or []), set(changed["auto_send_keys"])
        if added := after - before:
            sentences.append(
                f"{_key_count(len(added))} will send without review: {_keys_words(added)}."
            )
        if removed := before - after:
            sentences.append(
                f"{_key_count(len(removed))} will wait for review again: {_keys_words(removed)}."
            )
    if "without_workflow" in changed:
        sentences.append(
            f"Replies with no matching workflow will {_without(changed['without_workflow'])}."
        )
    if "engine_wait_fallback" in changed:
        sentences.append(
            "Live drafts whose model build is not ready in time will "
            f"{_without(changed['engine_wait_fallback'])}."
        )
    if "escalation_engine" in changed:
        if build := changed["escalation_engine"]:
            sentences.append(
                f"Drafts the validation gate refuses will get one more try on {build}, "
                "credited to it."
            )
        else:
            sentences.append("Drafts the validation gate refuses will get no second try.")
    if "uncertain_move_threshold" in changed:
        threshold = changed["uncertain_move_threshold"]
        if threshold:
            sentences.append(
                f"Drafts whose move the classifier is less than {threshold:.0%} sure of will "
                "be held for a person."
            )
        else:
            sentences.append("No draft will be held for an uncertain move.")
    if "daily_send_cap" in changed:
        cap = changed["daily_send_cap"]
        if cap is None:
            sentences.append("There will be no daily cap on replies sent without a person.")
        else:
            sentences.append(
                f"At most {cap:,} repl{'y' if cap == 1 else 'ies'} a day (UTC) will be sent "
                "without a person; past that, drafts are held for review."
            )
    return sentences


@dataclass(frozen=True)
class Change:
    """One row of the history: when, who, what changed in words, and why."""

    when: datetime
    who: str
    what: list[str]
    why: str


def pipeline_settings_history(limit: int = 20) -> list[Change]:
    """The latest changes to the settings row, newest first, each told against the row
    before it (engine switches included, by the engine they switched to)."""
    records = list(
        PipelineSettings.history.select_related("history_user").order_by("-history_id")[: limit + 1]
    )
    changes = []
    for record, before in zip(records, [*records[1:], None], strict=True):
        if before is None and len(records) > limit:
            break
        old = {} if before is None else {f: getattr(before, f) for f in FIELDS}
        new = {f: getattr(record, f) for f in FIELDS}
        what = pipeline_settings_changes_summary(old, new) if before is not None else []
        for field, words in (("draft_engine", "Draft engine"), ("classifier_engine", "Classifier")):
            if before is not None and getattr(before, field) != getattr(record, field):
                what.append(f"{words}: {getattr(record, field)}.")
        if before is None:
            what = ["The settings were created."]
        changes.append(
            Change(
                when=record.history_date,
                who=str(record.history_user or "system"),
                what=what or ["Nothing the panel shows."],
                why=record.history_change_reason or "",
            )
        )
    return changes
