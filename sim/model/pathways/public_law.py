"""Care and supervision proceedings under the Public Law Outline (PD12A).

Pre-proceedings with the local authority (some cases diverted) → application issued → children's guardian
allocated (held until the order) → Case Management Hearing → assessments (local authority, or an expert)
→ Issues Resolution Hearing → final hearing when not resolved → order. The stages, their keys and the
branch shares are listed in :data:`sim.vocabulary.PUBLIC_LAW`.
"""

from __future__ import annotations

from sim.model.entities import Case
from sim.model.pathways.context import PathwayContext, Steps
from sim.vocabulary import PUBLIC_LAW, STAGE

CMH_ENTRY, ASSESSMENT_ENTRY, IRH_ENTRY = (
    PUBLIC_LAW.entry_code(s) for s in ("case_management_hearing", "assessment", "issues_resolution_hearing")
)
GUARDIANS = "cafcass_long_term"


def public_law(ctx: PathwayContext, case: Case) -> Steps:
    draw = ctx.decisions("public_law")
    entry = case.entry_stage
    if entry == 0:
        if draw.chance(ctx.scenario.public_law.pre_proceedings.share):
            yield from ctx.team_work(
                case, STAGE["pre_proceedings"], "local_authority", "public_law.pre_proceedings.duration_days"
            )
            if draw.chance(ctx.scenario.public_law.pre_proceedings.diverted_share):
                ctx.divert(case)
                return
        ctx.issue(case)
    yield from ctx.allocation(case, STAGE["guardian_allocation"], GUARDIANS)
    if entry <= CMH_ENTRY:
        yield from ctx.hearing(case, STAGE["case_management_hearing"], "public_law.case_management_hearing")
    if entry <= ASSESSMENT_ENTRY:
        if draw.chance(ctx.scenario.public_law.assessments.expert_share):
            yield from ctx.team_work(
                case, STAGE["expert_assessment"], "experts", "public_law.assessments.expert_duration_days"
            )
        else:
            yield from ctx.team_work(
                case, STAGE["assessment"], "local_authority", "public_law.assessments.duration_days"
            )
    resolved = False
    if entry <= IRH_ENTRY:
        yield from ctx.hearing(case, STAGE["issues_resolution_hearing"], "public_law.issues_resolution_hearing")
        resolved = draw.chance(ctx.scenario.public_law.resolved_at_irh_share)
    if not resolved:
        yield from ctx.hearing(case, STAGE["final_hearing"], "public_law.final_hearing")
    ctx.team(GUARDIANS, case.region).release()
    yield from ctx.dispose(case, "public_law")
