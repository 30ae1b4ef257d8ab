"""The server-drawn charts of networks side by side (reports/funnel_chart.py): coordinates worked
out by hand on the 480 x 300 drawing (plot from x 52 to 464, y 254 down to 14)."""

from reports.funnel_chart import funnel_chart, nice_ticks, trend_chart
from reports.stats import Z998, funnel, funnel_limits_rate


def test_nice_ticks_reach_the_top_in_round_steps():
    assert nice_ticks(12.1) == [0.0, 2.5, 5.0, 7.5, 10.0, 12.5]  # 12.1 / 5 = 2.42 -> 2.5
    assert nice_ticks(165000) == [0, 50000, 100000, 150000, 200000]  # 33,000 -> 50,000
    assert nice_ticks(0.33) == [0.0, 0.1, 0.2, 0.3, 0.4]
    assert nice_ticks(0) == [0.0, 1.0]


def test_a_rate_funnel_places_each_network_and_the_mean():
    # 10 / 2,000 and 50 / 8,000 per 1,000: 5.0 and 6.25; mean 60 / 10,000 = 6.0 per 1,000.
    made = funnel({"a": (10, 2000), "b": (50, 8000)}, "rate", per=1000)
    chart = funnel_chart(made, {"a": "Alpha", "b": "Beta"})
    assert chart is not None
    # x: 8,000 x 1.1 = 8,800 -> ticks of 2,000 up to 10,000; 412 px wide.
    assert [t["label"] for t in chart["ticks"]["x"]] == [
        "0",
        "2,000",
        "4,000",
        "6,000",
        "8,000",
        "10,000",
    ]
    alpha, beta = chart["dots"]
    assert alpha["x"] == 52 + 412 * 2000 / 10000  # 134.4
    assert beta["x"] == 52 + 412 * 8000 / 10000  # 381.6
    # y: the top is the upper 99.8% limit at the smallest denominator (2,000), x 1.05.
    top = funnel_limits_rate(0.006, 2000, Z998)[1] * 1000 * 1.05
    ticks = nice_ticks(top)
    assert [float(t["label"]) for t in chart["ticks"]["y"]] == ticks
    assert alpha["y"] == round(254 - 240 * 5.0 / ticks[-1], 1)
    assert chart["mean"]["y"] == round(254 - 240 * 6.0 / ticks[-1], 1)
    # Four curves of 40 points; the upper ones run along the top where they leave the chart.
    assert len(chart["limits"]) == 2
    assert all(path["upper"].count("L") == 39 for path in chart["limits"])
    assert ",14.0" in chart["limits"][1]["upper"]  # the 99.8% curve at small denominators
    assert (alpha["name"], alpha["outlier"], beta["anchor"]) == ("Alpha", None, "end")


def test_nothing_to_draw_without_a_denominator():
    empty = funnel({"a": (3, 0)}, "rate", per=1000)
    assert funnel_chart(empty, {"a": "Alpha"}) is None
    assert trend_chart(["2026-06"], []) is None


def test_a_proportion_chart_stops_at_100():
    # 9 of 10 and 1 of 10: mean 50 per 100; the limits reach 100 at small denominators.
    chart = funnel_chart(
        funnel({"a": (9, 10), "b": (1, 10)}, "proportion", per=100), {"a": "A", "b": "B"}
    )
    assert chart["ticks"]["y"][-1]["label"] == "100"


def test_the_trend_draws_a_line_per_network_and_labels_at_most_six_months():
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    chart = trend_chart(
        months, [{"name": "A", "values": [1.0] * 12}, {"name": "B", "values": [2.0] * 12}]
    )
    assert [m["label"] for m in chart["months"]] == months[::2]  # every second of twelve
    assert chart["lines"][0]["path"].count("L") == 11
    assert chart["lines"][0]["colour"] != chart["lines"][1]["colour"]
