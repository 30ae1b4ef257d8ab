"""A list's JSON built from plain rows (``values_list``) rather than model instances through a
serializer's fields, with one field list: the serializer's readable fields, in its order.
The columns read and the dictionaries written both follow from it, so a field added to the
serializer is in the list too (or the list fails loudly: a column that does not exist).

A field is read from the column of its own name unless ``columns`` says otherwise
(``"network": "network_id"``), shown as read unless ``show`` formats it, or computed from the
row's other columns (``computed``: a function of the row as a column -> value mapping).
"""

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from functools import cached_property
from typing import Any

from rest_framework import serializers

Row = Mapping[str, Any]
_NOTHING: frozenset[str] = frozenset()


class ListRows:
    def __init__(
        self,
        serializer: type[serializers.Serializer[Any]],
        *,
        first: Sequence[str] = ("id",),
        columns: Mapping[str, str] | None = None,
        show: Mapping[str, Callable[[Any], Any]] | None = None,
        computed: Mapping[str, Callable[[Row], Any]] | None = None,
    ) -> None:
        self.serializer = serializer
        self.first = tuple(first)  # columns wanted at known places (the access trail's ids)
        self.column_of = dict(columns or {})
        self.show = dict(show or {})
        self.computed = dict(computed or {})

    @cached_property
    def fields(self) -> tuple[str, ...]:
        """The serializer's readable fields, in order (read once, when first needed)."""
        return tuple(n for n, f in self.serializer().fields.items() if not f.write_only)

    @cached_property
    def columns(self) -> tuple[str, ...]:
        """What the list's query reads, for ``values_list(*columns)``: each column once."""
        read = [self.column_of.get(f, f) for f in self.fields if f not in self.computed]
        return tuple(dict.fromkeys([*self.first, *read]))

    def build(
        self,
        rows: Iterable[Sequence[Any]],
        *,
        show: Mapping[str, Callable[[Any], Any]] | None = None,
        omit: Callable[[Row], Collection[str]] | None = None,
    ) -> list[dict[str, Any]]:
        """The JSON of each row, field for field as the serializer gives it. ``show`` adds
        formats known only for this request (a network's slug); ``omit`` names the fields a
        row leaves out (the clinical ones, where the role may not see them)."""
        shown = {**self.show, **(show or {})}
        plan = [
            (name, self.computed.get(name), self.column_of.get(name, name), shown.get(name))
            for name in self.fields
        ]
        results = []
        for row in rows:
            values = dict(zip(self.columns, row, strict=True))
            left_out = omit(values) if omit else _NOTHING
            item: dict[str, Any] = {}
            for name, compute, column, form in plan:
                if name in left_out:
                    continue
                if compute is not None:
                    item[name] = compute(values)
                else:
                    value = values[column]
                    item[name] = form(value) if form is not None and value is not None else value
            results.append(item)
        return results
