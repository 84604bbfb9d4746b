"""The week as a picture: both partners' days side by side, as a PNG.

Drawn with Pillow on a plain canvas: two panels of bars with their axes, ticks, titles and a
legend, laid out as matplotlib laid them out before (figure 7 x 5.6 in at 100 dpi, the same
margins, sizes in points), drawn at twice the size and scaled down so edges are smooth.
matplotlib (with numpy) added ~45 MB to the bot's resident memory for good once the first
chart was drawn; Pillow and one chart's buffers ~15 MB: the difference between a bot that
fits in 150 MB and one that does not (bench/memory.py). It is ~4x faster too. No global
state: safe in a worker thread, where the handler calls it (``BotServices.worker``).

What is drawn is what was asked: the bids question offers ranges, so the bids panel shows
those ranges as categories (never a made-up count); support is none, some or full. Every kind
of mark has a legend entry, everything stays inside its axes (the legend inside the picture:
a long name is shortened), and each person keeps one colour
on both phones (the caller decides who gets which, see ``bot.views.week_chart.chart_labels``).
The PNG carries what it drew as text (``drawing`` below): the alt text of the picture, and
what tests compare instead of pixels.
"""

from __future__ import annotations

import io
import json
import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from babel.dates import format_date
from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

from bot.services.differences import Landed
from bot.services.reciprocity import DayPoint, WeekSummary

# The two people's colours, in a fixed order (the caller assigns them to people).
PALETTE = ("#d9534f", "#3b6fd6")
# The PNG text key holding what was drawn.
DRAWING_KEY = "Description"

_SUPPORT_LEVEL = {Landed.MISSED: 1, Landed.PARTLY: 2, Landed.GOOD: 3}
_BAR_WIDTH = 0.38


@dataclass(frozen=True)
class ChartLabels:
    you: str
    partner: str | None
    # Used when the partner's name has no drawable letters (only emoji, say).
    partner_fallback: str
    bids_title: str
    # The ranges of the bids question, from none to the most.
    bids_levels: tuple[str, ...]
    toward: str
    not_toward: str
    no_checkin: str
    logged: str
    appreciations: str
    support_title: str
    # Tick labels for support given: none, some, full.
    support_levels: tuple[str, ...]
    day_format: str
    # The CLDR language code the day names are written in.
    language: str
    you_color: str = PALETTE[0]
    partner_color: str = PALETTE[1]


# DejaVu Sans, the font matplotlib drew with: Latin, Greek and Cyrillic (bot/fonts/LICENSE).
FONT_FILE = Path(__file__).parent / "fonts" / "DejaVuSans.ttf"
# A code point no font of ours has: what the font draws for a character it lacks.
_MISSING = "\U0010fffd"
# What ends a label shortened to fit the legend.
ELLIPSIS = "…"

# The figure, in matplotlib's terms: 7 x 5.6 inches at 100 dpi, drawn at SCALE times that.
DPI = 100
SIZE = (700, 560)
SCALE = 2
_MARGINS = {"left": 0.13, "right": 0.98, "top": 0.94, "bottom": 0.2, "hspace": 0.4}
_BLACK, _WHITE, _NEUTRAL = "#000000", "#ffffff", "#555555"


def _px(points: float) -> float:
    """Typographic points (what matplotlib sizes are in) as pixels of the drawing."""
    return points * DPI / 72 * SCALE


@cache
def _font(points: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_FILE), _px(points))


@cache
def _unshaped_font() -> ImageFont.FreeTypeFont:
    """The font laid out without shaping (Pillow's basic layout): a character drawn alone is
    the font's own glyph for it, or its missing glyph. Shaped (raqm, as the chart is drawn),
    a lone combining mark comes on a dotted circle the font has, and would pass for drawable
    — a Devanagari name became "◌्◌ि◌ा"."""
    return ImageFont.truetype(str(FONT_FILE), _px(10), layout_engine=ImageFont.Layout.BASIC)


def _glyph(char: str) -> bytes:
    """``char`` as the font draws it alone, unshaped, in pixels."""
    image = Image.new("L", (64, 64))
    ImageDraw.Draw(image).text((16, 16), char, fill=255, font=_unshaped_font())
    return image.tobytes()


