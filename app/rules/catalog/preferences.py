"""The patient's stated preferences applied across what the other rules recommended (PREF).
Run last: they qualify recommendations the other rules made, and add none of their own."""

from __future__ import annotations

from app.rules.define import CONSIDER, Cite, Family, rule
from app.rules.facts import Facts
from app.rules.findings import Findings

#: Withdrawal-management and maintenance medications; buprenorphine is qualified by BUP-01
#: itself. Naloxone (for others to give in an overdose) and symptomatic relief are not.
_WITHDRAWAL_OR_MAINTENANCE = ("lofexidine", "clonidine", "methadone", "naltrexone")


def _pref_01(f: Facts, out: Findings) -> bool:
    declines = f.flat["/social/preferences/declines_medication"]
    if declines is None:
        # Not "accepts": the plan is built on a wish nobody asked about.
        out.missing(
            "/social/preferences/declines_medication",
            "Whether the patient wants medication shapes the plan (a declined one is a "
            "withdrawal-only plan); ask.",
        )
    if not declines:
        return False
    qualified = False
    for code in _WITHDRAWAL_OR_MAINTENANCE:
        group = out.recs.get(code)
        if group is None:
            continue  # not recommended by any rule: nothing to qualify
        first = group[0]
        out.recommend(
            first.phase,
            code,
            first.category,
            first.title,
            CONSIDER,
            "The patient declines medication: offer it with information as a choice; do not "
            "pressure.",
        )
        qualified = True
    return qualified


PREF_01 = rule(
    "PREF-01",
    revision=2,
    family=Family.stabilization,
    title="Declined medication",
    summary="The patient declines medication for withdrawal or maintenance: lofexidine, "
    "clonidine, methadone and naltrexone, where recommended, are at most `consider`, offered "
    "as a choice (buprenorphine: BUP-01).",
    rationale="Trauma-informed care gives the patient voice and choice; a declined medication "
    "stays on offer with information but is not pressed as recommended.",
    reads=("/social/preferences/declines_medication",),
    cites=(Cite("SAMHSA14", "Principles: voice and choice, collaboration"),),
    limitations=(
        "Applies to withdrawal and maintenance medications only; naloxone and symptomatic "
        "relief are unaffected (the schema's question is about withdrawal or maintenance).",
    ),
    apply=_pref_01,
)

RULES = (PREF_01,)
