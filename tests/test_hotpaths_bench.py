"""The hot-paths benchmark runs (a smoke test at a tiny size, not a timed assertion): on a tiny
`generate_synthetic` data set it prints a row for every path, with its figures beside the two
floors and a verdict, and finds no disagreement between a path and its hand-written SQL."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from benchmarks import hotpaths as bench
from patients.models import Patient

pytestmark = pytest.mark.django_db

LABELS = [
    "API  /api/v1/patients/",
    "page /patients/",
    "API  /api/v1/patients/?q=",
    "page /patients/?q=",
    "API  /api/v1/patients/?q=<NHS number>",
    "page /patients/?q=<NHS number>",
    "page /referrals/inbox/",
    "API  /api/v1/referrals/?status=new&service=",
    "page /patients/<pk>/",
    "page /meetings/<pk>/ (40 people)",
    "page /meetings/<pk>/run/<item>/ (40)",
    "page /medicines/my-day/",
    "page /my-work/",
    "page /reports/ (all networks, 12 months)",
    "API  /api/v1/reports/dashboard/ (all, 12 months)",
]
ROW = re.compile(
    r"^(?P<label>(API |page) \S.*?)\s+(?P<p50>[\d.]+)\s+(?P<p95>[\d.]+)\s+(?P<q>\d+)\s+"
    r"(?P<h>[\d.]+)\s+(?P<s>[\d.]+|n/a)\s+(?P<hs>[\d.]+|n/a)\s+<= .*\s(MET|NOT MET|n/a)$",
    re.MULTILINE,
)


def tiny_synthetic_data() -> int:
    call_command(
        "generate_synthetic",
        stdout=StringIO(),
        people=200,
        networks=2,
        practices=4,
        months=6,
        seed=7,
        yes=True,
        force=True,  # the test settings have DEBUG off
    )
    return Patient.objects.count()


def test_hotpaths_benchmark_prints_a_row_per_path(capsys):
    people = tiny_synthetic_data()
    status = bench.main(["--current-database", "--repeat", "2", "--warmup", "0", "--skip-sweep"])

    out = capsys.readouterr().out
    assert status == 0, out
    assert "ERROR" not in out, out
    rows = [m["label"] for m in ROW.finditer(out)]
    assert len(rows) == len(LABELS), out
    for label, row in zip(LABELS, rows, strict=True):
        assert row.startswith(label), (label, row)
    assert "PostgreSQL" in out and "CPUs" in out and "load average at start" in out
    assert "load average at end" in out and f"{people:,} people" in out
    # Nothing the benchmark did stayed behind.
    assert Patient.objects.count() == people


def test_database_name_must_say_bench():
    url = "postgres://postgres@127.0.0.1:5432/icn"
    assert bench.bench_name(url, None) == "icn_bench"
    assert bench.bench_name(url.replace("/icn", "/icn_bench_2"), None) == "icn_bench_2"
    with pytest.raises(SystemExit):
        bench.bench_name(url, "icn")


RLS_ROW = re.compile(
    r"^(?P<label>(API |page) \S.*?)\s+(?P<off>[\d.]+)\s+(?P<on>[\d.]+)\s+[\d.]+\s+"
    r"(?P<cost>[+-][\d.]+)%\s+(?P<q_off>\d+) queries off, (?P<q_on>\d+) on\s+(MET|NOT MET)$",
    re.MULTILINE,
)


def test_hotpaths_benchmark_prints_the_cost_of_row_level_security_per_path(capsys):
    people = tiny_synthetic_data()
    status = bench.main(["--current-database", "--repeat", "2", "--warmup", "0", "--rls"])

    out = capsys.readouterr().out
    assert status == 0 and "ERROR" not in out, out
    rows = list(RLS_ROW.finditer(out))
    assert [m["label"][: len(label)] for m, label in zip(rows, LABELS, strict=True)] == LABELS
    # With RLS on a request adds exactly two statements: its scope set, then cleared.
    assert all(int(m["q_on"]) == int(m["q_off"]) + 2 for m in rows), out
    assert Patient.objects.count() == people
