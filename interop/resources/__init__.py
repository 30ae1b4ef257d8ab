"""One module per FHIR resource type; importing this package registers them all
(interop/apps.py). Each module calls ``registry.register(ResourceType(...))``."""

from . import careteam, episodeofcare, flag, patient, servicerequest, task  # noqa: F401
