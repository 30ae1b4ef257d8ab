"""Loading the NHSBSA dm+d release (its XML files) into the lookup tables.

The release (TRUD item 24, "NHSBSA dm+d") is a zip of XML files, one per part of the model:
``f_vtm2_<ver>.xml`` (VIRTUAL_THERAPEUTIC_MOIETIES > VTM), ``f_vmp2_<ver>.xml``
(VIRTUAL_MED_PRODUCTS > VMPS > VMP, then VIRTUAL_PRODUCT_INGREDIENT > VPI and
DRUG_FORM > DFORM keyed by VPID), ``f_amp2_<ver>.xml`` (ACTUAL_MEDICINAL_PRODUCTS > AMPS >
AMP) and ``f_lookup2_<ver>.xml`` (LOOKUP > FORM / UNIT_OF_MEASURE / SUPPLIER > INFO with CD
and DESC). Each file is read as a stream (``iterparse``, elements cleared once read), rows are
compared with what is held in batches and only new or changed rows are written, so a second
load of the same release writes nothing, and a newer release updates names and invalid
flags. Everything runs in one transaction: a file that cannot be read is refused with its
name (and line where the parser gives one), and nothing of the release is kept.
"""

from __future__ import annotations

import fnmatch
import os
import re
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError, iterparse

from django.db import transaction

from .models import Amp, Vmp, Vtm

BATCH = 2000
# The small extract shipped in the repository (tests, seed_demo): see its README.md.
EXTRACT = Path(__file__).resolve().parent / "fixtures" / "release"
PATTERNS = {
    "vtm": "f_vtm2_*.xml",
    "vmp": "f_vmp2_*.xml",
    "amp": "f_amp2_*.xml",
    "lookup": "f_lookup2_*.xml",
}
REQUIRED = ("vtm", "vmp", "amp")
CODE = re.compile(r"^[0-9]{6,18}$")


class ReleaseError(ValueError):
    """A release that cannot be loaded; the message names the file (and line)."""


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"{self.created} new, {self.updated} updated, {self.unchanged} unchanged"


@dataclass
class Loaded:
    counts: dict[str, Counts] = field(
        default_factory=lambda: {"vtm": Counts(), "vmp": Counts(), "amp": Counts()}
    )

    @property
    def changed(self) -> int:
        return sum(c.created + c.updated for c in self.counts.values())

    def tally(self) -> list[tuple[str, str, int]]:
        """(what, outcome, how many): "dm+d VMP", "created", 57..."""
        return [
            (f"dm+d {part.upper()}", outcome, getattr(counts, outcome))
            for part, counts in self.counts.items()
            for outcome in ("created", "updated", "unchanged")
        ]


# --- finding the files --------------------------------------------------------------------


@contextmanager
def _opened(source: str | os.PathLike[str]) -> Iterator[dict[str, tuple[str, Callable[[], IO]]]]:
    """The release's files in a folder or a .zip, by part: (name, opener)."""
    path = Path(source)
    found: dict[str, tuple[str, Callable[[], IO]]] = {}
    with ExitStack() as stack:
        if path.is_dir():
            names = {p.name: p for p in path.iterdir() if p.is_file()}
            openers = {n: (lambda p=p: p.open("rb")) for n, p in names.items()}
        elif path.is_file() and zipfile.is_zipfile(path):
            archive = stack.enter_context(zipfile.ZipFile(path))
            members = {os.path.basename(m): m for m in archive.namelist() if not m.endswith("/")}
            openers = {n: (lambda m=m: archive.open(m)) for n, m in members.items()}
        else:
            raise ReleaseError(f"{source}: not a folder or a .zip file of the dm+d release.")
        for part, pattern in PATTERNS.items():
            matches = sorted(n for n in openers if fnmatch.fnmatch(n, pattern))
            if len(matches) > 1:
                raise ReleaseError(f"{source}: more than one {pattern} ({', '.join(matches)}).")
            if matches:
                found[part] = (matches[0], openers[matches[0]])
        missing = [PATTERNS[p] for p in REQUIRED if p not in found]
        if missing:
            raise ReleaseError(f"{source}: no {', '.join(missing)} in the release.")
        yield found


