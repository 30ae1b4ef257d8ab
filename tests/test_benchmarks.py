"""The reminder-sweep benchmark runs (a smoke test at a tiny size, not a timed assertion): it
prints its figures, the sweep and the set-based floor insert the same rows, and the re-run
inserts nothing."""

import re

import pytest

from benchmarks import sweep as bench

pytestmark = pytest.mark.django_db


def test_sweep_benchmark_prints_its_figures(capsys):
    status = bench.main(
        ["--actions", "300", "--networks", "2", "--repeat", "2", "--current-database"]
    )

    out = capsys.readouterr().out
    assert status == 0, out
    assert "ERROR" not in out
    rows = {
        m["what"]: m
        for m in re.finditer(
            r"^(?P<what>sweep|floor \(one INSERT..SELECT\)|re-run of the sweep)\s+"
            r"(?P<rows>[\d,]+)\s+(?P<min>[\d,.]+)\s+(?P<median>[\d,.]+)\s*$",
            out,
            re.MULTILINE,
        )
    }
    assert set(rows) == {"sweep", "floor (one INSERT..SELECT)", "re-run of the sweep"}, out
    swept = int(rows["sweep"]["rows"].replace(",", ""))
    assert swept > 0
    assert int(rows["floor (one INSERT..SELECT)"]["rows"].replace(",", "")) == swept
    assert rows["re-run of the sweep"]["rows"] == "0"
    assert re.search(r"^ratio sweep / floor\s+[\d.]+x\s+[\d.]+x$", out, re.MULTILINE), out
    assert re.search(r"^sweep queries\s+\d+ ", out, re.MULTILINE), out
    assert "(same)" in out
    assert "PostgreSQL" in out and "CPUs" in out
    # The deputies' copies and the escalations are part of what was compared.
    assert "deputies' copies" in out and "action_escalated" in out


def test_scratch_database_name_must_say_bench():
    url = "postgres://postgres@127.0.0.1:5432/icn"
    assert bench.scratch_name(url, None) == "icn_bench"
    assert bench.scratch_name(url.replace("/icn", "/icn_bench_h4"), None) == "icn_bench_h4"
    with pytest.raises(SystemExit):
        bench.scratch_name(url, "icn")
