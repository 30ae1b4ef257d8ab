"""What each kind of notification is called when it is named without its details."""

KINDS = {
    "action_assigned": "A task was assigned to you",
    "action_queued": "A new task is in your role's queue",
    "action_overdue": "A task of yours is overdue",
    "action_escalated": "An overdue task was escalated to you",
    "follow_up_due": "A follow-up visit is due",
    "referral_untriaged": "A referral is waiting for triage",
    "referral_escalated": "A referral waiting for triage was escalated to you",
    "referral_accepted": "Your referral was accepted",
    "referral_declined": "Your referral was declined",
    "referral_completed": "Your referral was completed",
    "meeting_items": "People you work with are on a meeting agenda",
    "meeting_pack": "The meeting pack is ready",
    "meeting_minutes": "Meeting minutes are ready",
    "break_glass": "A member broke the glass on a person's record",
    "break_glass_author": "A restricted entry you wrote was opened by breaking the glass",
    "unusual_access": "Unusual access to people's records in your network",
    "monthly_report": "Your monthly report on your networks is ready",
    "webhook_abandoned": "A webhook delivery was given up after its retries",
}


def label(kind: str) -> str:
    return KINDS.get(kind, "You have a new notification")
