"""Server-drawn charts for networks side by side (/reports/networks/): a funnel plot per metric
and the monthly trend per service, as coordinates and SVG paths for templates/reports/
funnel_svg.html and trend_svg.html. Inline SVG shows without JavaScript, prints, and scales on
a phone; the table beside each chart is its accessible equivalent.

The funnel's limits are drawn at 40 denominators across the x range with the same functions
that decide the outliers (reports/stats.py), so a dot beyond a curve is an outlier."""

import math
from dataclasses import dataclass

from .stats import Z95, Z998, Funnel, funnel_limits_proportion, funnel_limits_rate

WIDTH, HEIGHT = 480, 300
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 14, 46
STEPS = 40


def nice_ticks(high: float, count: int = 5) -> list[float]:
    """Round ticks from 0 to at least `high` (about `count` of them)."""
    if high <= 0:
        return [0.0, 1.0]
    raw = high / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [round(i * step, 10) for i in range(math.ceil(high / step - 1e-9) + 1)]


def _label(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Axes:
    x_ticks: list[float]
    y_ticks: list[float]

    def x(self, value: float) -> float:
        return round(LEFT + (WIDTH - LEFT - RIGHT) * value / self.x_ticks[-1], 1)

    def y(self, value: float) -> float:
        value = min(max(value, 0.0), self.y_ticks[-1])  # a limit off the chart runs along its edge
        return round(HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * value / self.y_ticks[-1], 1)

    def ticks(self) -> dict:
        return {
            "x": [
                {"at": self.x(t), "label": _label(t), "anchor": "end" if t == last else "middle"}
                for t in self.x_ticks
                for last in [self.x_ticks[-1]]
            ],
            "y": [{"at": self.y(t), "label": _label(t)} for t in self.y_ticks],
        }


def _path(axes: Axes, points: list[tuple[float, float]]) -> str:
    return " ".join(
        f"{'M' if i == 0 else 'L'}{axes.x(x)},{axes.y(y)}" for i, (x, y) in enumerate(points)
    )


def funnel_chart(funnel: Funnel, names: dict) -> dict | None:
    """The chart of one funnel: axes, the mean line, the four limit curves and a dot per network
    with a denominator (labelled with `names[key]`). None when no network has one."""
    shown = [p for p in funnel.points if p.value is not None and p.denominator > 0]
    if funnel.mean is None or not shown:
        return None
    mean = funnel.mean / funnel.per
    limits = {"proportion": funnel_limits_proportion, "rate": funnel_limits_rate}[funnel.kind]
    x_ticks = nice_ticks(max(p.denominator for p in shown) * 1.1)
    xs = [x_ticks[-1] * i / STEPS for i in range(1, STEPS + 1)]
    curves: dict[str, list[tuple[float, float]]] = {"95": [], "99.8": []}
    lower: dict[str, list[tuple[float, float]]] = {"95": [], "99.8": []}
    for x in xs:
        for name, z in (("95", Z95), ("99.8", Z998)):
            low, high = limits(mean, x, z)  # type: ignore[misc]
            curves[name].append((x, high * funnel.per))
            lower[name].append((x, low * funnel.per))
    values = [p.value for p in shown if p.value is not None]
    # High enough for every dot and the limits at the smallest network's denominator.
    smallest = min(p.denominator for p in shown)
    at_smallest = limits(mean, smallest, Z998)
    top = max(*values, funnel.mean * 1.5, at_smallest[1] * funnel.per if at_smallest else 0)
    top *= 1.05
    if funnel.kind == "proportion":
        top = min(top, funnel.per)  # never above 100 per 100
    axes = Axes(x_ticks, nice_ticks(top))
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "plot": {"left": LEFT, "right": WIDTH - RIGHT, "top": TOP, "bottom": HEIGHT - BOTTOM},
        "ticks": axes.ticks(),
        "mean": {"y": axes.y(funnel.mean), "x1": LEFT, "x2": WIDTH - RIGHT},
        "limits": [
            {"name": name, "upper": _path(axes, curves[name]), "lower": _path(axes, lower[name])}
            for name in ("95", "99.8")
        ],
        "dots": [
            {
                "x": axes.x(p.denominator),
                "y": axes.y(p.value or 0.0),
                "name": names[p.key],
                "outlier": p.outlier,
                "anchor": "end" if axes.x(p.denominator) > WIDTH * 0.7 else "start",
                "dx": -8 if axes.x(p.denominator) > WIDTH * 0.7 else 8,
            }
            for p in shown
        ],
    }


PALETTE = ("#005eb8", "#d5281b", "#007f3b", "#7c2855", "#ed8b00", "#330072", "#425563")


def trend_chart(months: list[str], series: list[dict]) -> dict | None:
    """Lines of monthly values: series [{"name", "values": [float per month]}]. None when there
    is nothing to draw."""
    if not series or not months:
        return None
    top = max((v for s in series for v in s["values"]), default=0.0)
    last = len(months) - 1
    axes = Axes([0.0, float(max(last, 1))], nice_ticks(top * 1.05 if top else 1.0))
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "plot": {"left": LEFT, "right": WIDTH - RIGHT, "top": TOP, "bottom": HEIGHT - BOTTOM},
        "y_ticks": axes.ticks()["y"],
        "months": [
            {"at": axes.x(i), "label": m, "anchor": "end" if i == last and i else "middle"}
            for i, m in enumerate(months)
            if i % math.ceil(len(months) / 6) == 0  # at most six labels
        ],
        "lines": [
            {
                "name": s["name"],
                "colour": PALETTE[i % len(PALETTE)],
                "dash": "" if i < len(PALETTE) else "6 3",
                "path": _path(axes, list(enumerate(s["values"]))),
                "dots": [{"x": axes.x(j), "y": axes.y(v)} for j, v in enumerate(s["values"])],
            }
            for i, s in enumerate(series)
        ],
    }
