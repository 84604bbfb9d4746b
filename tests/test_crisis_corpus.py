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

from bot.content.crisis import CRISIS_FILE, load_crisis_phrases
from bot.content.locales import CRISIS_NAME, locale_folders
from bot.content.texts import CONTENT_DIR
from bot.services.crisis import CrisisMatcher
from tests.crisis_report import (
    CORPUS_DIR,
    HELDOUT,
    REPORT_KEY,
    TUNING,
    every_language,
    failures,
    load_corpus,
    measure,
    table,
)

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


def matchers_by_language() -> dict[str, CrisisMatcher]:
    matchers = {"en": load_crisis_phrases(CRISIS_FILE, "en")}
    for folder in locale_folders(CONTENT_DIR):
        matchers[folder.name] = load_crisis_phrases(folder / CRISIS_NAME, folder.name)
    return matchers


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
