import rules

from networks.roles import Role
from networks.selectors import role_in


@rules.predicate
def chairs(user, obj) -> bool:
    """The chair of the meeting's network (obj: a Meeting or an AgendaItem)."""
    meeting = getattr(obj, "meeting", obj)
    return role_in(user, meeting.network_id) == Role.CHAIR


rules.add_perm("huddles.run_meeting", chairs)
