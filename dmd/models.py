"""The NHSBSA dm+d release's products, as lookup tables (reference data: no network, no
person, so not under row-level security). Loaded by ``manage.py load_dmd`` (dmd.loader).

Ids are the release's own (VTMID, VPID, APID: SNOMED CT identifiers of up to 18 digits),
kept as text so that they compare with what a partner system sends. A product the release
marks ``INVALID`` stays (a medication line may name it) and is left out of search.
"""

from django.contrib.postgres.indexes import GinIndex
from django.db import models

from .search import NameVector


class Kind(models.TextChoices):
    VTM = "vtm", "Virtual therapeutic moiety"
    VMP = "vmp", "Virtual medicinal product"
    AMP = "amp", "Actual medicinal product"


def _name_index(name: str) -> GinIndex:
    # The name's words (full text, "simple": lower case, no stemming): serves word-prefix
    # search (dmd.search, dmd.selectors.products_matching) without a scan of the table.
    return GinIndex(NameVector("name"), name=name)


class Vtm(models.Model):
    """A virtual therapeutic moiety: the substance(s), e.g. "Amlodipine"."""

    vtmid = models.CharField("VTMID", max_length=18, primary_key=True)
    name = models.CharField(max_length=255)
    invalid = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = "VTM"
        indexes = [_name_index("dmd_vtm_name_words")]

    def __str__(self) -> str:
        return self.name


class Vmp(models.Model):
    """A virtual medicinal product: generic name, strength and form, e.g. "Amlodipine 5mg
    tablets". ``form``, ``strength`` and ``unit_dose`` are filled where the release gives
    them simply (one drug form; one ingredient with a numerator strength; a unit dose form)."""

    vpid = models.CharField("VPID", max_length=18, primary_key=True)
    name = models.CharField(max_length=255)
    vtm = models.ForeignKey(
        Vtm, on_delete=models.PROTECT, null=True, blank=True, related_name="vmps"
    )
    invalid = models.BooleanField(default=False)
    form = models.CharField(max_length=120, blank=True)
    strength = models.CharField(max_length=60, blank=True)
    unit_dose = models.CharField("unit dose form", max_length=60, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "VMP"
        indexes = [_name_index("dmd_vmp_name_words")]

    def __str__(self) -> str:
        return self.name


class Amp(models.Model):
    """An actual medicinal product: one supplier's product of a VMP."""

    apid = models.CharField("APID", max_length=18, primary_key=True)
    name = models.CharField(max_length=255)
    description = models.CharField(max_length=700, blank=True)
    vmp = models.ForeignKey(Vmp, on_delete=models.PROTECT, related_name="amps")
    supplier_code = models.CharField(max_length=18, blank=True)
    supplier = models.CharField(max_length=255, blank=True)
    invalid = models.BooleanField(default=False)

    class Meta:
        ordering = ["name", "supplier"]
        verbose_name = "AMP"
        indexes = [_name_index("dmd_amp_name_words")]

    def __str__(self) -> str:
        return self.description or self.name
