"""Searching the dm+d tables: reference data, the same for every reader (the API decides who
may ask)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import CharField, QuerySet, Value

from .models import Amp, Kind, Vmp, Vtm
from .search import name_matches

CODE = re.compile(r"^[0-9]{6,18}$")
WORD = re.compile(r"[^\W_]+(?:[./][^\W_]+)*", re.UNICODE)
LIMIT = 25


@dataclass(frozen=True)
class Product:
    code: str
    name: str
    kind: str
    form: str = ""
    strength: str = ""
    vmp_code: str = ""


def _named(queryset: QuerySet, text: str) -> QuerySet:
    """Rows whose name has a word starting with each word of ``text`` (any case)."""
    return queryset.filter(name_matches(text))


def products_matching(q: str, *, limit: int = LIMIT) -> list[Product]:
    """VMPs, then AMPs, then VTMs whose name has words starting with the query's words, or
    the one product with the query as its code. Invalid products are left out. Three
    queries, whatever the number of rows."""
    q = (q or "").strip()
    if CODE.match(q):
        vmps, amps, vtms = (
            Vmp.objects.filter(vpid=q),
            Amp.objects.filter(apid=q),
            Vtm.objects.filter(vtmid=q),
        )
    else:
        words = " ".join(WORD.findall(q)[:6])
        if not words:
            return []
        vmps = _named(Vmp.objects.filter(invalid=False), words)
        amps = _named(Amp.objects.filter(invalid=False), words)
        vtms = _named(Vtm.objects.filter(invalid=False), words)
    found = [
        Product(code=v.vpid, name=v.name, kind=Kind.VMP, form=v.form, strength=v.strength)
        for v in vmps.order_by("name")[:limit]
    ]
    found += [
        Product(
            code=a["apid"],
            name=a["description"] or a["name"],
            kind=Kind.AMP,
            form=a["vmp__form"],
            strength=a["vmp__strength"],
            vmp_code=a["vmp_id"],
        )
        for a in amps.order_by("name", "supplier").values(
            "apid", "name", "description", "vmp_id", "vmp__form", "vmp__strength"
        )[: max(limit - len(found), 0)]
    ]
    found += [
        Product(code=v.vtmid, name=v.name, kind=Kind.VTM)
        for v in vtms.order_by("name")[: max(limit - len(found), 0)]
    ]
    return found


def code_known(code: str) -> bool:
    """Whether a dm+d code is a VMP, AMP or VTM of the loaded release (one query)."""
    return (
        Vmp.objects.filter(vpid=code)
        .values_list(Value(1, output_field=CharField()))
        .union(
            Amp.objects.filter(apid=code).values_list(Value(1, output_field=CharField())),
            Vtm.objects.filter(vtmid=code).values_list(Value(1, output_field=CharField())),
        )
        .exists()
    )


def product_named(code: str) -> Product | None:
    found = products_matching(code, limit=1)
    return found[0] if found else None
