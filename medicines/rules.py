import rules

from patients.rules import sees_clinical

# Visits, observations and medicines are clinical: roles that see clinical details may
# record them (the PIC and managers see none of it).
rules.add_perm("medicines.add_visit", sees_clinical)  # obj: the patient
rules.add_perm("medicines.view_medicines", sees_clinical)
rules.add_perm("medicines.change_medicines", sees_clinical)
# A NEWS2 escalation's warning is acknowledged by a clinical role (obj: the patient).
rules.add_perm("medicines.acknowledge_news2", sees_clinical)
