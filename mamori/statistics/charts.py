"""Bar charts drawn on the server as SVG.

No chart library and no JavaScript: business networks load nothing from outside, the
Content-Security-Policy forbids inline script and style, and an SVG prints and copies into Word as
it is. Only presentation attributes (fill, font-size, text-anchor) are used, never ``style=``.
Each chart is an image with a title and a description listing every value, for screen readers;
the page shows the same figures as a table beside it.
"""

import math
import unicodedata
from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH = 640
FONT_SIZE = 12
ROW_HEIGHT = 26
BAR_HEIGHT = 16
TOP = 8
AXIS_SPACE = 30  # below the last bar: the axis line and its tick labels
VALUE_SPACE = 56  # right of the longest bar: its value label
MAX_LABEL_WIDTH = 220
BAR_FILL = "#0b5394"
GRID_STROKE = "#c8c8c8"
TEXT_FILL = "#1a1a1a"


def text_width(text: str) -> float:
    """Rough width in pixels at FONT_SIZE: Japanese (wide) characters take a full em, others about half."""
    return sum(FONT_SIZE if unicodedata.east_asian_width(c) in "WF" else FONT_SIZE * 0.6 for c in text)


def fit(text: str, width: float) -> str:
    """``text`` shortened with an ellipsis to fit ``width`` (the full text stays in the bar's tooltip)."""
    if text_width(text) <= width:
        return text
    while text and text_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def nice_ticks(maximum: float, most: int = 5) -> list[float]:
    """Axis ticks from 0 at a round step (1, 2 or 5 × 10ⁿ; whole numbers for counts) covering ``maximum``."""
    if maximum <= 0:
        return [0, 1]
    magnitude = 10 ** math.floor(math.log10(maximum / most))
    step: float = next(m * magnitude for m in (1, 2, 5, 10) if math.ceil(maximum / (m * magnitude)) <= most)
    if step < 1 and float(maximum).is_integer():
        step = 1
    count = math.ceil(maximum / step)
    return [round(i * step, 10) for i in range(count + 1)]


def number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def bar_chart(
    rows: Sequence[tuple[str, float]],
    *,
    title: str,
    chart_id: str,
    description: str = "",
    value_text: str = "%(value)s",
) -> SafeString:
    """A horizontal bar chart of ``rows`` (label, value) as SVG markup, every text escaped.

    ``chart_id`` makes the ids of the title and description unique on the page; ``value_text``
    words each value in the description and the tooltips (``%(value)s件``).
    """
    label_width = min(max((text_width(label) for label, _v in rows), default=0) + 8, MAX_LABEL_WIDTH)
    left = label_width + 8
    plot_width = WIDTH - left - VALUE_SPACE
    ticks = nice_ticks(max((v for _l, v in rows), default=0))
    scale = plot_width / ticks[-1]
    bottom = TOP + len(rows) * ROW_HEIGHT
    height = bottom + AXIS_SPACE
    summary = description or "、".join(f"{label}: {value_text % {'value': number(v)}}" for label, v in rows)

    grid = format_html_join(
        "",
        '<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="{3}" stroke-width="1"/>'
        '<text x="{0}" y="{4}" font-size="{5}" text-anchor="middle" fill="{6}">{7}</text>',
        (
            (
                f"{left + t * scale:.1f}",
                TOP,
                bottom,
                GRID_STROKE,
                bottom + 18,
                FONT_SIZE,
                TEXT_FILL,
                number(t),
            )
            for t in ticks
        ),
    )
    bars = format_html_join(
        "",
        '<g class="chart-row"><title>{0}: {2}</title>'
        '<text x="{3}" y="{4}" font-size="{5}" text-anchor="end" fill="{6}">{7}</text>'
        '<rect class="chart-bar" x="{8}" y="{9}" width="{10}" height="{11}" fill="{12}"/>'
        '<text x="{13}" y="{4}" font-size="{5}" fill="{6}">{1}</text></g>',
        (
            (
                label,
                number(value),
                value_text % {"value": number(value)},
                left - 8,
                f"{TOP + i * ROW_HEIGHT + ROW_HEIGHT / 2 + FONT_SIZE / 2 - 2:.1f}",
                FONT_SIZE,
                TEXT_FILL,
                fit(label, label_width - 8),
                left,
                f"{TOP + i * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2:.1f}",
                f"{value * scale:.1f}",
                BAR_HEIGHT,
                BAR_FILL,
                f"{left + value * scale + 4:.1f}",
            )
            for i, (label, value) in enumerate(rows)
        ),
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {0} {1}"'
        ' width="{0}" height="{1}" aria-labelledby="{2}-title {2}-desc" font-family="sans-serif">'
        '<title id="{2}-title">{3}</title><desc id="{2}-desc">{4}</desc>'
        '{5}<line x1="{6}" y1="{7}" x2="{8}" y2="{7}" stroke="{9}" stroke-width="1"/>{10}</svg>',
        WIDTH,
        height,
        chart_id,
        title,
        summary,
        grid,
        left,
        bottom,
        left + plot_width,
        TEXT_FILL,
        bars,
    )
