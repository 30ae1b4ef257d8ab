"""One module per FHIR resource type; importing this package registers them all
(interop/apps.py). Each module calls ``registry.register(ResourceType(...))``."""

from . import care_plan, encounter, medication_statement, observation, patient  # noqa: F401
