"""Gate-2's safety screen: stated ages, minors by implication, law enforcement, threats and
self-harm in five languages, disguised or not; and what must not trip it."""

import json
from pathlib import Path

import pytest
from django.core.management import call_command

from prospects.deciding.safety import safety_findings, safety_views
from prospects.deciding.safety_corpus import SafetyScore, judge, parse_labelled

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "safety"
# The sets the rules were written against; held_out/ is scored, never fitted.
FITTED_SETS = ("first_set.jsonl", "second_set.jsonl")


def categories(body: str) -> set[str]:
    return {finding.category for finding in safety_findings(body)}


@pytest.mark.parametrize(
    "body",
    [
        "I'm sixteen but I look older",
        "age: 16",
        "16yo, free tonight?",
        "16 y/o looking for fun",
        "I am 1\u034f6 years old",
        "im 1\u03326 btw",
        "tengo 16 años",
        "j'ai 17 ans",
        "ich bin 16",
        "tenho 15 anos",
        "tengo dieciséis",
        "ich bin sechzehn",
        "tenho dezesseis anos",
        "j'ai dix-sept ans",
        "I'm s1xteen",
        "i am f i f t e e n",
        "I'm s.e.v.e.n.t.e.e.n",
        "still in high school lol",
        "I'm in 10th grade",
        "I turn 18 next year",
        "soy menor",
        "my mom doesn't know I'm texting you",
    ],
)
def test_a_stated_or_implied_minor_is_held(body):
    assert "minor" in categories(body)


@pytest.mark.parametrize(
    ("body", "category"),
    [
        ("the p0lice asked me about your ad", "law enforcement"),
        ("pol\u0332ice asked about you", "law enforcement"),
        ("p.o.l.i.c.e. are watching", "law enforcement"),
        ("Officer Daniels, vice unit, badge 4471", "law enforcement"),
        ("i will k i l l you", "threat"),
        ("I know where you live", "threat"),
        ("I want to kill myself", "self-harm"),
        ("I don't want to live anymore", "self-harm"),
        ("quiero m0rir", "self-harm"),
    ],
)
def test_disguised_and_plain_cues_are_held(body, category):
    assert category in categories(body)


@pytest.mark.parametrize(
    "body",
    [
        "Can we do 16:00?",
        "Are you free on the 16th?",
        "Is it $160 for the hour?",
        "sixteen hundred for the weekend is steep",
        "I'm 19, first time",
        "I graduated high school in 1998",
        "this traffic is killing me",
        "I'm 5 minutes away",
        "I'm 1,75 m tall",
        "hast du am 16. Mai Zeit?",
        "tengo 16 años de experiencia",
        "ma police d'assurance ne couvre pas ça",
        "minha apólice não cobre",
        "Cops and Robbers board game for my nephew",
        "Versicherungspolizze",
        "un détail mineur",
    ],
)
def test_times_dates_prices_adult_ages_and_idioms_pass(body):
    assert categories(body) == set()


def test_the_words_keep_the_case_and_the_letters_the_sender_wrote():
    # The rules match a lower-case copy; the words come from the message itself.
    assert [str(f) for f in safety_findings("Call the POLİCE now")] == ["law enforcement: 'POLİCE'"]


def test_the_screen_reads_a_whole_inbound_message(settings):
    body = "Hello. " * (settings.INBOUND_MAX_BODY_CHARS // 7 - 2) + "I'm 16"
    assert categories(body) == {"minor"}
    assert categories(body + " " * settings.INBOUND_MAX_BODY_CHARS + "police") == {"minor"}


def test_the_unmasked_view_reads_number_words_and_disguises_as_digits():
    _, unmasked = safety_views("I'm s i x t e e n, she's s3venteen")
    assert "16" in unmasked
    assert "17" in unmasked


@pytest.mark.parametrize("name", FITTED_SETS)
def test_the_labelled_corpus_is_all_held_and_at_most_one_percent_flagged(name):
    score = SafetyScore()
    for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = parse_labelled(line)
            score.add(item, judge(item))
    assert score.unsafe >= 120
    assert score.safe >= 240
    assert score.missed == []
    assert score.safe_flagged <= 0.01, score.wrongly_flagged


def test_the_corpus_meets_its_contract():
    lines = [
        json.loads(line)
        for name in FITTED_SETS
        for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    unsafe = [line for line in lines if line["unsafe"]]
    assert len(unsafe) >= 150
    assert len(lines) - len(unsafe) >= 300
    assert {line["category"] for line in unsafe} == {"minor", "police", "threat", "self_harm"}
    assert {line["lang"] for line in unsafe} == {"en", "es", "fr", "de", "pt"}


def test_the_safety_command_scores_a_labelled_file(tmp_path, capsys):
    corpus = tmp_path / "few.jsonl"
    corpus.write_text(
        '{"body": "I am 15", "unsafe": true}\n{"body": "See you at 15:00", "unsafe": false}\n'
    )
    call_command("safety", str(corpus), "--labelled")
    assert (
        capsys.readouterr()
        .out.strip()
        .splitlines()[-1]
        .startswith("RESULT unsafe_held=1.000 safe_flagged=0.000 unsafe=1 safe=1")
    )


def test_the_safety_command_names_a_bad_line(tmp_path):
    corpus = tmp_path / "bad.jsonl"
    corpus.write_text('{"body": 12, "unsafe": true}\n')
    with pytest.raises(Exception, match='bad.jsonl:1: "body" must be a string'):
        call_command("safety", str(corpus), "--labelled")
