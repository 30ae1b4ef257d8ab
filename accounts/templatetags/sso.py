from django import template

from accounts import sso

register = template.Library()


@register.inclusion_tag("accounts/sso_button.html")
def sso_button(next_url=""):
    """"Sign in with <label>" when single sign-on is configured; nothing otherwise."""
    return {"enabled": sso.enabled(), "label": sso.button_label(), "next": next_url}
