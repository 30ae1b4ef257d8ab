import rules

from networks.selectors import covering_for, role_in
from patients.rules import does_casework, sees_clinical

rules.add_perm("actions.add_action", does_casework)  # obj: the patient


@rules.predicate
def is_assignee_or_role_holder(user, action) -> bool:

    if action is None:
        return False
    if action.assignee_id == user.pk:
        return True
    if action.assignee_role:
        return role_in(user, action.network_id) == action.assignee_role
    return is_covering(user, action)


def is_covering(user, action) -> bool:
    """The user deputises today for the task's assignee, who is away."""
    from django.utils import timezone

    covered = covering_for(user, timezone.localdate()).get(action.network_id, [])
    return action.assignee_id in covered


# The whole network's tasks are for roles that see clinical detail; a PIC only their own.
rules.add_perm("actions.view_action", is_assignee_or_role_holder | sees_clinical)
rules.add_perm("actions.complete_action", is_assignee_or_role_holder | sees_clinical)
# Edit or reassign: casework roles of the task's network; the PIC only the tasks it may see.
rules.add_perm(
    "actions.change_action", does_casework & (is_assignee_or_role_holder | sees_clinical)
)


@rules.predicate
def may_claim(user, action) -> bool:

    return (
        action is not None
        and bool(action.assignee_role)
        and role_in(user, action.network_id) == action.assignee_role
    )


rules.add_perm("actions.claim_action", may_claim)
