"""reports/compare.py takes the median working days to triage from a histogram (counted per
day by the database) instead of percentile_cont over every referral: the same figure."""

import pytest
from django.db import connection

from reports.compare import _median


@pytest.mark.django_db
@pytest.mark.parametrize(
    "values",
    [
        [3],
        [0, 1],  # (0 + 1) / 2 = 0.5
        [0, 0, 1, 5],  # the middle two, 0 and 1: 0.5
        [1, 1, 1, 2, 2, 9, 9],  # the fourth of seven: 2
        [2, 2, 4, 4, 4, 4, 7, 7, 30, 45],  # the fifth and sixth, 4 and 4: 4
        [0, 0, 0, 1, 1, 3],  # the third and fourth, 0 and 1: 0.5
    ],
)
def test_median_of_a_histogram_is_postgresql_percentile_cont(values):
    histogram = sorted({v: values.count(v) for v in values}.items())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FROM unnest(%s::int[]) v",
            [values],
        )
        expected = cursor.fetchone()[0]
    assert _median(histogram) == expected
    assert type(_median(histogram)) is float
