"""The suite as `make test` runs it: pytest-xdist hands out tests by nodeid, so two tests
with one nodeid would run once between them, and nothing would say so."""

import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_collected_test_has_a_nodeid_of_its_own():
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert collected.returncode == 0, collected.stdout[-3000:] + collected.stderr[-3000:]
    nodeids = [line for line in collected.stdout.splitlines() if "::" in line]
    assert len(nodeids) > 8000  # the whole suite, the API fuzzing's operations among them
    assert sum(1 for n in nodeids if n.startswith("tests/test_api_fuzz.py::test_api[")) > 50
    repeated = {nodeid: n for nodeid, n in Counter(nodeids).items() if n > 1}
    assert not repeated
