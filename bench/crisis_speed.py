"""CPU per message of the crisis check: every update's text goes through every language.

Run from the repository root::

    .venv/bin/python bench/crisis_speed.py [--messages 20000] [--smoke]

The phrases are loaded as the bot loads them (``bot.app.load_content``, all four languages), and
each message goes through ``Content.crisis``
(:class:`~bot.content.crisis_matcher.EveryLanguage`) as a handler checks it. Messages are about
200 characters of chat made from a fixed word pool (English, German, Spanish and Russian, with
words the phrases start with, such as "he", "my", "ich", "mi", «я»), about one in twenty with
crisis words. Figures: CPU µs per message on the first pass (each language's stemmer meeting the
words for the first time) and the best of three passes over the same messages (as a chat's words
repeat), and how many matched. A change that makes the check fail here fails CI at --smoke size;
the figures are not checked."""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import load_content

POOL = (
    "he she my i you me we it the a to and but so just really today tonight love miss home "
    "work dinner kids baby dog thanks for yesterday hug talk later sorry late tired happy "
    "husband wife bf gf partner hit beat took pills scared afraid of him her want live without "
    "ich du mich mir mein freund hat habe angst vor dir danke für gestern liebe arbeit müde "
    "mi me te él ella yo quiero vivir sin ti gracias por ayer miedo casa trabajo cansada "
    "я ты меня мне муж жена боюсь его её спасибо за вчера люблю хочу жить без тебя дома "
    "lol ok 😂 ❤️ haha"
)
WORDS = POOL.split()
CRISIS = [
    "my husband is hitting me",
    "i took all my pills",
    "ich habe angst vor dir",
    "me empujó contra la pared",
    "муж меня бьёт",
]
LENGTH = 200
# The same messages again: the machine is shared, so the best pass is the figure to compare.
WARM_PASSES = 3


def messages(count: int, seed: int = 23) -> list[str]:
    """``count`` chat messages of about ``LENGTH`` characters, one in twenty with danger."""
    rng = random.Random(seed)
    made = []
    for number in range(count):
        words: list[str] = []
        if number % 20 == 0:
            words.append(rng.choice(CRISIS))
        while sum(len(word) + 1 for word in words) < LENGTH:
            words.append(rng.choice(WORDS))
            if rng.random() < 0.1:
                words[-1] += rng.choice(".,!?")
        rng.shuffle(words)
        made.append(" ".join(words)[:LENGTH])
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--smoke", action="store_true", help="a few hundred messages")
    args = parser.parse_args()
    count = 300 if args.smoke else args.messages

    started = time.perf_counter()
    crisis = load_content().crisis
    loaded = time.perf_counter() - started
    texts = messages(count)
    print(f"{count} messages of ~{LENGTH} characters; content loaded in {loaded:.2f} s")
    matched = 0
    passes = []
    for _ in range(1 + WARM_PASSES):
        matched = 0
        started = time.process_time()
        for text in texts:
            matched += crisis.matches(text)
        passes.append(time.process_time() - started)
    print(
        f"first pass   {passes[0] / count * 1e6:7.1f} µs CPU per message through EveryLanguage\n"
        f"then (best of {WARM_PASSES}) {min(passes[1:]) / count * 1e6:5.1f} µs CPU per message; "
        f"{matched} matched"
    )
    if matched < count // 20:
        print("FAIL: the messages with crisis words were not all recognised")
        sys.exit(1)


if __name__ == "__main__":
    main()
