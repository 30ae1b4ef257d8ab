from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "interop"
    verbose_name = "Interoperability (FHIR R4 UK Core)"

    def ready(self) -> None:
        # Each module under interop/resources registers its resource type (interop/registry.py).
        from . import resources  # noqa: F401
