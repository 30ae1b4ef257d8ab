"""Statuses as explicit transitions: one small helper for every status in ICN (referral,
meeting, agenda item, action, admission import), so no code sets a status string ad hoc.

A model's lifecycle is data: ``Lifecycle({"accept": Move({NEW}, ACCEPTED, "accepted"), ...})``.
``lifecycle.check(obj, "accept")`` raises ``Conflict`` (409) with a readable message when the
move is not allowed from the current status; ``lifecycle.apply(obj, "accept")`` checks and sets
the status (the caller saves, usually on a row it locked with ``select_for_update``).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import Conflict


@dataclass(frozen=True)
class Move:
    sources: frozenset[str]
    target: str
    verb: str  # past participle for messages: "accepted", "cancelled"

    def __init__(self, sources: Iterable[str], target: str, verb: str) -> None:
        object.__setattr__(self, "sources", frozenset(sources))
        object.__setattr__(self, "target", target)
        object.__setattr__(self, "verb", verb)


class Lifecycle:
    def __init__(
        self, moves: Mapping[str, Move], *, field: str = "status", noun: str = "record"
    ) -> None:
        self.moves = dict(moves)
        self.field = field
        self.noun = noun

    def allowed(self, obj: Any, action: str) -> bool:
        return getattr(obj, self.field) in self.moves[action].sources

    def check(self, obj: Any, action: str) -> Move:
        move = self.moves[action]
        current = getattr(obj, self.field)
        if current in move.sources:
            return move
        shown = _display(obj, self.field)
        if current == move.target:
            raise Conflict(f"This {self.noun} has already been {move.verb}.")
        raise Conflict(f"This {self.noun} is {shown}, so it cannot be {move.verb}.")

    def apply(self, obj: Any, action: str) -> str:
        """Check the move and set the new status on ``obj`` (not saved). Returns the field
        name, for ``save(update_fields=[...])``."""
        move = self.check(obj, action)
        setattr(obj, self.field, move.target)
        return self.field


def _display(obj: Any, field: str) -> str:
    getter = getattr(obj, f"get_{field}_display", None)
    return str(getter() if getter else getattr(obj, field)).lower()
