"""The crisis phrases measured on how people really write (tests/crisis_corpus/, issue #23).

The corpus is data: per language a tuning part the phrase lists are tuned against and a
held-out part that is reported, never tuned against, never a failing gate. Each sentence goes
through every language's phrases, as the bot checks every message. The table is printed at the
end of every pytest run that includes this file (tests/conftest.py) and by
``python -m tests.crisis_report``.

The snapshot (phrases_matched_before.txt) holds every phrase variant the matcher found before
the change to stems and gaps: each must still be found, except the few retired below, each a
false alarm the issue names.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot.app import build_application
from bot.config import Settings
from bot.content.crisis_matcher import EveryLanguage
from tests.crisis_report import (
    CORPUS_DIR,
    HELDOUT,
    REPORT_KEY,
    TUNING,
    every_language,
    failures,
    load_corpus,
    matchers_by_language,
    measure,
    table,
)
from tests.telegram_fake import FakeBotApi, FakeRequest

SNAPSHOT = CORPUS_DIR / "phrases_matched_before.txt"
FAMILIES = {
    "suicide_and_self_harm",
    "partner_violence",
    "fear_of_partner",
    "sexual_violence",
    "threats_to_hurt_or_kill",
}
MIN_SIZE = {TUNING: 160, HELDOUT: 40}

# (language, phrase as in the snapshot): why it no longer matches on its own.
RETIRED: dict[tuple[str, str], str] = {
    ("en", "without my consent"): (
        "issue #23: 'he sold my car without my consent' is not a crisis; what is done to a"
        " person's body or images without consent still matches (sexual_violence)"
    ),
}


def test_the_tuning_corpus_gets_help_and_no_false_alarms(request: pytest.FixtureRequest) -> None:
    rows = measure(load_corpus(), every_language())
    report = table(rows)
    request.config.stash[REPORT_KEY] = report
    print(report)
    problems = failures(rows)
    assert not problems, "\n".join([*problems, report])


def corpus_files() -> list[Path]:
    return sorted(CORPUS_DIR.glob("*.toml"))


@pytest.mark.parametrize("path", corpus_files(), ids=lambda path: path.name)
def test_each_corpus_file_is_complete(path: Path) -> None:
    """Every family, both sides, at least the agreed number of sentences, no repeats."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    part = HELDOUT if path.name.endswith(".heldout.toml") else TUNING
    assert path.name.split(".")[0] == data["language"]
    assert set(data["help"]) == FAMILIES
    help_texts = [text for texts in data["help"].values() for text in texts]
    no_help_texts = [text for texts in data["no_help"].values() for text in texts]
    assert len(help_texts) >= MIN_SIZE[part]
    assert len(no_help_texts) >= MIN_SIZE[part]
    repeated = {
        text for text in help_texts + no_help_texts if (help_texts + no_help_texts).count(text) > 1
    }
    assert not repeated


def test_every_phrase_found_before_is_still_found() -> None:
    matchers = matchers_by_language()
    lost = []
    for line in SNAPSHOT.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        language, phrase = line.split("\t")
        if (language, phrase) not in RETIRED and not matchers[language].matches(phrase):
            lost.append(f"{language}: {phrase}")
    assert not lost, f"{len(lost)} lost, e.g.:\n" + "\n".join(lost[:40])


def test_retired_phrases_are_in_the_snapshot_and_really_no_longer_match() -> None:
    snapshot = set(SNAPSHOT.read_text(encoding="utf-8").splitlines())
    matchers = matchers_by_language()
    for (language, phrase), reason in RETIRED.items():
        assert f"{language}\t{phrase}" in snapshot, phrase
        assert reason
        assert not matchers[language].matches(phrase), phrase


async def test_the_report_checks_with_the_matcher_the_running_bot_uses(settings: Settings) -> None:
    """The table measures what the bot does: the application, loading its own content as it
    does at start, finds the same family as the report for every corpus sentence (the report
    once stemmed every language's phrases in English)."""
    app = build_application(settings, request=FakeRequest(FakeBotApi()))
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    try:
        bot_crisis: EveryLanguage = app.bot_data.services.crisis
        report_crisis = every_language()
        # Each language's phrases stemmed in its own language, not all in English.
        stemmers = [matcher.stemmer for matcher in bot_crisis.matchers]
        assert stemmers == ["english", "german", "spanish", "russian"]
        assert stemmers == [matcher.stemmer for matcher in report_crisis.matchers]
        differ = [
            sentence.text
            for sentence in load_corpus()
            if bot_crisis.family_of(sentence.text) != report_crisis.family_of(sentence.text)
        ]
        assert not differ, differ[:20]
    finally:
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)
