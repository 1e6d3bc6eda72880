"""Care and supervision proceedings under the Public Law Outline (PD12A).

Pre-proceedings with the local authority (some cases diverted) → application issued → children's guardian
allocated (held until the order) → Case Management Hearing → assessments (local authority, or an expert)
→ Issues Resolution Hearing → final hearing when not resolved → order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.model.entities import Case
from sim.model.pathways.steps import Steps, allocation, hearing, team_work
from sim.vocabulary import CAFCASS, ENTRY_STAGES, EXPERTS, LOCAL_AUTHORITY, STAGE

if TYPE_CHECKING:
    from sim.model.replication import Replication

_ENTRY = {name: i + 1 for i, name in enumerate(ENTRY_STAGES["public_law"])}
ASSESSMENT_ENTRY, IRH_ENTRY, FINAL_ENTRY = (
    _ENTRY["assessment"],
    _ENTRY["issues_resolution_hearing"],
    _ENTRY["final_hearing"],
)
CMH_ENTRY = _ENTRY["case_management_hearing"]


def public_law(rep: Replication, case: Case) -> Steps:
    params = rep.scenario.public_law
    draw = rep.uniforms["public_law"]
    entry = case.entry_stage
    region = case.region
    if entry == 0:
        if draw() < params.pre_proceedings.share:
            yield from team_work(
                rep,
                case,
                STAGE["pre_proceedings"],
                LOCAL_AUTHORITY,
                rep.teams.team("local_authority", region),
                "public_law.pre_proceedings.duration_days",
            )
            if draw() < rep.scenario.public_law.pre_proceedings.diverted_share:
                rep.divert(case)
                return
        rep.issue(case)
    guardians = rep.teams.team("cafcass_long_term", region)
    yield from allocation(rep, case, STAGE["guardian_allocation"], CAFCASS, guardians)
    if entry <= CMH_ENTRY:
        yield from hearing(rep, case, STAGE["case_management_hearing"], "public_law.case_management_hearing")
    if entry <= ASSESSMENT_ENTRY:
        if draw() < rep.scenario.public_law.assessments.expert_share:
            yield from team_work(
                rep,
                case,
                STAGE["expert_assessment"],
                EXPERTS,
                rep.teams.team("experts", region),
                "public_law.assessments.expert_duration_days",
            )
        else:
            yield from team_work(
                rep,
                case,
                STAGE["assessment"],
                LOCAL_AUTHORITY,
                rep.teams.team("local_authority", region),
                "public_law.assessments.duration_days",
            )
    resolved = False
    if entry <= IRH_ENTRY:
        yield from hearing(rep, case, STAGE["issues_resolution_hearing"], "public_law.issues_resolution_hearing")
        resolved = draw() < rep.scenario.public_law.resolved_at_irh_share
    if not resolved:
        yield from hearing(rep, case, STAGE["final_hearing"], "public_law.final_hearing")
    guardians.release()
    yield from rep.dispose(case, "public_law")
