import pytest

from builder.taxonomy import ThreadState
from prospects.deciding.decision_gate import Gate2Rule, evaluate, safety_terms_found
from tests.support.drafting import ingest
from tests.support.factories import make_inbound


def run(**overrides):
    values = {
        "body": "Are you free on Friday evening?",
        "move": "pursue",
        "thread_state": ThreadState.ENGAGED,
        "sends_today": 0,
        "max_sends_per_day": 3,
    }
    values.update(overrides)
    return evaluate(**values)


def test_an_ordinary_decision_passes_every_rule():
    result = run()
    assert not result.forces_hold
    assert {r["rule"] for r in result.results} == set(Gate2Rule.values)


def test_escalation_needs_a_person():
    assert run(move="escalate").failed_rules == [Gate2Rule.HUMAN_ONLY_MOVE]


def test_closed_thread_forces_hold():
    assert run(thread_state=ThreadState.CLOSED).failed_rules == [Gate2Rule.THREAD_CLOSED]


def test_send_rate_limit_forces_hold():
    assert run(sends_today=3).failed_rules == [Gate2Rule.SEND_RATE]
    assert not run(sends_today=2).forces_hold


@pytest.mark.parametrize(
    ("body", "category"),
    [
        ("I'm 16, is that ok?", "minor"),
        ("im 15 and bored", "minor"),
        ("my friend is 17 years old", "minor"),
        ("she's a high school student", "minor"),
        ("tengo 16 años", "minor"),
        ("j\u2019ai 15 ans", "minor"),
        ("Ich bin 16", "minor"),
        ("tenho 14 anos", "minor"),
        ("are you a c\u043eps?", "law enforcement"),  # Cyrillic o
        ("is this a p\u200bolice sting?", "law enforcement"),  # zero-width space
        ("\uff43\uff4f\uff50\uff53 everywhere", "law enforcement"),  # fullwidth
        ("la policía me busca", "law enforcement"),
        ("les flics sont là", "law enforcement"),
        ("die Polizei kommt", "law enforcement"),
        ("a polícia chegou", "law enforcement"),
        ("I know where you live", "threat"),
        ("I'll expose you to everyone", "threat"),
        ("te voy a encontrar", "threat"),
        ("I want to kill myself", "self-harm"),
        ("quiero morir", "self-harm"),
        ("j'ai envie de mourir", "self-harm"),
    ],
)
def test_safety_terms_hold_whatever_the_move_and_name_what_matched(body, category):
    result = run(body=body, move="opener")
    assert result.failed_rules == [Gate2Rule.SAFETY_TERMS]
    detail = next(r["detail"] for r in result.results if r["rule"] == Gate2Rule.SAFETY_TERMS)
    assert detail.startswith(f"{category}: '")


@pytest.mark.parametrize(
    "body",
    [
        "I'm 5 minutes away",
        "I'm 2 blocks from the hotel",
        "Be there at 7pm, see you soon",
        "Kind regards, and thanks for your patience",
        "We've known each other for 5 years",
        "Lovely! Which evening suits you best?",
        "Hace 5 años que vivo aquí",
        "J'habite ici depuis 3 ans",
        "Seit 10 Jahren in Berlin",
        "Moro aqui há 4 anos",
    ],
)
def test_ordinary_messages_have_no_safety_terms(body):
    assert safety_terms_found(body) == []


@pytest.mark.django_db
def test_a_safety_term_holds_the_draft_with_the_term_in_its_detail(canon):
    draft = ingest(make_inbound("Hi! I'm 16, free tonight?")).draft
    assert draft.hold_reason == "gate2_hold"
    assert "safety_terms (minor: 'I'm 16')" in draft.hold_detail
