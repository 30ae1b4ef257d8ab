"""The statistics of honest evaluation (reports/stats.py) against figures computed by hand.
Each expected number has its arithmetic beside it, to six decimal places; e^-1 = 0.367879,
e^-4 = 0.018316. Pure functions: no database."""

import pytest

from reports.stats import (
    OBSERVED_ONLY,
    REGRESSION_TO_THE_MEAN,
    UNMATCHED,
    Z95,
    Z998,
    admissions_band,
    age_band,
    caveats,
    exact_match,
    funnel,
    funnel_limits_proportion,
    funnel_limits_rate,
    rate_ratio,
)


def near(pair):
    return pytest.approx(pair, abs=1e-6)


# --- proportions: normal approximation, clipped to [0, 1] --------------------------------


def test_proportion_limits_by_hand():
    # p0 = 0.2, n = 100: sd = sqrt(0.2 * 0.8 / 100) = sqrt(0.0016) = 0.04
    # 95%:   0.2 +/- 1.959964 * 0.04 = 0.2 +/- 0.078399 = [0.121601, 0.278399]
    # 99.8%: 0.2 +/- 3.090232 * 0.04 = 0.2 +/- 0.123609 = [0.076391, 0.323609]
    assert funnel_limits_proportion(0.2, 100, Z95) == near((0.121601, 0.278399))
    assert funnel_limits_proportion(0.2, 100, Z998) == near((0.076391, 0.323609))


def test_proportion_limits_are_clipped_to_0_and_1():
    # p0 = 0.05, n = 10: sd = sqrt(0.05 * 0.95 / 10) = sqrt(0.00475) = 0.068920
    # 95%: 0.05 +/- 1.959964 * 0.068920 = 0.05 +/- 0.135081 = [-0.085081 -> 0, 0.185081]
    assert funnel_limits_proportion(0.05, 10, Z95) == near((0.0, 0.185081))
    # the mirror image, p0 = 0.95: [0.814919, 1.085081 -> 1]
    assert funnel_limits_proportion(0.95, 10, Z95) == near((0.814919, 1.0))


def test_proportion_limits_edge_cases():
    assert funnel_limits_proportion(0.2, 0, Z95) is None  # no people, no limits
    assert funnel_limits_proportion(0.0, 50, Z998) == (0.0, 0.0)  # no variation at p0 = 0
    assert funnel_limits_proportion(1.0, 50, Z998) == (1.0, 1.0)  # nor at p0 = 1
    with pytest.raises(ValueError):
        funnel_limits_proportion(1.2, 50, Z95)
    with pytest.raises(ValueError):
        funnel_limits_proportion(0.2, -1, Z95)


# --- rates: exact Poisson limits with Spiegelhalter's interpolation ----------------------
# For a tail p, r = the smallest count with F(r) >= p; the limit is r - (F(r) - p) / P(r),
# divided by the exposure. The tails of z = 1.959964 and 3.090232 are 0.025 and 0.001.


def test_rate_limits_by_hand_expected_count_1():
    # rate0 = 0.01 over 100: expected 1. P(k) = e^-1 / k!; F(0..5) = 0.367879, 0.735759,
    # 0.919699, 0.981012, 0.996340, 0.999406.
    # 97.5%: r = 3 (F(2) = 0.919699 < 0.975 <= 0.981012), P(3) = 0.061313,
    #   3 - (0.981012 - 0.975) / 0.061313 = 3 - 0.098051 = 2.901949 -> / 100 = 0.029019
    # 2.5%:  r = 0, 0 - (0.367879 - 0.025) / 0.367879 = -0.932 -> 0
    assert funnel_limits_rate(0.01, 100, Z95) == near((0.0, 0.029019))
    # 99.9%: r = 5 (F(4) = 0.996340 < 0.999 <= 0.999406), P(5) = 0.003066,
    #   5 - (0.999406 - 0.999) / 0.003066 = 5 - 0.132375 = 4.867625 -> / 100 = 0.048676
    assert funnel_limits_rate(0.01, 100, Z998) == near((0.0, 0.048676))