@cache
def _missing_glyph() -> bytes:
    return _glyph(_MISSING)


def drawable(name: str, fallback: str) -> str:
    """``name`` without the characters the font lacks (emoji, most scripts), or ``fallback``.
    A character is missing when the font draws it as it draws a code point it has not got. A
    combining mark goes with its base: kept only after a letter that was kept (alone it is
    drawn on a dotted circle); format characters (joiners, direction marks) draw nothing
    themselves and go."""
    kept: list[str] = []
    base = False  # whether the last character that is not a mark was kept, and not a space
    for char in name:
        category = unicodedata.category(char)
        if category.startswith("M"):
            if base and _glyph(char) != _missing_glyph():
                kept.append(char)
        elif category in {"Cc", "Cf"}:
            continue
        elif char.isspace():
            kept.append(" ")
            base = False
        else:
            base = _glyph(char) != _missing_glyph()
            if base:
                kept.append(char)
    return " ".join("".join(kept).split()) or fallback


def _fitted(draw: ImageDraw.ImageDraw, label: str, font: ImageFont.FreeTypeFont,
            room: float) -> str:  # fmt: skip
    """``label`` if it fits in ``room`` pixels; else its longest start that fits with an
    ellipsis, cut between characters with their marks (never a base from its accent)."""
    if draw.textlength(label, font=font) <= room:
        return label
    cuts = [n for n in range(1, len(label)) if not unicodedata.category(label[n]).startswith("M")]
    best = ELLIPSIS
    low, high = 0, len(cuts) - 1
    while low <= high:  # the longest start that fits (longer starts are never narrower)
        middle = (low + high) // 2
        shortened = label[: cuts[middle]].rstrip() + ELLIPSIS
        if draw.textlength(shortened, font=font) <= room:
            best, low = shortened, middle + 1
        else:
            high = middle - 1
    return best


def _widest(fits: Callable[[float], bool], most: float) -> float:
    """The largest width up to ``most`` (to a hundredth of a pixel) for which ``fits``
    holds; ``fits`` holds for every width below one it holds for."""
    low, high = 0.0, most
    while high - low > 0.01:
        middle = (low + high) / 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    return low


def _label_rooms(
    names: list[float], ours: list[float], room: float
) -> tuple[list[float], list[float]]:
    """Per legend column, how wide its names and its other labels may be drawn, from how wide
    they are (``names``, ``ours``: the widest of each, 0 for none) so that the columns' labels
    take ``room`` at most: the names are shortened first (to the same width, the longest
    only), our own words only if they do not fit even so."""
    unlimited = [math.inf] * len(names)
    if sum(map(max, names, ours)) <= room:
        return unlimited, unlimited
    if sum(ours) <= room:
        cap = _widest(
            lambda c: sum(max(o, min(n, c)) for n, o in zip(names, ours, strict=True)) <= room,
            max(names),
        )
        return [max(o, cap) for o in ours], unlimited
    both = list(map(max, names, ours))
    cap = _widest(lambda c: sum(min(w, c) for w in both) <= room, max(both))
    return [cap] * len(names), [cap] * len(names)


@dataclass(frozen=True)
class _Mark:
    """One thing drawn for a person, in data coordinates: a bar (``x0 < x1``) or a marker."""

    who: str
    color: str
    x0: float
    x1: float
    y0: float
    y1: float


@dataclass
class _Axis:
    """One panel: where it sits on the canvas (pixels) and the data range it shows."""

    left: float
    top: float
    right: float
    bottom: float
    xlim: tuple[float, float]
    ylim: tuple[float, float] = (0.0, 1.0)
    marks: list[_Mark] = field(default_factory=list)

    def x(self, value: float) -> float:
        low, high = self.xlim
        return self.left + (value - low) / (high - low) * (self.right - self.left)

    def y(self, value: float) -> float:
        low, high = self.ylim
        return self.bottom - (value - low) / (high - low) * (self.bottom - self.top)

    def inside(self, mark: _Mark) -> bool:
        (x0, x1), (y0, y1) = self.xlim, self.ylim
        return x0 <= mark.x0 and mark.x1 <= x1 and y0 <= mark.y0 and mark.y1 <= y1


