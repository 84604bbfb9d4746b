"""The week as a picture: both partners' days side by side, as a PNG.

Uses matplotlib's object API on the Agg backend (no GUI, no global pyplot state), so it is
safe to call from a worker thread; the handlers do so with ``asyncio.to_thread``. matplotlib
is imported on first use: it costs ~30 MB, and many processes never draw a chart.

What is drawn is what was asked: the bids question offers ranges, so the bids panel shows
those ranges as categories (never a made-up count); support is none, some or full. Every kind
of mark has a legend entry, everything stays inside its axes, and each person keeps one colour
on both phones (the caller decides who gets which, see ``bot.views.week_chart.chart_labels``).
The PNG carries what it drew as text (``drawing`` below): the alt text of the picture, and
what tests compare instead of pixels.
"""

from __future__ import annotations

import gc
import io
import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from babel.dates import format_date

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


@cache
def _font_has() -> Any:
    """A test for whether the chart's font can draw a character (else it draws a box)."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    font = FT2Font(font_manager.findfont(font_manager.FontProperties()))
    return lambda char: char.isspace() or font.get_char_index(ord(char)) != 0


def drawable(name: str, fallback: str) -> str:
    """``name`` without the characters the font lacks (emoji, most scripts), or ``fallback``."""
    has = _font_has()
    kept = "".join(char for char in name if has(char)).strip()
    # A "$" would start matplotlib's maths mode.
    return (kept or fallback).replace("$", r"\$")


def _bids(axis: Any, points: tuple[DayPoint, ...], offset: float, color: str, who: str) -> None:
    for index, point in enumerate(points):
        x = index + offset
        if point.bids_level is None:
            if not (point.bids_logged or point.matched_appreciations):
                # No check-in that day: a dash on the floor, so it is not read as "no bids".
                axis.plot([x], [0.25], marker="_", markersize=12, color=color, gid=who)
        else:
            # Hatched only when they said they did not turn toward; "none" stays solid.
            toward = point.turned_toward is not False
            axis.bar(
                x,
                point.bids_level + 1,
                width=_BAR_WIDTH,
                color=color if toward else "white",
                edgecolor=color,
                hatch="" if toward else "//",
                linewidth=1.2,
                gid=who,
            )
        if point.bids_logged:
            top = (point.bids_level + 1) if point.bids_level is not None else 0.5
            axis.plot([x], [top + 0.3], marker="*", markersize=9, color=color, gid=who)
        if point.matched_appreciations:
            # An appreciation answered: a matched bid, marked for both partners.
            top = (point.bids_level + 1) if point.bids_level is not None else 0.5
            axis.plot([x], [top + 0.6], marker="D", markersize=6, color=color, gid=who)


def _support(axis: Any, points: tuple[DayPoint, ...], offset: float, color: str, who: str) -> None:
    for index, point in enumerate(points):
        if point.support_given is None:
            continue  # no stress that day: nothing to give
        axis.bar(
            index + offset,
            _SUPPORT_LEVEL[point.support_given],
            width=_BAR_WIDTH,
            color=color,
            edgecolor=color,
            gid=who,
        )


def _drawing(figure: Any) -> dict[str, Any]:
    """What the figure holds, read back from its artists: per person the colours of their
    marks, whether every mark lies inside its axes, and the legend's entries."""
    from matplotlib.colors import to_hex

    people: dict[str, set[str]] = {}
    inside = True
    for axis in figure.axes:
        (x0, x1), (y0, y1) = axis.get_xlim(), axis.get_ylim()
        for patch in axis.patches:
            if patch.get_gid():
                people.setdefault(patch.get_gid(), set()).add(to_hex(patch.get_edgecolor()))
                box = patch.get_bbox()
                inside &= x0 <= box.x0 and box.x1 <= x1 and y0 <= box.y0 and box.y1 <= y1
        for line in axis.lines:
            if line.get_gid():
                people.setdefault(line.get_gid(), set()).add(to_hex(line.get_color()))
                inside &= all(x0 <= x <= x1 for x in line.get_xdata())
                inside &= all(y0 <= y <= y1 for y in line.get_ydata())
    legend = [text.get_text() for legend in figure.legends for text in legend.get_texts()]
    return {
        "colors": {who: sorted(colors) for who, colors in people.items()},
        "inside_axes": bool(inside),
        "legend": legend,
        "y_ticks": [[tick.get_text() for tick in axis.get_yticklabels()] for axis in figure.axes],
    }


