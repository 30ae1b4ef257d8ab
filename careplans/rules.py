"""Who may change a care plan (django-rules; the object is the person). Clinical and casework
roles of the person's network agree and edit it; the voluntary-sector PIC reads its social
parts, and managers, the IG lead and partner systems neither read nor change it."""

import rules

from patients.rules import reads_clinical

rules.add_perm("careplans.change_care_plan", reads_clinical)
