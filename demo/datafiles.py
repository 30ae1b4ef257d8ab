"""The demo's data files (demo/data/*.toml): the demo networks and people of `seed_demo`, the
word lists of `generate_synthetic`. Data lives there, the code that writes it lives here."""

import tomllib
from pathlib import Path
from typing import Any

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
