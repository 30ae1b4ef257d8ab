from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    label = "core"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from . import rls
        from .fields import install
        from .middleware import record_login_time

        install()
        connection_created.connect(rls.on_connection_created, dispatch_uid="icn_rls")
        # Sent for every app with models after each migrate (and test flush): the handler acts
        # on the last one only.
        post_migrate.connect(rls.on_post_migrate, dispatch_uid="icn_rls_grant")
        user_logged_in.connect(record_login_time, dispatch_uid="icn_login_at")
