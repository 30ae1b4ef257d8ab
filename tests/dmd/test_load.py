"""manage.py load_dmd: the release's XML files into the lookup tables, idempotent, all or
nothing."""

import io
import shutil
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from dmd.models import Amp, Vmp, Vtm
from tests.conftest import DMD_EXTRACT

pytestmark = pytest.mark.django_db


def load(source) -> str:
    out = io.StringIO()
    call_command("load_dmd", str(source), stdout=out)
    return out.getvalue()


def copy(tmp_path):
    folder = tmp_path / "release"
    shutil.copytree(DMD_EXTRACT, folder)
    return folder


def row_versions(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {'vpid' if table == 'dmd_vmp' else 'apid'}, xmin::text FROM {table}"
        )
        return dict(cursor.fetchall())


def test_the_extract_loads_products_with_their_links_form_and_strength():
    out = load(DMD_EXTRACT)
    assert "VMP: 57 new" in out
    assert (Vtm.objects.count(), Vmp.objects.count(), Amp.objects.count()) == (1, 57, 5)
    amlodipine = Vmp.objects.get(vpid="319283006")
    assert amlodipine.name == "Amlodipine 5mg tablets"
    assert amlodipine.vtm.name == "Amlodipine"
    assert (amlodipine.form, amlodipine.strength) == ("Tablet", "5mg")
    assert Vmp.objects.get(vpid="318901006").form == ""  # capsules: no form given, none made up
    aah = Amp.objects.get(apid="7305311000001108")
    assert (aah.vmp_id, aah.supplier_code, aah.supplier) == (
        "319283006",
        "3144701000001104",
        "A A H Pharmaceuticals Ltd",
    )
    # no supplier code: the supplier read from the description's brackets
    assert Amp.objects.get(apid="172711000001100").supplier == "Upjohn UK Ltd"


def test_a_second_load_of_the_same_release_writes_nothing():
    load(DMD_EXTRACT)
    before = row_versions("dmd_vmp"), row_versions("dmd_amp")
    out = load(DMD_EXTRACT)
    assert "VMP: 0 new, 0 updated, 57 unchanged" in out
    assert (row_versions("dmd_vmp"), row_versions("dmd_amp")) == before


def test_a_newer_release_updates_names_and_invalid_flags(tmp_path):
    load(DMD_EXTRACT)
    folder = copy(tmp_path)
    vmp_file = folder / "f_vmp2_9000001.xml"
    text = vmp_file.read_text()
    text = text.replace("<NM>Ramipril 5mg capsules</NM>", "<NM>Ramipril 5mg capsules hard</NM>")
    text = text.replace(
        "<VPID>318859000</VPID>", "<VPID>318859000</VPID>\n      <INVALID>1</INVALID>"
    )
    vmp_file.write_text(text)
    out = load(folder)
    assert "VMP: 0 new, 2 updated, 55 unchanged" in out
    assert Vmp.objects.get(vpid="318902004").name == "Ramipril 5mg capsules hard"
    assert Vmp.objects.get(vpid="318859000").invalid is True


def test_a_zip_of_the_release_loads_as_its_folder_does(tmp_path):
    archive = tmp_path / "nhsbsa_dmd_9.0.0.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in DMD_EXTRACT.glob("*.xml"):
            zf.write(path, f"release/{path.name}")
    load(archive)
    assert Vmp.objects.count() == 57


def test_a_malformed_file_is_named_and_nothing_is_loaded(tmp_path):
    folder = copy(tmp_path)
    amp_file = folder / "f_amp2_9000001.xml"
    amp_file.write_text(amp_file.read_text().replace("</AMPS>", "</AMPZ>"))
    with pytest.raises(CommandError, match=r"Nothing loaded: f_amp2_9000001.xml: line \d+"):
        load(folder)
    # the VTMs and VMPs read before the bad file are not kept either
    assert (Vtm.objects.count(), Vmp.objects.count(), Amp.objects.count()) == (0, 0, 0)


def test_a_product_naming_one_not_in_the_release_is_refused(tmp_path):
    folder = copy(tmp_path)
    amp_file = folder / "f_amp2_9000001.xml"
    amp_file.write_text(
        amp_file.read_text().replace("<VPID>319284000</VPID>", "<VPID>123456789</VPID>", 1)
    )
    with pytest.raises(CommandError, match=r"f_amp2_9000001\.xml: AMP \d+ names VMP 123456789"):
        load(folder)
    assert Vmp.objects.count() == 0


def test_a_code_that_is_not_a_dm_d_code_is_refused(tmp_path):
    folder = copy(tmp_path)
    vtm_file = folder / "f_vtm2_9000001.xml"
    vtm_file.write_text(vtm_file.read_text().replace("108537001", "amlo"))
    with pytest.raises(CommandError, match=r"f_vtm2_9000001\.xml: a VTM has 'amlo' as VTMID"):
        load(folder)


def test_a_release_without_one_of_its_files_is_refused(tmp_path):
    folder = copy(tmp_path)
    (folder / "f_amp2_9000001.xml").unlink()
    with pytest.raises(CommandError, match=r"no f_amp2_\*\.xml in the release"):
        load(folder)
    with pytest.raises(CommandError, match=r"not a folder or a \.zip"):
        load(folder / "README.md")
