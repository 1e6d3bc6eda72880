"""The Pathfinder private law model (piloted from February 2022).

Day-1 checks and gatekeeping by a legal adviser → Child Impact Report by Cafcass or the local authority →
order on the papers or by consent, or a decision-making hearing → review. No FHDRA, no DRA, no separate
safeguarding letter: more work up front for Cafcass and the local authority, less court time. The stages,
their keys and the branch shares are listed in :data:`sim.vocabulary.PATHFINDER`.
"""

from __future__ import annotations

from sim.model.entities import Case
from sim.model.pathways.context import PathwayContext, Steps
from sim.vocabulary import COURT, STAGE


def pathfinder(ctx: PathwayContext, case: Case) -> Steps:
    draw = ctx.decisions("pathfinder")
    ctx.issue(case)
    yield from ctx.active_work(case, STAGE["gatekeeping"], COURT, "pathfinder.gatekeeping_days")
    if draw.chance(ctx.scenario.pathfinder.child_impact_report.by_local_authority_share):
        team = "local_authority"
    else:
        team = "cafcass_long_term"
    yield from ctx.team_work(case, STAGE["child_impact_report"], team, "pathfinder.child_impact_report.duration_days")
    if not draw.chance(ctx.scenario.pathfinder.resolved_on_papers_share):
        yield from ctx.hearing(case, STAGE["decision_hearing"], "pathfinder.decision_hearing")
    ctx.follow_up(case, STAGE["review"], COURT, "pathfinder.review_days")
    yield from ctx.dispose(case, "pathfinder")