def test_rate_limits_by_hand_expected_count_4():
    # rate0 = 0.01 over 400: expected 4. P(k) = e^-4 4^k / k!:
    #   P(0..11) = .018316 .073263 .146525 .195367 .195367 .156293 .104196 .059540 .029770
    #              .013231 .005292 .001925
    #   F(0..11) = .018316 .091578 .238103 .433470 .628837 .785130 .889326 .948866 .978637
    #              .991868 .997160 .999085
    # 2.5%:  r = 1, 1 - (0.091578 - 0.025) / 0.073263 = 1 - 0.908762 = 0.091238 -> 0.000228
    # 97.5%: r = 8, 8 - (0.978637 - 0.975) / 0.029770 = 8 - 0.122170 = 7.877830 -> 0.019695
    assert funnel_limits_rate(0.01, 400, Z95) == near((0.000228, 0.019695))
    # 0.1%:  r = 0, 0 - (0.018316 - 0.001) / 0.018316 = -0.945 -> 0
    # 99.9%: r = 11, 11 - (0.999085 - 0.999) / 0.001925 = 11 - 0.044 = 10.956 -> 0.027390
    assert funnel_limits_rate(0.01, 400, Z998) == pytest.approx((0.0, 0.027390), abs=1e-5)


def test_rate_limits_at_large_counts_agree_with_the_normal_approximation():
    # rate0 = 0.05 over 100,000: expected 5,000, sd of the rate = sqrt(0.05 / 100000) = 0.000707
    # 99.8% by the normal approximation: 0.05 +/- 3.090232 * 0.000707 = [0.047815, 0.052185];
    # the exact limits are the Poisson's skew away from that, within a hundredth of a per cent.
    low, high = funnel_limits_rate(0.05, 100_000, Z998)
    assert low == pytest.approx(0.047815, abs=2e-5)
    assert high == pytest.approx(0.052185, abs=2e-5)
    assert high - 0.05 > 0.05 - low  # the Poisson is skewed upwards


def test_rate_limits_edge_cases():
    assert funnel_limits_rate(0.01, 0, Z95) is None  # no exposure, no limits
    assert funnel_limits_rate(0.0, 1000, Z998) == (0.0, 0.0)  # no events anywhere
    with pytest.raises(ValueError):
        funnel_limits_rate(-0.1, 100, Z95)
    with pytest.raises(ValueError):
        funnel_limits_rate(0.1, -100, Z95)
    with pytest.raises(ValueError):
        funnel_limits_rate(0.1, 100, 6.0)  # a tail of 1e-9: beyond what the summed tail holds


# --- the funnel: system mean, each point, and the outlier rule ----------------------------


# Four networks of 100: 36 + 12 + 28 + 4 = 80 of 400, system mean 0.2.
FOUR = {"A": (36, 100), "B": (12, 100), "C": (28, 100), "D": (4, 100)}


def test_funnel_of_proportions_names_outliers_beyond_99_8_only():
    # FOUR: system mean 0.2; limits at n = 100 as above:
    #   95% [0.121601, 0.278399], 99.8% [0.076391, 0.323609].
    result = funnel(FOUR, "proportion")
    assert result.mean == pytest.approx(0.2)
    by = {p.key: p for p in result.points}
    assert [p.key for p in result.points] == ["A", "B", "C", "D"]  # the order given
    assert by["A"].value == pytest.approx(0.36)
    assert by["A"].limits95 == near((0.121601, 0.278399))
    assert by["A"].limits998 == near((0.076391, 0.323609))
    assert by["A"].outlier == "high"  # 0.36 > 0.323609
    assert by["B"].outlier is None  # 0.12 is below the 95% limit, but not the 99.8%
    assert by["C"].outlier is None  # 0.28 is above the 95% limit, but not the 99.8%
    assert by["D"].outlier == "low"  # 0.04 < 0.076391


