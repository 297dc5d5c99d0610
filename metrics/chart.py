"""The weeks' chart as numbers an SVG template draws: bars of the share answered late and the
goal as a line. Pure: no database, no clock. Geometry only; how it looks is in
static/css/metrics.css (the pages' CSP allows no style attributes)."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 72, 16, 40  # the goal is named in the right margin
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
BAR_SHARE = 0.6  # of each week's slot


@dataclass(frozen=True)
class Bar:
    label: str  # the week's Monday, "9 Nov"
    share: float | None  # None: no question settled that week
    over_goal: bool
    x: float
    y: float
    width: float
    height: float
    centre: float
    value_y: float


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: float
    baseline: float
    label_y: float
    goal: Decimal
    goal_y: float
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]

    @property
    def tick_x(self) -> int:
        return self.left - 6

    @property
    def goal_label_x(self) -> float:
        return self.right + 6

    @property
    def last_label(self) -> str:
        return self.bars[-1].label if self.bars else ""


def _scale_top(shares: Sequence[float | None], goal: Decimal) -> int:
    """The axis' top: a multiple of 10 above the goal (twice over) and every bar, up to 100."""
    highest = max([float(goal) * 2, 10.0, *(s for s in shares if s is not None)])
    return min(100, math.ceil(highest / 10) * 10)


def weeks_chart(weeks: Sequence[tuple[date, float | None]], goal: Decimal) -> Chart:
    shares = [share for _, share in weeks]
    top = _scale_top(shares, goal)
    baseline = TOP + PLOT_HEIGHT

    def y_of(value: float) -> float:
        return round(baseline - PLOT_HEIGHT * min(value, top) / top, 1)

    slot = PLOT_WIDTH / max(len(weeks), 1)
    bar_width = round(slot * BAR_SHARE, 1)
    bars = []
    for index, (monday, share) in enumerate(weeks):
        centre = round(LEFT + slot * index + slot / 2, 1)
        y = y_of(share) if share is not None else baseline
        bars.append(
            Bar(
                label=f"{monday.day} {monday:%b}",
                share=share,
                over_goal=share is not None and share > goal,
                x=round(centre - bar_width / 2, 1),
                y=y,
                width=bar_width,
                height=round(baseline - y, 1),
                centre=centre,
                value_y=round(y - 4, 1),
            )
        )
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        baseline=baseline,
        label_y=baseline + 18,
        goal=goal,
        goal_y=y_of(float(goal)),
        bars=tuple(bars),
        ticks=tuple(Tick(value, y_of(value)) for value in (0, top // 2, top)),
    )
