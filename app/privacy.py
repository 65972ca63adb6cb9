"""42 CFR Part 2 labels and the redisclosure notice that travel with every plan."""

from __future__ import annotations

from typing import Any

# HL7 v3 codes, in the shape of FHIR Coding, for JSON and for FHIR meta.security.
SECURITY_LABELS: tuple[dict[str, str], ...] = (
    {
        "system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
        "code": "R",
        "display": "restricted",
    },
    {
        "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
        "code": "SUD",
        "display": "substance use disorder information sensitivity",
    },
    {
        "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
        "code": "42CFRPart2",
        "display": "42 CFR Part2",
    },
    {
        "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
        "code": "NORDSCLCD",
        "display": "no redisclosure without consent directive",
    },
)

# 42 CFR 2.32(a) lets a disclosure carry either the long Statement 1 or this short Statement 2
# (wording of the 2024 final rule, 89 FR 12472; the 2018 text read "unauthorized disclosure").
REDISCLOSURE_NOTICE = "42 CFR part 2 prohibits unauthorized use or disclosure of these records."


def privacy_block() -> dict[str, Any]:
    return {"security_labels": list(SECURITY_LABELS), "redisclosure_notice": REDISCLOSURE_NOTICE}
