"""Searching dm+d: word prefixes of the name, any case, or a code; invalid products left
out; a constant number of queries."""

import pytest

from dmd.models import Amp, Vmp, Vtm
from dmd.selectors import code_known, products_matching

pytestmark = pytest.mark.django_db


def names(q):
    return [p.name for p in products_matching(q)]


def test_words_match_the_start_of_words_in_any_case(dmd_release):
    assert names("AMLO 5") == [
        "Amlodipine 5mg tablets",
        "Amlodipine 5mg tablets (A A H Pharmaceuticals Ltd)",
        "Amlodipine 5mg tablets (Alliance Healthcare (Distribution) Ltd)",
    ]
    first = products_matching("amlo 5")[0]
    assert (first.code, first.kind) == ("319283006", "vmp")
    assert {p.kind for p in products_matching("amlodipine")} == {"vmp", "amp", "vtm"}
    assert names("odipine") == []  # the middle of a word is not a start
    assert names("ramipril 2.5") == ["Ramipril 2.5mg capsules"]


def test_a_code_finds_its_product_with_form_and_strength(dmd_release):
    (found,) = products_matching("319284000")
    assert (found.name, found.kind, found.form, found.strength) == (
        "Amlodipine 10mg tablets",
        "vmp",
        "Tablet",
        "10mg",
    )
    (amp,) = products_matching("7305311000001108")
    assert (amp.kind, amp.vmp_code, amp.strength) == ("amp", "319283006", "5mg")
    assert code_known("319284000") and code_known("108537001") and code_known("7305311000001108")
    assert not code_known("999999999")


def test_invalid_products_are_left_out_of_name_search(dmd_release):
    Vmp.objects.filter(vpid="318859000").update(invalid=True)
    assert names("lisinopril") == []


def add(vtm, start, end):
    for i in range(start, end):
        vmp = Vmp.objects.create(vpid=f"2000{i:05d}", name=f"Testamine {i}mg tablets", vtm=vtm)
        Amp.objects.create(apid=f"3000{i:05d}", name=vmp.name, vmp=vmp, supplier="X")


def test_the_number_of_queries_does_not_grow_with_the_rows(db, django_assert_max_num_queries):
    vtm = Vtm.objects.create(vtmid="100000001", name="Testamine")
    add(vtm, 0, 2)
    with django_assert_max_num_queries(3):
        assert len(products_matching("testam")) == 5
    add(vtm, 2, 20)
    with django_assert_max_num_queries(3):
        assert len(products_matching("testam")) == 25  # the limit