def _hatch(draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float], color: str) -> None:
    """matplotlib's "//": diagonal lines rising to the right, clipped to ``box``."""
    left, top, right, bottom = box
    # As far apart as matplotlib drew "//" (eight lines to the inch), one point wide.
    step, width = DPI / 8 * SCALE, max(1, round(_px(1)))
    total = left + top
    while total < right + bottom:
        # The line x + y = total (y grows downwards), where it crosses the box.
        start, end = max(left, total - bottom), min(right, total - top)
        if start < end:
            draw.line([(start, total - start), (end, total - end)], fill=color, width=width)
        total += step


def _bar(
    draw: ImageDraw.ImageDraw,
    axis: _Axis,
    x: float,
    height: float,
    color: str,
    who: str,
    *,
    hatched: bool = False,
    line_points: float = 1.0,
) -> None:
    axis.marks.append(_Mark(who, color, x - _BAR_WIDTH / 2, x + _BAR_WIDTH / 2, 0, height))
    box = (axis.x(x - _BAR_WIDTH / 2), axis.y(height), axis.x(x + _BAR_WIDTH / 2), axis.y(0))
    _patch(draw, box, color, hatched=hatched, line_points=line_points)


def _patch(
    draw: ImageDraw.ImageDraw,
    box: tuple[float, float, float, float],
    color: str,
    *,
    hatched: bool = False,
    line_points: float = 1.0,
) -> None:
    """A rectangle: filled with ``color``, or white with the hatch; its edge in ``color``."""
    draw.rectangle(box, fill=_WHITE if hatched else color)
    if hatched:
        _hatch(draw, box, color)
    draw.rectangle(box, outline=color, width=max(1, round(_px(line_points))))


def _marker(draw: ImageDraw.ImageDraw, kind: str, x: float, y: float, color: str) -> None:
    """The markers of the chart at pixel (x, y): "_" (a dash), "*" (a star), "D" (a diamond),
    at matplotlib's sizes for them (12, 9 and 6 points)."""
    if kind == "_":
        half = _px(12) / 2
        draw.line([(x - half, y), (x + half, y)], fill=color, width=max(1, round(_px(1))))
    elif kind == "*":
        outer, inner = _px(9) / 2, _px(9) / 2 * 0.381966
        points = []
        for n in range(10):
            radius = outer if n % 2 == 0 else inner
            angle = math.pi / 2 + n * math.pi / 5
            points.append((x + radius * math.cos(angle), y - radius * math.sin(angle)))
        draw.polygon(points, fill=color)
    else:
        # A square of 6 points turned on its corner.
        half = _px(6) * math.sqrt(0.5)
        draw.polygon([(x, y - half), (x + half, y), (x, y + half), (x - half, y)], fill=color)


def _point(draw: ImageDraw.ImageDraw, axis: _Axis, kind: str, x: float, y: float, color: str,
           who: str) -> None:  # fmt: skip
    axis.marks.append(_Mark(who, color, x, x, y, y))
    _marker(draw, kind, axis.x(x), axis.y(y), color)


def _bids(draw: ImageDraw.ImageDraw, axis: _Axis, points: tuple[DayPoint, ...], offset: float,
          color: str, who: str) -> None:  # fmt: skip
    for index, point in enumerate(points):
        x = index + offset
        if point.bids_level is None:
            if not (point.bids_logged or point.matched_appreciations):
                # No check-in that day: a dash on the floor, so it is not read as "no bids".
                _point(draw, axis, "_", x, 0.25, color, who)
        else:
            # Hatched only when they said they did not turn toward; "none" stays solid.
            toward = point.turned_toward is not False
            _bar(draw, axis, x, point.bids_level + 1, color, who, hatched=not toward,
                 line_points=1.2)  # fmt: skip
        top = (point.bids_level + 1) if point.bids_level is not None else 0.5
        if point.bids_logged:
            _point(draw, axis, "*", x, top + 0.3, color, who)
        if point.matched_appreciations:
            # An appreciation answered: a matched bid, marked for both partners.
            _point(draw, axis, "D", x, top + 0.6, color, who)