def _records(name: str, opener: Callable[[], IO], tags: set[str]) -> Iterator[Element]:
    """Each element whose tag is in ``tags`` (a record: VTM, VMP, VPI, INFO...), read as a
    stream; a malformed file raises ReleaseError naming it and the line."""
    with opener() as handle:
        parents: list[str] = []
        try:
            # The release comes from TRUD, loaded by an operator. ElementTree resolves no
            # external entities, and expat (>= 2.4.1, Python's own) bounds entity expansion.
            for event, element in iterparse(handle, events=("start", "end")):  # noqa: S314
                if event == "start":
                    parents.append(element.tag)
                    continue
                parents.pop()
                if element.tag in tags:
                    element.set("_parent", parents[-1] if parents else "")
                    yield element
                    element.clear()
        except ParseError as exc:
            line = exc.position[0] if exc.position else "?"
            raise ReleaseError(f"{name}: line {line}: not well-formed XML ({exc.msg}).") from exc


def _text(element: Element, tag: str) -> str:
    child = element.find(tag)
    return (child.text or "").strip() if child is not None else ""


def _code(name: str, element: Element, tag: str, *, required: bool = True) -> str:
    value = _text(element, tag)
    if not value and not required:
        return ""
    if not CODE.match(value):
        shown = value[:30] or "nothing"
        raise ReleaseError(f"{name}: a {element.tag} has {shown!r} as {tag}, not a dm+d code.")
    return value


def _name(name: str, element: Element, key: str) -> str:
    value = _text(element, "NM")
    if not value:
        raise ReleaseError(f"{name}: {element.tag} {key} has no name (NM).")
    return value[:255]


# --- lookups and the VMP's form and strength ------------------------------------------------


def _lookups(files: dict[str, tuple[str, Callable[[], IO]]]) -> dict[str, dict[str, str]]:
    tables: dict[str, dict[str, str]] = {"FORM": {}, "UNIT_OF_MEASURE": {}, "SUPPLIER": {}}
    if "lookup" not in files:
        return tables
    name, opener = files["lookup"]
    for info in _records(name, opener, {"INFO"}):
        table = tables.get(info.get("_parent", ""))
        if table is not None and _text(info, "CD"):
            table[_text(info, "CD")] = _text(info, "DESC")
    return tables


def _number(value: str) -> str:
    try:
        number = Decimal(value)
    except InvalidOperation:
        return ""
    text = f"{number.normalize():f}"
    return text


def _vmp_details(
    name: str, opener: Callable[[], IO], lookups: dict[str, dict[str, str]]
) -> tuple[dict[str, str], dict[str, str]]:
    """Form and strength by VPID, where simple: one DFORM; one VPI with a numerator strength
    whose unit the lookup names (a denominator too when it has one)."""
    forms: dict[str, list[str]] = {}
    strengths: dict[str, list[str]] = {}
    units = lookups["UNIT_OF_MEASURE"]
    for row in _records(name, opener, {"DFORM", "VPI"}):
        vpid = _text(row, "VPID")
        if row.tag == "DFORM":
            forms.setdefault(vpid, []).append(lookups["FORM"].get(_text(row, "FORMCD"), ""))
            continue
        value, unit = (
            _number(_text(row, "STRNT_NMRTR_VAL")),
            units.get(_text(row, "STRNT_NMRTR_UOMCD"), ""),
        )
        strength = f"{value}{unit}" if value and unit else ""
        over, over_unit = (
            _number(_text(row, "STRNT_DNMTR_VAL")),
            units.get(_text(row, "STRNT_DNMTR_UOMCD"), ""),
        )
        if strength and over_unit:
            strength += f"/{'' if over == '1' else over}{over_unit}"
        strengths.setdefault(vpid, []).append(strength)
    return (
        {k: v[0] for k, v in forms.items() if len(v) == 1 and v[0]},
        {k: v[0] for k, v in strengths.items() if len(v) == 1 and v[0]},
    )


# --- writing in batches, only what changed -------------------------------------------------


def _write[Product: (Vtm, Vmp, Amp)](
    model: type[Product], rows: list[dict[str, Any]], counts: Counts
) -> None:
    if not rows:
        return
    pk = model._meta.pk.attname
    fields = [f for f in rows[0] if f != pk]
    held = {
        r[pk]: r for r in model.objects.filter(pk__in=[r[pk] for r in rows]).values(pk, *fields)
    }
    new = [model(**r) for r in rows if r[pk] not in held]
    changed = [model(**r) for r in rows if r[pk] in held and held[r[pk]] != r]
    model.objects.bulk_create(new, batch_size=BATCH)
    if changed:
        model.objects.bulk_update(changed, fields, batch_size=BATCH)
    counts.created += len(new)
    counts.updated += len(changed)
    counts.unchanged += len(rows) - len(new) - len(changed)


