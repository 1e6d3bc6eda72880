"""Child arrangements proceedings under the Child Arrangements Programme (PD12B).

Cafcass safeguarding checks (the short-term team holds the case to the first hearing) → FHDRA → consent
order, or directions: fact-finding hearing where domestic abuse is alleged (PD12J), section 7 report by
Cafcass or the local authority → Dispute Resolution Appointment → final hearing → order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.model.entities import Case
from sim.model.pathways.steps import Steps, hearing, team_work
from sim.vocabulary import CAFCASS, ENTRY_STAGES, LOCAL_AUTHORITY, STAGE

if TYPE_CHECKING:
    from sim.model.replication import Replication

_ENTRY = {name: i + 1 for i, name in enumerate(ENTRY_STAGES["private_law"])}


def private_law(rep: Replication, case: Case) -> Steps:
    draw = rep.uniforms["private_law"]
    entry = case.entry_stage
    region = case.region
    if entry == 0:
        rep.issue(case)
    resolved = False
    if entry <= _ENTRY["first_hearing"]:
        short_term = rep.teams.team("cafcass_short_term", region)
        checked_here = entry <= _ENTRY["safeguarding_checks"]
        if checked_here:
            yield from team_work(
                rep,
                case,
                STAGE["safeguarding_checks"],
                CAFCASS,
                short_term,
                "private_law.safeguarding_days",
                keep_slot=True,
            )
        yield from hearing(rep, case, STAGE["first_hearing"], "private_law.first_hearing")
        if checked_here:
            short_term.release()
        resolved = draw() < rep.scenario.private_law.resolved_at_first_hearing_share
    if not resolved:
        params = rep.scenario.private_law
        if entry <= _ENTRY["section7_report"]:
            if case.domestic_abuse and draw() < params.fact_finding.share_if_domestic_abuse:
                yield from hearing(rep, case, STAGE["fact_finding_hearing"], "private_law.fact_finding.hearing")
            if draw() < params.section7.share:
                if draw() < params.section7.by_local_authority_share:
                    agency, team = LOCAL_AUTHORITY, rep.teams.team("local_authority", region)
                else:
                    agency, team = CAFCASS, rep.teams.team("cafcass_long_term", region)
                yield from team_work(
                    rep, case, STAGE["section7_report"], agency, team, "private_law.section7.duration_days"
                )
        if entry <= _ENTRY["dispute_resolution_hearing"]:
            yield from hearing(rep, case, STAGE["dispute_resolution_hearing"], "private_law.dispute_resolution_hearing")
            resolved = draw() < rep.scenario.private_law.resolved_at_dra_share
        if not resolved:
            yield from hearing(rep, case, STAGE["final_hearing"], "private_law.final_hearing")
    yield from rep.dispose(case, "private_law")
