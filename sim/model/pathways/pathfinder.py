"""The Pathfinder private law model (piloted from February 2022).

Day-1 checks and gatekeeping by a legal adviser → Child Impact Report by Cafcass or the local authority →
order on the papers or by consent, or a decision-making hearing → review. No FHDRA, no DRA, no separate
safeguarding letter: more work up front for Cafcass and the local authority, less court time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.model.entities import Case
from sim.model.pathways.steps import Steps, active_work, hearing, team_work
from sim.vocabulary import CAFCASS, COURT, LOCAL_AUTHORITY, STAGE

if TYPE_CHECKING:
    from sim.model.replication import Replication


def pathfinder(rep: Replication, case: Case) -> Steps:
    draw = rep.uniforms["pathfinder"]
    region = case.region
    rep.issue(case)
    yield from active_work(rep, case, STAGE["gatekeeping"], COURT, "pathfinder.gatekeeping_days")
    if draw() < rep.scenario.pathfinder.child_impact_report.by_local_authority_share:
        agency, team = LOCAL_AUTHORITY, rep.teams.team("local_authority", region)
    else:
        agency, team = CAFCASS, rep.teams.team("cafcass_long_term", region)
    yield from team_work(
        rep, case, STAGE["child_impact_report"], agency, team, "pathfinder.child_impact_report.duration_days"
    )
    if draw() >= rep.scenario.pathfinder.resolved_on_papers_share:
        yield from hearing(rep, case, STAGE["decision_hearing"], "pathfinder.decision_hearing")
    now = rep.env.now
    rep.recorder.stage(case.case_id, STAGE["review"], COURT, now, now, now + rep.durations["pathfinder.review_days"]())
    yield from rep.dispose(case, "pathfinder")
