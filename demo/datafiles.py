"""The demo's data files (demo/data/*.toml): the demo networks and people of `seed_demo`, the
word lists of `generate_synthetic`. Data lives there, the code that writes it lives here."""

import tomllib
from pathlib import Path
from typing import Any

from dmd.services import dmd_extract_load

DATA = Path(__file__).resolve().parent / "data"


def load(name: str) -> dict[str, Any]:
    """demo/data/<name>.toml, as read by tomllib (tables as dicts, arrays as lists)."""
    with (DATA / f"{name}.toml").open("rb") as file:
        return tomllib.load(file)


def frozen(value: Any) -> Any:
    """The value with every list, at any depth, made a tuple (module constants stay constant)."""
    if isinstance(value, list):
        return tuple(frozen(item) for item in value)
    if isinstance(value, dict):
        return {key: frozen(item) for key, item in value.items()}
    return value


def dmd_extract_tally() -> dict[tuple[str, str], int]:
    """Load the repository's dm+d extract (dmd/fixtures/release/, so that medicine entry
    finds common medicines) and say what changed, as seed_demo's tally counts it."""
    return {(kind, outcome): n for kind, outcome, n in dmd_extract_load().tally()}