def test_funnel_scales_what_it_returns_by_per():
    # The same as per 100: mean 20, A 36 with limits [7.639072, 32.360928] at 99.8%.
    result = funnel(FOUR, "proportion", per=100)
    assert result.mean == pytest.approx(20.0)
    assert result.points[0].value == pytest.approx(36.0)
    assert result.points[0].limits998 == pytest.approx((7.639072, 32.360928), abs=1e-5)
    assert result.points[0].outlier == "high"


def test_funnel_of_rates_by_hand():
    # 12 + 0 + 4 = 16 events over 200 + 200 + 400 = 800: system rate 0.02, i.e. 20 per 1,000.
    # X and Y: expected 0.02 * 200 = 4, limits as for expected 4 above, over 200:
    #   95%: [0.091238, 7.877830] / 200 = [0.000456, 0.039389] = [0.456, 39.389] per 1,000
    #   99.8%: [0, 10.955602] / 200 = [0, 54.778] per 1,000
    result = funnel({"X": (12, 200), "Y": (0, 200), "Z": (4, 400)}, "rate", per=1000)
    assert result.mean == pytest.approx(20.0)
    x, y, z = result.points
    assert x.value == pytest.approx(60.0)  # 12 / 200 * 1000
    assert x.limits95 == pytest.approx((0.456, 39.389), abs=1e-3)
    assert x.limits998 == pytest.approx((0.0, 54.78), abs=1e-2)
    assert x.outlier == "high"  # 60 > 54.78
    # Y has no events: 0 is on the lower limit 0, not beyond it (P(0 | 4) = 0.018 > 0.001)
    assert y.value == 0.0
    assert y.outlier is None
    assert z.value == pytest.approx(10.0)  # 4 / 400 * 1000, expected 8: within the limits
    assert z.outlier is None


def test_funnel_with_a_zero_denominator_leaves_that_network_out():
    # B has no one: it has no value or limits and does not count in the mean (20 / 100).
    result = funnel({"A": (20, 100), "B": (0, 0)}, "proportion")
    assert result.mean == pytest.approx(0.2)
    b = result.points[1]
    assert (b.value, b.limits95, b.limits998, b.outlier) == (None, None, None, None)


def test_funnel_with_no_denominators_has_no_mean():
    result = funnel({"A": (0, 0), "B": (0, 0)}, "rate")
    assert result.mean is None
    assert [p.value for p in result.points] == [None, None]
    assert funnel({}, "proportion").mean is None


def test_funnel_with_no_events_anywhere_names_no_outlier():
    # p0 = 0: limits collapse to (0, 0) and every value is 0, on the limit, not beyond it.
    result = funnel({"A": (0, 50), "B": (0, 80)}, "proportion")
    assert result.mean == 0.0
    assert [p.outlier for p in result.points] == [None, None]


def test_funnel_refuses_impossible_counts():
    with pytest.raises(ValueError):
        funnel({"A": (11, 10)}, "proportion")  # more out of 10 than 10
    with pytest.raises(ValueError):
        funnel({"A": (-1, 10)}, "rate")


# --- the rate ratio -----------------------------------------------------------------------


def test_rate_ratio_by_hand():
    # 20 over 100 against 10 over 100: RR = 0.2 / 0.1 = 2
    # SE(ln RR) = sqrt(1/20 + 1/10) = sqrt(0.15) = 0.387298; 1.959964 * 0.387298 = 0.759090
    # ln 2 = 0.693147: exp(0.693147 -/+ 0.759090) = exp(-0.065943), exp(1.452237)
    #   = [0.936184, 4.272666]
    result = rate_ratio(20, 100, 10, 100)
    assert result.ratio == pytest.approx(2.0)
    assert result.ci95 == near((0.936184, 4.272666))
    assert result.reason == ""


def test_rate_ratio_with_unequal_exposures_by_hand():
    # 10 over 200 (0.05) against 20 over 100 (0.2): RR = 0.25, SE = sqrt(1/10 + 1/20) = 0.387298
    # ln 0.25 = -1.386294: exp(-1.386294 -/+ 0.759090) = exp(-2.145384), exp(-0.627204)
    #   = [0.117023, 0.534083]
    result = rate_ratio(10, 200, 20, 100)
    assert result.ratio == pytest.approx(0.25)
    assert result.ci95 == near((0.117023, 0.534083))


