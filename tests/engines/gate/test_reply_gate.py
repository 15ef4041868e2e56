import pytest

from engines.gate import reply_gate
from engines.gate.reply_gate import GateRule, check


def failed(text: str, max_chars: int = 500) -> set[str]:
    return {rule.value for rule in check(text, max_chars=max_chars).failed}


@pytest.mark.parametrize(
    "text",
    [
        "Hi! Thursday at 3pm works, or 7:30 if you prefer.",
        "How about the 21st? I have 2 hours free in the afternoon.",
        "Lovely to hear from you, see you soon.",
        "My appointments start at one hour.",
        "Let's say 10:00-12:00 on Friday.",
        "I'm around on 12/05 and 13/05.",
        "See you at 7:30 at my place",
        "I'll drive 2 hours each way",
        "Tuesday 14.00 - 16.00 works, or 9.30-11.30",
        "No extra fees, see you at 3pm",
        "I'll bring two gifts",
        "I cannot wait to see you!",
        "For 2 hours. Place: your choice",
        "See you at 8. Bye!",
        "Meet me at home. Thanks",
        "See you at 10 for an hour then?",
        "I'm not a bot, it's really me!",
        "I ran 5k today and I'm dead",
        "On se voit à 20h30 ?",
        "can't wait to see you soon.Love you",
        "My point is, Friday suits me better.",
        "Nos vemos en el punto de encuentro de siempre.",
        "Two hours 30 minutes is a long flight!",
        "J'ai lu 2 livres cette semaine.",
        "I'll check my gmail later, my inbox is a mess.",
        "I saw 3 friends at the 2nd floor bar.",
    ],
)
def test_ordinary_replies_pass(text):
    assert check(text, max_chars=500).ok


def test_empty_body_fails_only_the_empty_rule():
    assert failed("   ") == {GateRule.EMPTY}


def test_too_long_is_named():
    assert failed("x" * 11, max_chars=10) == {GateRule.TOO_LONG}


def test_the_content_rules_read_everything_a_person_could_override_and_send():
    # Past max_chars the draft is too_long, and the tail a person might send anyway is read.
    assert failed("See you soon. " * 10 + "Call 0207 946 0958", max_chars=140) == {
        GateRule.TOO_LONG,
        GateRule.PHONE,
    }
    # Nothing past READ_CHARS is ever sent (review refuses it), so nothing past it is read.
    assert failed("x" * reply_gate.READ_CHARS + " Call 0207 946 0958", max_chars=140) == {
        GateRule.TOO_LONG
    }


def test_a_long_body_of_invisible_characters_is_empty_not_too_long():
    assert failed("\u200b" * 600) == {GateRule.EMPTY}


@pytest.mark.parametrize(
    "text",
    [
        "It's $300 for the evening.",
        "That would be 250 EUR.",
        "200 roses for an hour",
        "3 bills and we're good",
        "two hundred for the night",
        "five hundred dollars",
        "my rate is 400",
        "1.5k for the weekend",
        "a hundred and fifty",
        "2 hundred for the evening",
        "a grand for the weekend",
        "150 flowers",
        "250 per hour",
        "250/hr",
        "300 an hour",
        "It's 300 for the hour",
        "EUR 250 for the evening",
        "my rate is three fifty",
        "I charge 400",
        "＄３００",
        "3 0 0 an hour",
        "₽30000",
    ],
)
def test_prices_are_caught(text):
    assert GateRule.PRICE in failed(text)


@pytest.mark.parametrize(
    "text",
    [
        "I'm at 221B Baker Street.",
        "Come to 45 Rue de Rivoli",
        "It's suite 12, ring twice",
        "My postcode is NW1 6XE",
        "I'm on Baker Street",
        "Hauptstraße 12",
    ],
)
def test_addresses_are_caught(text):
    assert GateRule.ADDRESS in failed(text)


