"""A real OpenID Connect provider for the single sign-on tests: django-oauth-toolkit as a
Django project of its own, run in a subprocess against its own database (`fixture.py`)."""
