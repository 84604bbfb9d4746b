"""How a crisis phrase matches (issue #23), on a small phrase file of its own: stems, `*`
prefixes, filler words, negations, sentence breaks, per-phrase `unless` and global exceptions.
The shipped phrases are measured on the corpus (tests/test_crisis_corpus.py); these tests pin
the rules an operator reads in crisis.toml's header."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.crisis import load_crisis_phrases
from bot.content.crisis_matcher import CrisisMatcher

PHRASES = """
exceptions = ["hit me up"]

[matching]
max_gap = 2
negations = ["not", "never", "didnt"]
stem = true

[words]
partner = ["he", "my husband", "{name}"]
name = ["dan"]

[phrases]
suicide_and_self_harm = [
    "suicid*",
    { phrase = "dont want to live", unless = ["dont want to live without"] },
]
partner_violence = ["{partner} hit me", "wünschte, ich wäre tot"]
fear_of_partner = ["scared of her."]
sexual_violence = ["forced me."]
threats_to_hurt_or_kill = ["threaten to kill me"]
"""


@pytest.fixture(scope="module")
def matcher(tmp_path_factory: pytest.TempPathFactory) -> CrisisMatcher:
    path: Path = tmp_path_factory.mktemp("crisis") / "crisis.toml"
    path.write_text(PHRASES, encoding="utf-8")
    return load_crisis_phrases(path, "en")


@pytest.mark.parametrize(
    ("message", "family"),
    [
        # Stems: other forms of a phrase word.
        ("he hits me", "partner_violence"),
        ("He's been HITTING me", None),  # "hes" is not "he", and "been" is not "hit"
        ("he has been hitting me", "partner_violence"),  # two filler words
        ("he threatened to kill me", "threats_to_hurt_or_kill"),
        # Filler words: up to max_gap, never three.
        ("my husband is hitting me", "partner_violence"),
        ("my ex husband hit me", "partner_violence"),
        ("he has really often hit me", None),
        # Never a negation in the gap, never a sentence break.
        ("he never hit me", None),
        ("he didnt hit me", None),
        ("he left. hit me with a text later", None),
        # Word lists may name word lists.
        ("dan hit me", "partner_violence"),
        # A prefix.
        ("i keep having suicidal thoughts", "suicide_and_self_harm"),
        ("suicidality", "suicide_and_self_harm"),
        # A phrase's own exception, only where it overlaps.
        ("i dont want to live without you", None),
        ("i dont want to live. without you it is all grey", "suicide_and_self_harm"),
        ("i dont want to live like this", "suicide_and_self_harm"),
        # A global exception cancels what it overlaps.
        ("he hit me up yesterday", None),
        # A full stop at the end must end a sentence, with no filler before it.
        ("im scared of her!", "fear_of_partner"),
        ("im scared of her", "fear_of_partner"),
        ("im scared of her reaction", None),
        ("he held me down and forced me", "sexual_violence"),
        ("he forced me to watch the film", None),
        # A comma inside a phrase may be typed or not.
        ("ich wünschte ich wäre tot", "partner_violence"),
        ("ich wünschte, ich wäre tot", "partner_violence"),
    ],
)
def test_how_a_phrase_matches(matcher: CrisisMatcher, message: str, family: str | None) -> None:
    assert matcher.family_of(message) == family


def test_a_phrase_is_found_in_its_own_language_stems_only(tmp_path: Path) -> None:
    """Stems are the file's language's: English "hits" is "hit", German "schlägt" is not
    "schlag" in English."""
    path = tmp_path / "crisis.toml"
    path.write_text(PHRASES.replace('"{partner} hit me"', '"er schlägt mich"'), encoding="utf-8")
    german = load_crisis_phrases(path, "de")

    assert german.matches("er schlagt mich")  # the German stem folds the umlaut
    assert german.matches("er schlägt mich oft")
    assert not german.matches("er schlug mich")  # irregular: lists must name it


def test_a_full_stop_phrase_needs_its_stop_when_a_longer_phrase_goes_on_after_a_comma(
    tmp_path: Path,
) -> None:
    """The phrases "scared of her." and "scared of her, when" share a path in the phrase
    tree; skipping the untyped comma towards "when" must not end "scared of her." without its
    full stop."""
    path = tmp_path / "crisis.toml"
    path.write_text(
        PHRASES.replace('["scared of her."]', '["scared of her.", "scared of her, when"]'),
        encoding="utf-8",
    )
    both = load_crisis_phrases(path, "en")

    assert both.family_of("im scared of her reaction") is None
    assert both.family_of("im scared of her. really") == "fear_of_partner"
    assert both.family_of("im scared of her") == "fear_of_partner"
    assert both.family_of("scared of her when she drinks") == "fear_of_partner"
    assert both.family_of("scared of her, when she drinks") == "fear_of_partner"
