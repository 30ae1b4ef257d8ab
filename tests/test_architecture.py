"""Tests that guard the house's shape (docs/adr/0005-floors-and-ports.md). The import floors
themselves are checked by `lint-imports` in `make test`; these check what it cannot."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from core import ports

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = [
    "core", "networks", "notifications", "audit", "accounts", "patients", "referrals",
    "actions", "careplans", "medicines", "huddles", "reports", "icn", "demo", "benchmarks",
    "loadtest",
    "tests",
]  # fmt: skip
MAX_LINES = 800


def _python_files():
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def _is_data(path: Path) -> bool:
    """A module that only assigns literals (word lists, seed data): data, not code."""
    tree = ast.parse(path.read_text())
    return all(
        isinstance(node, (ast.Assign, ast.AnnAssign, ast.Expr, ast.Import, ast.ImportFrom))
        for node in tree.body
    )


def test_no_code_file_is_over_800_lines():
    long = {
        str(path.relative_to(ROOT)): n
        for path in _python_files()
        if (n := len(path.read_text().splitlines())) > MAX_LINES and not _is_data(path)
    }
    assert long == {}


@pytest.mark.parametrize("name", sorted(settings.ICN_PORTS))
def test_every_port_resolves(name):
    consumers = ports.port(name)
    assert consumers, f"port {name!r} has no consumer"
    assert all(c is not None for c in consumers)


def test_an_unknown_port_is_an_error_not_silence():
    with pytest.raises(ports.UnknownPort):
        ports.port("no_such_port")


def test_ports_call_runs_every_consumer_in_order():
    with override_settings(
        ICN_PORTS={"probe": ["builtins.len", "builtins.sorted"]},
    ):
        ports._resolve.cache_clear()
        assert ports.call("probe", "cba") == [3, ["a", "b", "c"]]
    ports._resolve.cache_clear()


def test_the_kernel_knows_no_app():
    """core/ imports no app (lint-imports says so too, but this names the file at once)."""
    apps = set(PACKAGES) - {"core"}
    offenders = []
    for path in (ROOT / "core").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.ImportFrom)
                and node.level == 0
                and (node.module or "").split(".")[0] in apps
            ):
                offenders.append(f"{path.name}: {node.module}")
    assert offenders == []