def render_week_chart(summary: WeekSummary, labels: ChartLabels) -> bytes:
    """A two-panel PNG: the bids ranges noticed (solid when turned toward) and support given."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.artist import Artist
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    figure = Figure(figsize=(7, 5.6), dpi=100)
    bids_axis, support_axis = figure.subplots(2, 1, sharex=True)
    paired = labels.partner is not None and bool(summary.partner_points)
    offsets = (-0.2, 0.2) if paired else (0.0, 0.0)
    series = [(summary.my_points, offsets[0], labels.you_color, labels.you)]
    if paired:
        partner = drawable(labels.partner or "", labels.partner_fallback)
        series.append((summary.partner_points, offsets[1], labels.partner_color, partner))
    for points, offset, color, who in series:
        _bids(bids_axis, points, offset, color, who)
        _support(support_axis, points, offset, color, who)
    days = len(summary.days)
    for axis in (bids_axis, support_axis):
        axis.set_xlim(-0.6, days - 0.4)
        axis.spines[["top", "right"]].set_visible(False)
    bids_axis.set_ylim(0, len(labels.bids_levels) + 0.9)
    bids_axis.set_yticks(range(1, len(labels.bids_levels) + 1))
    bids_axis.set_yticklabels(list(labels.bids_levels), fontsize=8)
    bids_axis.set_title(labels.bids_title, fontsize=11)
    support_axis.set_ylim(0, len(labels.support_levels) + 0.5)
    support_axis.set_yticks(range(1, len(labels.support_levels) + 1))
    support_axis.set_yticklabels(list(labels.support_levels), fontsize=8)
    support_axis.set_title(labels.support_title, fontsize=11)
    support_axis.set_xticks(range(days))
    support_axis.set_xticklabels(
        [format_date(day, labels.day_format, locale=labels.language) for day in summary.days]
    )
    neutral = "#555555"
    handles: list[Artist] = [
        Patch(facecolor=color, edgecolor=color, label=who) for _, _, color, who in series
    ]
    handles += [
        Patch(facecolor=neutral, edgecolor=neutral, label=labels.toward),
        Patch(facecolor="white", edgecolor=neutral, hatch="//", label=labels.not_toward),
        Line2D(
            [], [], color=neutral, marker="_", markersize=12, linestyle="", label=labels.no_checkin
        ),
        Line2D([], [], color=neutral, marker="*", markersize=9, linestyle="", label=labels.logged),
        Line2D(
            [],
            [],
            color=neutral,
            marker="D",
            markersize=6,
            linestyle="",
            label=labels.appreciations,
        ),
    ]
    figure.legend(
        handles=handles, loc="lower center", ncols=3, fontsize=8, frameon=False, borderaxespad=0.3
    )
    # Fixed margins: tight_layout() would cost ~40% of the drawing time.
    figure.subplots_adjust(left=0.13, right=0.98, top=0.94, bottom=0.2, hspace=0.4)
    buffer = io.BytesIO()
    figure.savefig(
        buffer, format="png", metadata={DRAWING_KEY: json.dumps(_drawing(figure), sort_keys=True)}
    )
    # A figure is a web of reference cycles (figure, axes, canvas, its ~1.5 MB Agg buffer):
    # left to the collector's own pace, a few dozen charts pile up before a full pass frees
    # them, and the memory freed then stays with the process (~30 MB more at peak). Freed
    # now, the next chart reuses it; a pass costs a few ms next to ~100 ms of drawing.
    del figure, bids_axis, support_axis, handles
    gc.collect()
    return buffer.getvalue()
