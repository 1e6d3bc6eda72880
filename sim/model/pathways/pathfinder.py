"""The Pathfinder private law model (piloted from February 2022).

Day-1 checks and gatekeeping by a legal adviser → referral to domestic-abuse support where abuse is alleged →
Child Impact Report by Cafcass or the local authority → second gatekeeping on the report → a fact-finding
hearing for a share of cases where abuse is alleged → order on the papers or by consent, or a decision-making
hearing → review after the order for a share of cases. No FHDRA, no DRA, no separate safeguarding letter:
more work up front for Cafcass and the local authority, less court time. The stages, their keys and the
branch shares are listed in :data:`sim.vocabulary.PATHFINDER`.
"""

from __future__ import annotations

from sim.model.entities import Case
from sim.model.pathways.context import PathwayContext, Steps
from sim.vocabulary import COURT, STAGE


def pathfinder(ctx: PathwayContext, case: Case) -> Steps:
    draw = ctx.decisions(case)
    ctx.issue(case)
    yield from ctx.active_work(case, STAGE["gatekeeping"], COURT, "pathfinder.gatekeeping_days")
    if case.domestic_abuse:
        yield from ctx.active_work(
            case, STAGE["domestic_abuse_referral"], COURT, "pathfinder.domestic_abuse_referral_days"
        )
    if draw.chance(
        "pathfinder.child_impact_report.by_local_authority_share",
        ctx.scenario.pathfinder.child_impact_report.by_local_authority_share,
    ):
        team = "local_authority"
    else:
        team = "cafcass_long_term"
    yield from ctx.team_work(case, STAGE["child_impact_report"], team, "pathfinder.child_impact_report.duration_days")
    yield from ctx.active_work(case, STAGE["second_gatekeeping"], COURT, "pathfinder.second_gatekeeping_days")
    params = ctx.scenario.pathfinder  # as in force at the second gatekeeping, for the route it decides
    if case.domestic_abuse and draw.chance(
        "pathfinder.fact_finding.share_if_domestic_abuse", params.fact_finding.share_if_domestic_abuse
    ):
        yield from ctx.hearing(case, STAGE["fact_finding_hearing"], "pathfinder.fact_finding.hearing")
    if not draw.chance("pathfinder.resolved_on_papers_share", params.resolved_on_papers_share):
        yield from ctx.hearing(case, STAGE["decision_hearing"], "pathfinder.decision_hearing")
    if draw.chance("pathfinder.review_share", ctx.scenario.pathfinder.review_share):
        ctx.follow_up(case, STAGE["review"], COURT, "pathfinder.review_days")
    yield from ctx.dispose(case, "pathfinder")