def _batched(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    seen: set[str] = set()
    for row in rows:
        key = next(iter(row.values()))
        if key in seen:
            continue  # a product given twice in a file: the first stands
        seen.add(key)
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _vtms(name: str, opener: Callable[[], IO]) -> Iterator[dict[str, Any]]:
    for vtm in _records(name, opener, {"VTM"}):
        vtmid = _code(name, vtm, "VTMID")
        yield {
            "vtmid": vtmid,
            "name": _name(name, vtm, vtmid),
            "invalid": _text(vtm, "INVALID") == "1",
        }


def _vmps(
    name: str,
    opener: Callable[[], IO],
    lookups: dict[str, dict[str, str]],
    vtm_ids: set[str],
) -> Iterator[dict[str, Any]]:
    forms, strengths = _vmp_details(name, opener, lookups)
    units = lookups["UNIT_OF_MEASURE"]
    for vmp in _records(name, opener, {"VMP"}):
        vpid = _code(name, vmp, "VPID")
        vtmid = _code(name, vmp, "VTMID", required=False)
        if vtmid and vtmid not in vtm_ids:
            raise ReleaseError(
                f"{name}: VMP {vpid} names VTM {vtmid}, which is not in the release."
            )
        yield {
            "vpid": vpid,
            "name": _name(name, vmp, vpid),
            "vtm_id": vtmid or None,
            "invalid": _text(vmp, "INVALID") == "1",
            "form": forms.get(vpid, "")[:120],
            "strength": strengths.get(vpid, "")[:60],
            "unit_dose": units.get(_text(vmp, "UNIT_DOSE_UOMCD"), "")[:60],
        }


SUPPLIER_IN_DESC = re.compile(r"\(([^()]*(?:\([^()]*\)[^()]*)*)\)\s*$")


def _amps(
    name: str,
    opener: Callable[[], IO],
    lookups: dict[str, dict[str, str]],
    vmp_ids: set[str],
) -> Iterator[dict[str, Any]]:
    suppliers = lookups["SUPPLIER"]
    for amp in _records(name, opener, {"AMP"}):
        apid = _code(name, amp, "APID")
        vpid = _code(name, amp, "VPID")
        if vpid not in vmp_ids:
            raise ReleaseError(f"{name}: AMP {apid} names VMP {vpid}, which is not in the release.")
        description = _text(amp, "DESC")[:700]
        code = _code(name, amp, "SUPPCD", required=False)
        in_desc = SUPPLIER_IN_DESC.search(description)
        yield {
            "apid": apid,
            "name": _name(name, amp, apid),
            "description": description,
            "vmp_id": vpid,
            "supplier_code": code,
            "supplier": (suppliers.get(code) or (in_desc.group(1) if in_desc else ""))[:255],
            "invalid": _text(amp, "INVALID") == "1",
        }


@transaction.atomic
def dmd_release_load(*, source: str | os.PathLike[str]) -> Loaded:
    """Load a dm+d release (a folder or .zip holding its XML files). All or nothing:
    ReleaseError (naming the file) leaves the tables as they were."""
    loaded = Loaded()
    with _opened(source) as files:
        lookups = _lookups(files)
        for batch in _batched(_vtms(*files["vtm"])):
            _write(Vtm, batch, loaded.counts["vtm"])
        vtm_ids = set(Vtm.objects.values_list("vtmid", flat=True))
        for batch in _batched(_vmps(*files["vmp"], lookups, vtm_ids)):
            _write(Vmp, batch, loaded.counts["vmp"])
        vmp_ids = set(Vmp.objects.values_list("vpid", flat=True))
        for batch in _batched(_amps(*files["amp"], lookups, vmp_ids)):
            _write(Amp, batch, loaded.counts["amp"])
    return loaded


def dmd_extract_load() -> Loaded:
    """The repository's extract (dmd/fixtures/release/), as seed_demo loads it."""
    return dmd_release_load(source=EXTRACT)
