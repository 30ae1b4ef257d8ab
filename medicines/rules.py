import rules

from networks.selectors import role_in
from patients.rules import reads_clinical

from .services import ALLOCATORS

# Visits, observations and medicines are clinical: roles that see clinical details may
# record them (the PIC and managers see none of it).
rules.add_perm("medicines.add_visit", reads_clinical)  # obj: the patient
rules.add_perm("medicines.view_medicines", reads_clinical)
rules.add_perm("medicines.change_medicines", reads_clinical)
# A NEWS2 escalation's warning is acknowledged by a clinical role (obj: the patient).
rules.add_perm("medicines.acknowledge_news2", reads_clinical)

# Care-home residents are allocated to named pharmacists and technicians by the medicines
# lead (a pharmacist) or the chair (obj: the network; medicines.services.resident_allocate).
rules.add_perm(
    "medicines.allocate_residents",
    rules.predicate(lambda user, obj: role_in(user, getattr(obj, "id", None)) in ALLOCATORS),
)
