import rules

from patients.rules import does_casework

rules.add_perm("actions.add_action", does_casework)  # obj: the patient


@rules.predicate
def is_assignee_or_role_holder(user, action) -> bool:
    from networks.selectors import role_in

    if action is None:
        return False
    if action.assignee_id == user.pk:
        return True
    return bool(action.assignee_role) and role_in(user, action.network_id) == action.assignee_role


rules.add_perm("actions.view_action", is_assignee_or_role_holder | does_casework)
rules.add_perm("actions.complete_action", is_assignee_or_role_holder | does_casework)
