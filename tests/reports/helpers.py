"""Helpers shared by the reports page tests (test_admissions.py, test_admissions_manual.py)."""

import datetime
import html
import re

from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core import nhs_number
from reports.admissions import admissions_check
from reports.models import AdmissionImport


def today() -> datetime.date:
    """The London day when the test runs (not when the module was imported)."""
    return timezone.localdate()


PAGE = "/reports/admissions/"
CHECK = "/reports/admissions/check/"
HX = {"HX-Request": "true"}


def text(response) -> str:
    """The page's text: tags removed, spaces collapsed."""
    words = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(words)).replace(" .", ".").replace(" :", ":")


def message_texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def csv_bytes(*rows: str, header: str = "nhs_number,admitted_on,kind") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def upload(data: bytes, name: str = "feed.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def spaced(number: str) -> str:
    return nhs_number.display(number)


def check(network, user, data: bytes, filename="feed.csv") -> AdmissionImport:
    return admissions_check(network=network, filename=filename, data=data, by=user)
