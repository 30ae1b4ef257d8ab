"""The NHS design system's classes on Django's own widgets, so that a field rendered by
templates/includes/field.html looks like the design system's input, select, textarea,
checkbox or radio without every form naming the classes itself."""

from django import template
from django.forms.boundfield import BoundField, BoundWidget
from django.utils.safestring import SafeString

register = template.Library()

_CONTROL_CLASS = {
    "textarea": "nhsuk-textarea",
    "select": "nhsuk-select",
    "nullbooleanselect": "nhsuk-select",
    "selectmultiple": "nhsuk-select",
    "clearablefile": "nhsuk-file-upload__input",
    "file": "nhsuk-file-upload__input",
    "checkbox": "nhsuk-checkboxes__input",
}
_NO_CLASS = {"hidden", "multiplehidden", "radioselect", "checkboxselectmultiple"}


def _with(existing: str, added: str) -> str:
    return f"{existing} {added}".strip() if added not in existing.split() else existing


@register.simple_tag
def nhsuk_control(field: BoundField) -> SafeString:
    """The field's widget with the design system's class for its kind (and error state)."""
    kind = field.widget_type
    if kind in _NO_CLASS:
        return field.as_widget()
    base = _CONTROL_CLASS.get(kind, "nhsuk-input")
    added = base
    if field.errors and base in ("nhsuk-input", "nhsuk-select", "nhsuk-textarea"):
        added = f"{base} {base}--error"
    existing = field.field.widget.attrs.get("class", "")
    for name in added.split():
        existing = _with(existing, name)
    return field.as_widget(attrs={"class": existing})


@register.filter
def nhsuk_option(option: BoundWidget, kind: str) -> SafeString:
    """One radio or checkbox of a choice field as the design system's input.

    kind: radios or checkboxes."""
    attrs = option.data["attrs"]
    attrs["class"] = _with(attrs.get("class", ""), f"nhsuk-{kind}__input")
    return option.tag(wrap_label=False)


@register.filter
def is_choice_list(field: BoundField) -> bool:
    """A field shown as a list of radios or checkboxes (a fieldset with a legend)."""
    return field.widget_type in ("radioselect", "checkboxselectmultiple")