def _support(draw: ImageDraw.ImageDraw, axis: _Axis, points: tuple[DayPoint, ...],
             offset: float, color: str, who: str) -> None:  # fmt: skip
    for index, point in enumerate(points):
        if point.support_given is None:
            continue  # no stress that day: nothing to give
        _bar(draw, axis, index + offset, _SUPPORT_LEVEL[point.support_given], color, who)


def _frame(draw: ImageDraw.ImageDraw, axis: _Axis, title: str, y_labels: tuple[str, ...],
           x_labels: list[str] | None) -> None:  # fmt: skip
    """The left and bottom spines, the ticks, their labels and the title of a panel."""
    line = max(1, round(_px(0.8)))
    tick = _px(3.5)
    draw.line([(axis.left, axis.top), (axis.left, axis.bottom)], fill=_BLACK, width=line)
    draw.line([(axis.left, axis.bottom), (axis.right, axis.bottom)], fill=_BLACK, width=line)
    for level, label in enumerate(y_labels, start=1):
        y = axis.y(level)
        draw.line([(axis.left - tick, y), (axis.left, y)], fill=_BLACK, width=line)
        draw.text((axis.left - tick - _px(3.5), y), label, fill=_BLACK, font=_font(8),
                  anchor="rm")  # fmt: skip
    for day in range(round(axis.xlim[1] - axis.xlim[0])):
        x = axis.x(day)
        draw.line([(x, axis.bottom), (x, axis.bottom + tick)], fill=_BLACK, width=line)
        if x_labels is not None:
            draw.text((x, axis.bottom + tick + _px(3.5)), x_labels[day], fill=_BLACK,
                      font=_font(10), anchor="ma")  # fmt: skip
    centre = (axis.left + axis.right) / 2
    draw.text((centre, axis.top - _px(6)), title, fill=_BLACK, font=_font(11), anchor="md")


@dataclass(frozen=True)
class _Entry:
    """A legend entry: a patch (solid or hatched) or a marker, and its text."""

    label: str
    color: str
    marker: str | None = None
    hatched: bool = False
    # A person's entry ("you", the partner's name): shortened first when the legend is full.
    person: bool = False


@dataclass(frozen=True)
class _Legend:
    """What the legend drew: its entries' labels as shown, and where it lies (pixels)."""

    labels: list[str]
    left: float
    right: float


def _legend(draw: ImageDraw.ImageDraw, entries: list[_Entry], width: float,
            height: float) -> _Legend:  # fmt: skip
    """Three columns (filled top to bottom, as matplotlib fills them), centred at the foot,
    within the width: labels too long for it (a name of 64 letters, say) are shortened, the
    longest first, with an ellipsis."""
    font, em = _font(8), _px(8)
    # The first columns take one entry more when they do not divide evenly: 7 are 3, 2, 2.
    rows, longer = divmod(len(entries), 3)
    sizes = [rows + (n < longer) for n in range(3)]
    starts = [sum(sizes[:n]) for n in range(3)]
    columns = [entries[start : start + size] for start, size in zip(starts, sizes, strict=True)]
    columns = [column for column in columns if column]
    rows += longer > 0
    handle, pad, gap, spacing = 2.0 * em, 0.8 * em, 2.0 * em, 0.5 * em
    margin = 0.5 * em
    room = width - 2 * margin - len(columns) * (handle + pad) - gap * (len(columns) - 1)

    def widest(column: list[_Entry], person: bool) -> float:
        return max(
            (draw.textlength(e.label, font=font) for e in column if e.person is person),
            default=0.0,
        )

    names, ours = _label_rooms(
        [widest(column, True) for column in columns],
        [widest(column, False) for column in columns],
        room,
    )
    labels = [
        [_fitted(draw, e.label, font, names[n] if e.person else ours[n]) for e in column]
        for n, column in enumerate(columns)
    ]
    widths = [handle + pad + max(draw.textlength(t, font=font) for t in texts) for texts in labels]
    total = sum(widths) + gap * (len(widths) - 1)
    row_height = em + spacing
    x = left = (width - total) / 2
    bottom = height - (0.3 + 0.4) * em
    for column, texts, column_width in zip(columns, labels, widths, strict=True):
        for row, (entry, text) in enumerate(zip(column, texts, strict=True)):
            y = bottom - (rows - row) * row_height + row_height / 2
            if entry.marker is None:
                box = (x, y - 0.35 * em, x + handle, y + 0.35 * em)
                _patch(draw, box, entry.color, hatched=entry.hatched)
            else:
                _marker(draw, entry.marker, x + handle / 2, y, entry.color)
            draw.text((x + handle + pad, y), text, fill=_BLACK, font=font, anchor="lm")
        x += column_width + gap
    return _Legend([text for texts in labels for text in texts], left, left + total)


