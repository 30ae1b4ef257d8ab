"""One module per FHIR resource type; importing this package registers them all
(interop/apps.py). Each module calls ``registry.register(ResourceType(...))``."""

from . import (  # noqa: F401
    care_plan,
    careteam,
    encounter,
    episodeofcare,
    flag,
    medication_statement,
    observation,
    patient,
    servicerequest,
    task,
)
