"""The care plan's edit form: a version and review date, then rows of needs and of
interventions (Django formsets: two blank rows of each, and an "Add more rows" button that
works without JavaScript). The fields only read the values; careplans.services decides what
is valid, and its messages name the row."""

from typing import Any

from django import forms
from django.http import QueryDict

from core.date_input import NhsDateField
from networks.roles import CASEWORK_ROLES

from .models import Domain

BLANK_ROWS = 2


class CarePlanForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    review_on = NhsDateField(
        label="Review the plan on",
        error_label="Review date",
        required=False,
    )


class NeedForm(forms.Form):
    domain = forms.ChoiceField(
        label="Domain", required=False, choices=[("", "Choose a domain"), *Domain.choices]
    )
    description = forms.CharField(label="Need", required=False, max_length=500)


class InterventionForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    description = forms.CharField(label="Intervention", required=False, max_length=200)
    owner = forms.ChoiceField(label="Owner", required=False)
    due_on = NhsDateField(
        label="Due",
        error_label="Due date",
        required=False,
    )

    def __init__(self, *args: Any, owners: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = owners
        row = (self.prefix or "").rpartition("-")[2]
        if row.isdigit():  # the date input's legend says which intervention it is due for
            self.fields["due_on"].label = f"Intervention {int(row) + 1}: due"


NeedFormSet = forms.formset_factory(NeedForm, extra=BLANK_ROWS, can_delete=True)
InterventionFormSet = forms.formset_factory(InterventionForm, extra=BLANK_ROWS, can_delete=True)


def owner_choices(members: list, network: Any) -> list:
    """Who an intervention is for: a casework role's queue (any, as the tasks API takes), or a
    named member doing casework."""
    members = [m for m in members if m.role in CASEWORK_ROLES]
    roles = sorted(CASEWORK_ROLES, key=network.role_label)
    people = [
        (
            f"member:{m.user_id}",
            f"{m.user.get_full_name() or m.user.get_username()}, {network.role_label(m.role)}",
        )
        for m in members
    ]
    return [
        ("", "No owner (no task)"),
        ("A role's queue", [(f"role:{r}", f"{network.role_label(r)} (any)") for r in roles]),
        ("A named member", people),
    ]


def owner_value(intervention: Any) -> str:
    if intervention.owner_id:
        return f"member:{intervention.owner_id}"
    return f"role:{intervention.owner_role}" if intervention.owner_role else ""


def plan_forms(plan: Any, members: list, network: Any, data: QueryDict | None = None) -> dict:
    """The bound (or initial) forms for `plan`; two more blank rows of each when the
    "Add more rows" button was pressed."""
    owners = owner_choices(members, network)
    if data is not None and data.get("add_rows"):
        data = data.copy()
        for prefix in ("needs", "interventions"):
            key = f"{prefix}-TOTAL_FORMS"
            data[key] = str(int(data.get(key) or 0) + BLANK_ROWS)
    initial_needs = [{"domain": n.domain, "description": n.description} for n in plan.shown_needs]
    initial_interventions = [
        {
            "id": i.pk,
            "description": i.description,
            "owner": owner_value(i),
            "due_on": i.due_on,
        }
        for i in plan.shown_interventions
    ]
    return {
        "plan_form": CarePlanForm(
            data, initial={"version": plan.version, "review_on": plan.review_on}, prefix="plan"
        ),
        "needs_formset": NeedFormSet(data, initial=initial_needs, prefix="needs"),
        "interventions_formset": InterventionFormSet(
            data,
            initial=initial_interventions,
            prefix="interventions",
            form_kwargs={"owners": owners},
        ),
    }


def plan_data(forms_: dict, members: list) -> dict:
    """What the (valid) forms say, for careplans.services.care_plan_save: rows left blank or
    ticked to remove are left out."""
    users = {m.user_id: m.user for m in members}
    needs = [
        {"domain": f.cleaned_data["domain"], "description": f.cleaned_data["description"]}
        for f in forms_["needs_formset"].forms
        if f.cleaned_data
        and not f.cleaned_data.get("DELETE")
        and (f.cleaned_data.get("description") or "").strip()
    ]
    interventions = []
    for f in forms_["interventions_formset"].forms:
        row = f.cleaned_data
        if not row or row.get("DELETE") or not (row.get("description") or "").strip():
            continue
        kind, _, value = (row.get("owner") or "").partition(":")
        interventions.append(
            {
                "id": row.get("id"),
                "description": row["description"],
                "owner": users.get(int(value)) if kind == "member" else None,
                "owner_role": value if kind == "role" else "",
                "due_on": row.get("due_on"),
            }
        )
    return {
        "review_on": forms_["plan_form"].cleaned_data.get("review_on"),
        "needs": needs,
        "interventions": interventions,
    }


def forms_valid(forms_: dict) -> bool:
    return all(
        [
            forms_["plan_form"].is_valid(),
            forms_["needs_formset"].is_valid(),
            forms_["interventions_formset"].is_valid(),
        ]
    )
