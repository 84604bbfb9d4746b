"""The week chart with a partner's name the chart's font cannot draw, or one too long for
its legend, as the person pressing "Chart" under /us sees it: through the real Application,
in two languages. What was drawn is read from the PNG's text (``bot.charts.DRAWING_KEY``).

A Devanagari name is drawn as the word for "partner" (the font has no Devanagari; laid out
with raqm, its lone vowel signs came out as dotted circles, "◌्◌ि◌ा"); a name of 64
letters, Telegram's longest, is shortened with an ellipsis so the legend stays in the
picture, whose size does not change.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from PIL import Image

from bot.charts import DRAWING_KEY, SIZE
from tests.harness import BotHarness, TelegramUser, shipped_content
from tests.journeys import checkin_message, onboard, pair
from tests.test_week_glance import FIRST_EVENING, a_day, evening

DEVANAGARI = "प्रिया"
# 64 characters, the longest first name Telegram allows.
LONG = ("Maximiliano-Alejandro " * 3 + "Rodríguez")[:64]
LANGUAGES = ["en", "ru"]
ELLIPSIS = "…"
CONTENT = shipped_content()


async def start_in(harness: BotHarness, language: str) -> TelegramUser:
    texts = CONTENT.languages[language].texts
    alex = harness.user(1001, "Alex", language_code=language)
    await alex.send("/start")
    await alex.press(texts.onboarding.consent_yes_button)
    await alex.send("London")
    await alex.send("20:00")
    return alex


async def answer_in_any_language(person: TelegramUser, answers: dict[str, str]) -> None:
    """Tap ``answers`` on the newest check-in by the buttons' data (the same in every
    language; ``answer_checkin`` checks English labels too)."""
    for item, value in answers.items():
        prompt = checkin_message(person)
        [data] = [
            b["callback_data"]
            for b in prompt.buttons
            if b["callback_data"].endswith(f":a:{item}:{value}")
        ]
        await person.press_data(data, message=prompt)


async def chart_with_partner(harness: BotHarness, language: str, name: str) -> Image.Image:
    """Alex (in ``language``) and a partner called ``name`` answer an evening; Alex's chart."""
    harness.clock.now = FIRST_EVENING.replace(hour=12)
    alex = await start_in(harness, language)
    partner = await onboard(harness, 2002, name, "London", "20:00")
    await pair(alex, partner)
    await evening(harness, FIRST_EVENING)
    for person, giver in ((alex, True), (partner, False)):
        await answer_in_any_language(person, a_day(1, giver=giver))
    await alex.send("/us")
    before = len(alex.chat)
    await alex.press(CONTENT.languages[language].texts.us.chart_button)
    [photo] = [m for m in alex.chat[before:] if m.kind == "photo"]
    assert photo.file is not None
    image = Image.open(io.BytesIO(photo.file[1]))
    image.load()
    return image


def drawing_of(image: Image.Image) -> dict[str, Any]:
    """What the chart drew, as its PNG's text says."""
    return dict(json.loads(image.info[DRAWING_KEY]))


def edges_blank(image: Image.Image) -> bool:
    """Nothing drawn in the picture's first and last columns of pixels: no label runs out."""
    width, height = image.size
    pixels = image.convert("L")
    return all(pixels.getpixel((x, y)) == 255 for x in (0, width - 1) for y in range(height))


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_name_in_a_script_the_font_lacks_is_drawn_as_partner(
    harness: BotHarness, language: str
) -> None:
    image = await chart_with_partner(harness, language, DEVANAGARI)

    drawing = drawing_of(image)
    texts = CONTENT.languages[language].texts.us
    assert drawing["legend"][:2] == [texts.chart_you, texts.chart_partner]
    assert not any(char in label for label in drawing["legend"] for char in DEVANAGARI + "◌")
    assert image.format == "PNG"
    assert image.size == SIZE


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_name_of_64_letters_is_shortened_to_keep_the_legend_in_the_picture(
    harness: BotHarness, language: str
) -> None:
    image = await chart_with_partner(harness, language, LONG)

    drawing = drawing_of(image)
    texts = CONTENT.languages[language].texts.us
    you, partner, *ours = drawing["legend"]
    assert you == texts.chart_you
    assert partner.endswith(ELLIPSIS)
    assert LONG.startswith(partner.removesuffix(ELLIPSIS))
    assert len(partner) > 20  # shortened, not dropped
    # Our own words are not cut for a long name.
    assert ours == [
        texts.chart_toward,
        texts.chart_not_toward,
        texts.chart_no_checkin,
        texts.chart_logged,
        texts.chart_appreciations,
    ]
    assert drawing["legend_inside"]
    assert edges_blank(image)
    assert image.format == "PNG"
    assert image.size == SIZE
