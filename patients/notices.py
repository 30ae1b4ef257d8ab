"""Confirmations (and warnings) meant for one section of the person's page.

A write that returns to a section of the person's page (``/patients/<id>/#visits``) says how
it went with :func:`to_section`: the message is tagged with the section, and the page renders
it at the top of that section, where the browser takes the user, with focus moved to it
(static/js/person.js), instead of at the top of a page scrolled elsewhere. Apps above patients
(medicines, referrals...) call it too: an import downward."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse

TAG_PREFIX = "person-section-"


def section_url(patient_pk: int, section: str) -> str:
    return reverse("patients:detail", args=[patient_pk]) + f"#{section}"


def section_tag(section: str) -> str:
    """The `extra_tags` that show a message in one section of the person's page, for a view
    that redirects there itself."""
    return f"{TAG_PREFIX}{section}"


def to_section(
    request, patient_pk: int, section: str, text: str, *, level: int = messages.SUCCESS
) -> HttpResponseRedirect:
    """Redirect to one section of the person's page with `text` shown inside it."""
    messages.add_message(request, level, text, extra_tags=section_tag(section))
    return redirect(section_url(patient_pk, section))


class Notice:
    """One message as a section shows it: its section, level ("success", "warning"...), text."""

    def __init__(self, section: str, level: str, text: str):
        self.section = section
        self.level = level
        self.text = text


def split_messages(request) -> tuple[list, list[Notice]]:
    """The request's pending messages, read once: those for the top of the page (as Django
    gives them) and those for a section of the person's page."""
    general: list = []
    notices: list[Notice] = []
    for message in messages.get_messages(request):
        tags = message.extra_tags.split() if message.extra_tags else []
        section = next((t[len(TAG_PREFIX) :] for t in tags if t.startswith(TAG_PREFIX)), None)
        if section is None:
            general.append(message)
        else:
            notices.append(Notice(section, message.level_tag, message.message))
    return general, notices