def _drawing(axes: tuple[_Axis, _Axis], legend: _Legend, width: float,
             y_ticks: list[list[str]]) -> str:  # fmt: skip
    """What the picture holds, from what was drawn: per person the colours of their marks,
    whether every mark lies inside its axes, the legend's entries as shown and whether the
    legend lies inside the picture (the PNG's text)."""
    people: dict[str, set[str]] = {}
    for axis in axes:
        for mark in axis.marks:
            people.setdefault(mark.who, set()).add(mark.color)
    drawn = {
        "colors": {who: sorted(colors) for who, colors in people.items()},
        "inside_axes": all(axis.inside(mark) for axis in axes for mark in axis.marks),
        "legend": legend.labels,
        "legend_inside": legend.left >= 0 and legend.right <= width,
        "y_ticks": y_ticks,
    }
    return json.dumps(drawn, sort_keys=True)


def render_week_chart(summary: WeekSummary, labels: ChartLabels) -> bytes:
    """A two-panel PNG: the bids ranges noticed (solid when turned toward) and support given."""
    width, height = SIZE[0] * SCALE, SIZE[1] * SCALE
    image = Image.new("RGB", (width, height), _WHITE)
    draw = ImageDraw.Draw(image)
    days = len(summary.days)
    margins = _MARGINS
    panel = (margins["top"] - margins["bottom"]) / (2 + margins["hspace"]) * height
    left, right = margins["left"] * width, margins["right"] * width
    top = (1 - margins["top"]) * height
    xlim = (-0.6, days - 0.4)
    bids_axis = _Axis(left, top, right, top + panel, xlim, (0, len(labels.bids_levels) + 0.9))
    support_top = top + panel * (1 + margins["hspace"])
    support_axis = _Axis(left, support_top, right, support_top + panel, xlim,
                         (0, len(labels.support_levels) + 0.5))  # fmt: skip
    paired = labels.partner is not None and bool(summary.partner_points)
    offsets = (-0.2, 0.2) if paired else (0.0, 0.0)
    series = [(summary.my_points, offsets[0], labels.you_color, labels.you)]
    if paired:
        partner = drawable(labels.partner or "", labels.partner_fallback)
        series.append((summary.partner_points, offsets[1], labels.partner_color, partner))
    for points, offset, color, who in series:
        _bids(draw, bids_axis, points, offset, color, who)
        _support(draw, support_axis, points, offset, color, who)
    days_shown = [format_date(day, labels.day_format, locale=labels.language)
                  for day in summary.days]  # fmt: skip
    _frame(draw, bids_axis, labels.bids_title, labels.bids_levels, None)
    _frame(draw, support_axis, labels.support_title, labels.support_levels, days_shown)
    legend = [_Entry(who, color, person=True) for _, _, color, who in series]
    legend += [
        _Entry(labels.toward, _NEUTRAL),
        _Entry(labels.not_toward, _NEUTRAL, hatched=True),
        _Entry(labels.no_checkin, _NEUTRAL, marker="_"),
        _Entry(labels.logged, _NEUTRAL, marker="*"),
        _Entry(labels.appreciations, _NEUTRAL, marker="D"),
    ]
    drawn = _legend(draw, legend, width, height)
    y_ticks = [list(labels.bids_levels), list(labels.support_levels)]
    info = PngInfo()
    info.add_text(DRAWING_KEY, _drawing((bids_axis, support_axis), drawn, width, y_ticks))
    buffer = io.BytesIO()
    image.reduce(SCALE).save(buffer, format="png", pnginfo=info)
    return buffer.getvalue()
