from django import template

from accounts import sso

register = template.Library()


@register.inclusion_tag("accounts/sso_button.html")
def sso_button(next_url=""):
    """The "Sign in with <label>" button when single sign-on is configured, else nothing."""
    return {"enabled": sso.enabled(), "label": sso.button_label(), "next": next_url}
