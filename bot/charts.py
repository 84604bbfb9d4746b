"""The week as a picture: both partners' days side by side, as a PNG.

Uses matplotlib's object API on the Agg backend (no GUI, no global pyplot state), so it is
safe to call from a worker thread; the handlers do so with ``asyncio.to_thread``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure

from bot.services.reciprocity import DayPoint, WeekSummary

YOU_COLOR = "#d9534f"
PARTNER_COLOR = "#5b8def"


@dataclass(frozen=True)
class ChartLabels:
    you: str
    partner: str | None
    bids_title: str
    support_title: str
    # Tick labels for support given: none, some, full.
    support_levels: tuple[str, str, str]
    day_format: str


def _bars(axis, points: tuple[DayPoint, ...], offset: float, color: str, label: str) -> None:  # type: ignore[no-untyped-def]
    positions = [index + offset for index in range(len(points))]
    heights = [point.bids_noticed or 0 for point in points]
    hatches = ["" if point.turned_toward else "//" for point in points]
    for x, height, hatch in zip(positions, heights, hatches, strict=True):
        axis.bar(
            x,
            height,
            width=0.38,
            color=color if not hatch else "white",
            edgecolor=color,
            hatch=hatch,
            linewidth=1.2,
        )
    axis.bar([], [], color=color, label=label)


def render_week_chart(summary: WeekSummary, labels: ChartLabels) -> bytes:
    """A two-panel PNG: bids noticed (solid when turned toward) and support given."""
    figure = Figure(figsize=(7, 5), dpi=100)
    bids_axis, support_axis = figure.subplots(2, 1, sharex=True)
    paired = labels.partner is not None and summary.partner_points
    offsets = (-0.2, 0.2) if paired else (0.0, 0.0)
    _bars(bids_axis, summary.my_points, offsets[0], YOU_COLOR, labels.you)
    if paired:
        _bars(bids_axis, summary.partner_points, offsets[1], PARTNER_COLOR, str(labels.partner))
    bids_axis.set_title(labels.bids_title, fontsize=11)
    bids_axis.legend(loc="upper left", fontsize=9, frameon=False)
    series = [(summary.my_points, offsets[0], YOU_COLOR)]
    if paired:
        series.append((summary.partner_points, offsets[1], PARTNER_COLOR))
    for points, offset, color in series:
        support_axis.bar(
            [index + offset for index in range(len(points))],
            [point.support_given or 0 for point in points],
            width=0.38,
            color=color,
        )
    support_axis.set_ylim(0, 1.05)
    support_axis.set_yticks([0, 0.5, 1])
    support_axis.set_yticklabels(list(labels.support_levels), fontsize=8)
    support_axis.set_title(labels.support_title, fontsize=11)
    support_axis.set_xticks(range(len(summary.days)))
    support_axis.set_xticklabels([day.strftime(labels.day_format) for day in summary.days])
    for axis in (bids_axis, support_axis):
        axis.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
