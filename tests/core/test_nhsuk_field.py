"""templates/includes/field.html renders any Django field as the NHS design system's form
group: the classes the design system's CSS styles, and the error state where it belongs."""

import re

from django import forms
from django.template.loader import render_to_string


class Sample(forms.Form):
    name = forms.CharField(label="Name", help_text="As on their GP record.")
    note = forms.CharField(label="Note", widget=forms.Textarea, required=False)
    kind = forms.ChoiceField(label="Kind", choices=[("home", "Home visit"), ("phone", "Phone")])
    where = forms.ChoiceField(
        label="Where", choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect
    )
    needs = forms.MultipleChoiceField(
        label="Needs",
        choices=[("x", "X"), ("y", "Y")],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    consent = forms.BooleanField(label="They agree", required=False)


def field(form, name):
    return render_to_string("includes/field.html", {"field": form[name]})


def test_a_text_field_is_a_form_group_with_label_hint_and_input():
    html = field(Sample(), "name")
    assert 'class="nhsuk-form-group"' in html
    assert '<label class="nhsuk-label" for="id_name">Name</label>' in html
    assert '<div class="nhsuk-hint" id="id_name_helptext">As on their GP record.</div>' in html
    assert re.search(r'<input [^>]*class="nhsuk-input"[^>]*id="id_name"', html)


def test_an_optional_field_says_so_and_each_control_has_its_class():
    form = Sample()
    assert "Note (optional)" in field(form, "note")
    assert 'class="nhsuk-textarea"' in field(form, "note")
    assert 'class="nhsuk-select"' in field(form, "kind")


def test_errors_mark_the_group_and_the_control_and_name_the_error():
    form = Sample(data={"name": "", "kind": "nonsense", "where": "a"})
    assert not form.is_valid()
    html = field(form, "name")
    assert "nhsuk-form-group--error" in html
    assert re.search(r'class="nhsuk-input nhsuk-input--error"[^>]*aria-invalid="true"', html)
    error = re.search(
        r'<div class="nhsuk-error-message" id="id_name_error">(.*?)</div>', html, re.S
    )
    assert error and "This field is required." in error.group(1)
    assert "nhsuk-select--error" in field(form, "kind")
    assert "nhsuk-error-message" not in field(form, "where")  # a valid field shows none


def test_radios_and_checkboxes_are_a_fieldset_with_a_legend():
    html = field(Sample(initial={"where": "b"}), "where")
    assert '<fieldset class="nhsuk-fieldset"' in html
    assert ">Where</legend>" in html
    chosen = re.search(r'<input [^>]*id="id_where_1"[^>]*>', html)
    assert (
        chosen and "checked" in chosen.group(0) and 'class="nhsuk-radios__input"' in chosen.group(0)
    )
    assert '<label class="nhsuk-label nhsuk-radios__label" for="id_where_1">B</label>' in html
    boxes = field(Sample(), "needs")
    assert 'class="nhsuk-checkboxes"' in boxes and "Needs (optional)</legend>" in boxes
    assert boxes.count('class="nhsuk-checkboxes__input"') == 2


def test_a_single_checkbox_has_its_label_beside_it():
    html = field(Sample(), "consent")
    assert re.search(
        r'<input [^>]*type="checkbox"[^>]*class="nhsuk-checkboxes__input"', html
    ) or re.search(r'<input [^>]*class="nhsuk-checkboxes__input"[^>]*type="checkbox"', html)
    assert (
        '<label class="nhsuk-label nhsuk-checkboxes__label" for="id_consent">They agree</label>'
        in html
    )


def test_a_filter_leaves_out_optional():
    html = render_to_string("reports/filter_field.html", {"field": Sample()["note"]})
    assert "(optional)" not in html and ">Note</label>" in html
