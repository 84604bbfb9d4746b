"""The week as a chart: what the picture says and its colours, its caption, and the memo
(carried in the week message's buttons) of the chart already sent.

The drawing itself is :mod:`bot.charts`; the week in words is :mod:`bot.views.week`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bot.charts import PALETTE, ChartLabels
from bot.content import Texts, render
from bot.services.weekly import WeekView


def week_dates(texts: Texts, view: WeekView) -> dict[str, str]:
    """The week's first and last day as the language writes them (titles, caption)."""
    days = view.summary.days
    return {
        "first": texts.date(days[0], texts.us.day_format),
        "last": texts.date(days[-1], texts.us.day_format),
    }


@dataclass(frozen=True)
class SentChart:
    """The chart already in the chat under a week message: its week and what it drew.

    Carried in the message's button data, so a second press on "Chart" for the same picture
    sends nothing new (and needs no table to remember it)."""

    weeks_back: int
    fingerprint: str

    def encode(self) -> str:
        return f"{self.weeks_back}.{self.fingerprint}"

    @staticmethod
    def decode(value: str | None) -> SentChart | None:
        if not value:
            return None
        weeks, fingerprint = value.split(".")
        return SentChart(int(weeks), fingerprint)


def chart_fingerprint(view: WeekView, labels: ChartLabels) -> str:
    """A short digest of everything the chart of ``view`` draws."""
    summary = view.summary
    drawn = repr((summary.days, summary.my_points, summary.partner_points, labels))
    return hashlib.blake2b(drawn.encode(), digest_size=4).hexdigest()


def chart_labels(all_texts: Texts, view: WeekView) -> ChartLabels:
    """What the chart says, and the colours: each person keeps theirs on both phones (the
    one with the smaller Telegram id takes the first colour)."""
    texts = all_texts.us
    partner_id = view.partner_id
    viewer_first = partner_id is None or view.viewer_id < partner_id
    you_color, partner_color = PALETTE if viewer_first else PALETTE[::-1]
    return ChartLabels(
        you=texts.chart_you,
        partner=view.partner.first_name if view.partner else None,
        partner_fallback=texts.chart_partner,
        bids_title=texts.chart_bids_title,
        bids_levels=tuple(texts.chart_bids_levels),
        toward=texts.chart_toward,
        not_toward=texts.chart_not_toward,
        no_checkin=texts.chart_no_checkin,
        logged=texts.chart_logged,
        appreciations=texts.chart_appreciations,
        support_title=texts.chart_support_title,
        support_levels=tuple(texts.chart_support_levels),
        day_format=texts.short_day_format,
        language=all_texts.language,
        you_color=you_color,
        partner_color=partner_color,
    )


def chart_caption(all_texts: Texts, view: WeekView) -> str:
    return render(all_texts.us.chart_caption, **week_dates(all_texts, view))
