"""The code systems, identifier systems and UK Core profiles ICN's FHIR resources name.

UK Core profiles: https://simplifier.net/hl7fhirukcorer4 (NHSDigital/FHIR-R4-UKCORE-STAGING-MAIN).
"""

UK_CORE = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-"


def profile(name: str) -> str:
    """The canonical URL of a UK Core profile, e.g. ``profile("Patient")``."""
    return f"{UK_CORE}{name}"


NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
ODS_CODE = "https://fhir.nhs.uk/Id/ods-organization-code"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
DMD = "https://dmd.nhs.uk"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
# ICN's own: a referral's service, and the identifiers of ICN's records.
ICN_SERVICE = "urn:icn:service"
ICN_ROLE = "urn:icn:role"
ICN_RED_FLAG = "urn:icn:red-flag"


def icn_identifier(kind: str) -> str:
    """The identifier system of one kind of ICN record (``urn:icn:referral``...), so a
    partner can keep ICN's id beside its own."""
    return f"urn:icn:{kind}"
