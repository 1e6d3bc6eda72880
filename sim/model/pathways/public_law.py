"""Care and supervision proceedings under the Public Law Outline (PD12A).

Pre-proceedings with the local authority (some cases diverted) → application issued → an urgent or interim
hearing for a share of applications → children's guardian allocated (held until the order) → Case Management
Hearing (a share of cases concluded there) → assessments (local authority, or an expert), and for a share a
further assessment (a family member found late) → further case management hearings (a drawn number) →
Issues Resolution Hearing → when not resolved, further hearings (a drawn number) and the final hearing →
order. The stages, their keys, the branch shares and the counts are listed in :data:`sim.vocabulary.PUBLIC_LAW`;
:func:`sim.model.agencies.court_capacity.expected_hearings` gives the hearings per case these parameters imply.
"""

from __future__ import annotations

from typing import Final

from sim.model.entities import Case
from sim.model.pathways.context import PathwayContext, Steps, draw_count
from sim.vocabulary import PUBLIC_LAW, STAGE

CMH_ENTRY: Final = PUBLIC_LAW.entry_code("case_management_hearing")
ASSESSMENT_ENTRY: Final = PUBLIC_LAW.entry_code("assessment")
IRH_ENTRY: Final = PUBLIC_LAW.entry_code("issues_resolution_hearing")
GUARDIANS: Final = "cafcass_long_term"


def public_law(ctx: PathwayContext, case: Case) -> Steps:
    draw = ctx.decisions(case)
    entry = case.entry_stage
    if entry == 0:
        if draw.chance("public_law.pre_proceedings.share", ctx.scenario.public_law.pre_proceedings.share):
            yield from ctx.team_work(
                case, STAGE["pre_proceedings"], "local_authority", "public_law.pre_proceedings.duration_days"
            )
            if draw.chance(
                "public_law.pre_proceedings.diverted_share", ctx.scenario.public_law.pre_proceedings.diverted_share
            ):
                ctx.divert(case)
                return
        ctx.issue(case)
        if draw.chance("public_law.urgent_hearing.share", ctx.scenario.public_law.urgent_hearing.share):
            yield from ctx.hearing(case, STAGE["urgent_hearing"], "public_law.urgent_hearing.hearing")
    yield from ctx.allocation(case, STAGE["guardian_allocation"], GUARDIANS)
    if entry <= CMH_ENTRY:
        yield from ctx.hearing(case, STAGE["case_management_hearing"], "public_law.case_management_hearing")
        if draw.chance("public_law.resolved_at_cmh_share", ctx.scenario.public_law.resolved_at_cmh_share):
            ctx.team(GUARDIANS, case.region).release(len(case.children))
            yield from ctx.dispose(case, "public_law")
            return
    if entry <= ASSESSMENT_ENTRY:
        if draw.chance("public_law.assessments.expert_share", ctx.scenario.public_law.assessments.expert_share):
            yield from ctx.team_work(
                case, STAGE["expert_assessment"], "experts", "public_law.assessments.expert_duration_days"
            )
        else:
            yield from ctx.team_work(
                case, STAGE["assessment"], "local_authority", "public_law.assessments.duration_days"
            )
        further = ctx.scenario.public_law.further_assessment
        if further is not None and draw.chance("public_law.further_assessment.share", further.share):
            yield from ctx.team_work(
                case, STAGE["further_assessment"], "local_authority", "public_law.further_assessment.duration_days"
            )
        for _ in range(
            draw_count(
                draw,
                "public_law.further_case_management.count_shares",
                ctx.scenario.public_law.further_case_management.count_shares,
            )
        ):
            yield from ctx.hearing(
                case, STAGE["further_case_management_hearing"], "public_law.further_case_management.hearing"
            )
    resolved = False
    if entry <= IRH_ENTRY:
        yield from ctx.hearing(case, STAGE["issues_resolution_hearing"], "public_law.issues_resolution_hearing")
        resolved = draw.chance("public_law.resolved_at_irh_share", ctx.scenario.public_law.resolved_at_irh_share)
        if not resolved:
            for _ in range(
                draw_count(
                    draw,
                    "public_law.contested_further_hearings.count_shares",
                    ctx.scenario.public_law.contested_further_hearings.count_shares,
                )
            ):
                yield from ctx.hearing(
                    case, STAGE["contested_further_hearing"], "public_law.contested_further_hearings.hearing"
                )
    if not resolved:
        yield from ctx.hearing(case, STAGE["final_hearing"], "public_law.final_hearing")
    ctx.team(GUARDIANS, case.region).release(len(case.children))
    yield from ctx.dispose(case, "public_law")