@pytest.mark.parametrize("counts", [(0, 100, 10, 100), (10, 100, 0, 100), (0, 100, 0, 100)])
def test_rate_ratio_with_a_zero_count_gives_no_ratio_and_says_why(counts):
    result = rate_ratio(*counts)
    assert (result.ratio, result.ci95) == (None, None)
    assert "No admissions on one side" in result.reason


def test_rate_ratio_with_no_exposure_gives_no_ratio_and_says_why():
    result = rate_ratio(3, 0, 5, 100)
    assert (result.ratio, result.ci95) == (None, None)
    assert "No time at risk" in result.reason
    with pytest.raises(ValueError):
        rate_ratio(-1, 100, 5, 100)


# --- exact matching -----------------------------------------------------------------------

KEYS = ("age_band", "frailty", "admissions_band")


def person(pid, age, frailty, admissions):
    return {
        "id": pid,
        "age_band": age_band(age),
        "frailty": frailty,
        "admissions_band": admissions_band(admissions),
    }


def test_bands():
    assert [age_band(a) for a in (64, 65, 74, 75, 84, 85, 101)] == [
        "<65", "65-74", "65-74", "75-84", "75-84", "85+", "85+",
    ]  # fmt: skip
    assert [admissions_band(n) for n in (0, 1, 2, 3, 7)] == ["0", "1", "2", "3+", "3+"]


def test_exact_match_pairs_on_every_key_without_replacement():
    treated = [person("t1", 80, 6, 2), person("t2", 80, 6, 2), person("t3", 70, 4, 0)]
    candidates = [
        person("c1", 78, 6, 2),  # same bands as t1 and t2 (75-84, 6, "2")
        person("c2", 82, 5, 2),  # frailty differs: no one
        person("c3", 72, 4, 1),  # admissions band differs from t3: no one
    ]
    result = exact_match(treated, candidates, KEYS)
    assert result.pairs == [("t1", "c1")]  # c1 is used once, by the first in order
    assert result.unmatched == ["t2", "t3"]


def test_exact_match_with_k_gives_everyone_a_first_match_before_anyone_a_second():
    treated = [person("t1", 80, 6, 2), person("t2", 81, 6, 2)]
    candidates = [person(f"c{i}", 79, 6, 2) for i in range(1, 4)]
    result = exact_match(treated, candidates, KEYS, k=2)
    assert result.pairs == [("t1", "c1"), ("t2", "c2"), ("t1", "c3")]
    assert result.unmatched == []


def test_exact_match_is_deterministic_and_never_compares_someone_with_themselves():
    treated = [person("t1", 90, 7, 5)]
    candidates = [person("t1", 90, 7, 5), person("c9", 88, 7, 4), person("c2", 86, 7, 3)]
    first = exact_match(treated, candidates, KEYS, k=3)
    assert first.pairs == [("t1", "c9"), ("t1", "c2")]  # the order given, not sorted, not t1
    assert exact_match(treated, candidates, KEYS, k=3) == first
    with pytest.raises(ValueError):
        exact_match(treated, candidates, KEYS, k=0)


# --- caveats --------------------------------------------------------------------------------


def test_caveats_say_what_applies_and_nothing_else():
    assert caveats() == []
    assert caveats(before_after=True, counts=[12, 40]) == [REGRESSION_TO_THE_MEAN]
    small = caveats(before_after=True, counts=[12, 9])
    assert small[0] == REGRESSION_TO_THE_MEAN
    assert "under 10" in small[1] and len(small) == 2
    assert caveats(counts=[10]) == []  # 10 is not under 10
    assert caveats(matched=True, unmatched=3) == [OBSERVED_ONLY, UNMATCHED.format(n=3)]
    assert "3 of the people" in UNMATCHED.format(n=3)
    assert "judgement" in caveats(estimate=True)[0]