@pytest.mark.parametrize(
    "text",
    [
        "Call me on 555-123-4567",
        "Text +44 20 7946 0958",
        "WhatsApp +49 151 23456789",
        "my number: (212) 555 0199",
        "five five five, one two three, four five six seven",
    ],
)
def test_phone_numbers_are_caught(text):
    assert GateRule.PHONE in failed(text)


@pytest.mark.parametrize(
    "text",
    [
        "write to anna@example.com",
        "anna [at] example [dot] com",
        "anna(at)example(dot)com",
        "anna at example dot com",
        "anna @ example.com",
        "anna＠example．com",
        # The mailbox is read from the start of its run, whatever the run holds before it.
        "write to " + "a1" * 200 + "@example.com",
        "a.b.c+anna@example.com",
        "is.anna at example dot com",
        "-anna at example.com",
    ],
)
def test_email_addresses_are_caught(text):
    assert GateRule.EMAIL in failed(text)


@pytest.mark.parametrize(
    "text",
    [
        "As an AI, I can't meet.",
        "I cannot help with that.",
        "I am ChatGPT.",
        "As your assistant I cannot share that.",
        "I\u2019m an AI",
    ],
)
def test_ai_phrases_are_caught(text):
    assert GateRule.AI_PHRASE in failed(text)


def test_an_echoed_prompt_line_leaks_however_it_is_wrapped():
    fragments = ["Never write prices, amounts, addresses, phone numbers or links."]
    echo = "never write prices, amounts, addresses,\nphone numbers or links"
    assert check(echo, max_chars=500, prompt_fragments=fragments).failed == (
        GateRule.LEAKED_PROMPT,
    )


def test_chat_template_markers_leak():
    assert GateRule.LEAKED_PROMPT in failed("<<SYS]")


def test_invisible_characters_neither_hide_a_rule_nor_make_a_body():
    assert GateRule.PHONE in failed("Call 555\u200b123\u200b4567")
    assert failed("\u200b\u200b") == {GateRule.EMPTY}


@pytest.mark.parametrize(
    "text",
    [
        "Details on https://example.com/me",
        "hxxps://evil.example/x",  # defanged scheme
        "See www.annak.net",
        "Everything is on [my page](https://x.co/p)",
        "Everything is on [my page](profile/anna)",
        "find me at annak[.]com",
        "annak(dot)com has it all",
        "annak dot com",
        "bit.ly/2xYz",
        "t.me/annak",
        "ａｎｎａｋ．ｃｏｍ",  # fullwidth
        "ann\u200bak.com",  # a zero-width space inside
    ],
)
def test_links_are_caught_in_any_form(text):
    assert "link" in failed(text)


@pytest.mark.parametrize(
    "text",
    [
        "Add me on telegram",
        "text me on whats app",
        "Let's move this to WhatsApp",
        "my snap is annak",
        "snap: @annak",
        "I'm @annak_x there",
        "cashapp $annak for the deposit",
        "Pay me on venmo first",
        "DM me on insta",
    ],
)
def test_handles_and_other_channels_are_caught(text):
    assert "handle" in failed(text)


@pytest.mark.parametrize(
    "text",
    [
        "Meet at 3.30pm?",
        "Mr.Smith told me about you, e.g. Friday works.",
        "I love polka dot dresses!",
        "See you @8pm then",
        "Call me when you land.",
        "The signal in the hotel lobby is weak, sorry!",
        "We can take a line of the song as our motto.",
        "Room for improvement, always.",
    ],
)
def test_times_names_and_ordinary_words_are_not_links_or_handles(text):
    assert not failed(text) & {"link", "handle"}


def test_a_phone_after_more_numbers_than_the_library_parses_is_still_caught():
    from engines.gate.contacts import PHONE_CANDIDATES_PARSED

    numbers = "40.1 " * (PHONE_CANDIDATES_PARSED + 50)
    assert GateRule.PHONE in failed(numbers + "call +44 20 7946 0958", max_chars=4000)
    assert GateRule.PHONE in failed(numbers + "call 0207 946 0958", max_chars=4000)
