"""The week as a picture: both partners' days side by side, as a PNG.

Uses matplotlib's object API on the Agg backend (no GUI, no global pyplot state), so it is
safe to call from a worker thread; the handlers do so with ``asyncio.to_thread``. matplotlib
is imported on first use: it costs ~30 MB, and many processes never draw a chart.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from typing import Any

from bot.services.reciprocity import DayPoint, WeekSummary

YOU_COLOR = "#d9534f"
PARTNER_COLOR = "#5b8def"


@dataclass(frozen=True)
class ChartLabels:
    you: str
    partner: str | None
    # Used when the partner's name has no drawable letters (only emoji, say).
    partner_fallback: str
    bids_title: str
    support_title: str
    # Tick labels for support given: none, some, full.
    support_levels: tuple[str, str, str]
    day_format: str


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


def _bars(axis: Any, points: tuple[DayPoint, ...], offset: float, color: str) -> None:
    for index, point in enumerate(points):
        if point.bids_noticed is None:
            # No check-in that day: a dash, so it is not read as "no bids".
            axis.text(index + offset, 0.15, "–", ha="center", color=color, fontsize=9)
            continue
        # Hatched only when they said they did not turn toward; unanswered stays solid.
        toward = point.turned_toward is not False
        axis.bar(
            index + offset,
            point.bids_noticed or 0,
            width=0.38,
            color=color if toward else "white",
            edgecolor=color,
            hatch="" if toward else "//",
            linewidth=1.2,
        )


def render_week_chart(summary: WeekSummary, labels: ChartLabels) -> bytes:
    """A two-panel PNG: bids noticed (solid when turned toward) and support given."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    figure = Figure(figsize=(7, 5), dpi=100)
    bids_axis, support_axis = figure.subplots(2, 1, sharex=True)
    paired = labels.partner is not None and bool(summary.partner_points)
    offsets = (-0.2, 0.2) if paired else (0.0, 0.0)
    series = [(summary.my_points, offsets[0], YOU_COLOR, labels.you)]
    if paired:
        partner = drawable(labels.partner or "", labels.partner_fallback)
        series.append((summary.partner_points, offsets[1], PARTNER_COLOR, partner))
    for points, offset, color, _ in series:
        _bars(bids_axis, points, offset, color)
        for index, point in enumerate(points):
            if point.support_given is None:
                continue  # no stress that day: nothing to give
            # "No" gets a visible stub, so it is not mistaken for a calm day.
            missed = point.support_given == 0
            support_axis.bar(
                index + offset,
                0.06 if missed else point.support_given,
                width=0.38,
                color="white" if missed else color,
                edgecolor=color,
                hatch="xx" if missed else "",
            )
    bids_axis.set_title(labels.bids_title, fontsize=11)
    bids_axis.legend(
        handles=[Patch(facecolor=color, label=label) for _, _, color, label in series],
        loc="lower left",
        bbox_to_anchor=(0, 1.1),
        ncols=len(series),
        borderaxespad=0,
        fontsize=9,
        frameon=False,
    )
    support_axis.set_ylim(0, 1.05)
    support_axis.set_yticks([0, 0.5, 1])
    support_axis.set_yticklabels(list(labels.support_levels), fontsize=8)
    support_axis.set_title(labels.support_title, fontsize=11)
    support_axis.set_xticks(range(len(summary.days)))
    support_axis.set_xticklabels([day.strftime(labels.day_format) for day in summary.days])
    for axis in (bids_axis, support_axis):
        axis.spines[["top", "right"]].set_visible(False)
    # Fixed margins: tight_layout() would cost ~40% of the drawing time.
    figure.subplots_adjust(left=0.12, right=0.98, top=0.86, bottom=0.07, hspace=0.45)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
