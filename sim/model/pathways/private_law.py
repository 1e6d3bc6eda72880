"""Child arrangements proceedings under the Child Arrangements Programme (PD12B).

Cafcass safeguarding checks (the short-term team holds the case to the first hearing) → FHDRA → consent order, or
directions: fact-finding hearing where domestic abuse is alleged (PD12J), section 7 report by Cafcass or the local
authority → Dispute Resolution Appointment → final hearing → order. A share of the cases going on past the FHDRA
have another application disposed of there (FCSQ's first disposal comes then; the case closes at the final order).
While a hearing waits for a listing beyond its notice, the parties may withdraw
(``private_law.withdrawal_per_week_waiting``). With ``private_law.section7.writer_stays_to_dra`` the report's writer
keeps the case until the DRA that considers the report, so a long wait for the DRA holds their caseload. A case kept
by lay justices (``private_law.allocated_to_lay_justices_share``) has its DRA and final hearing in the FHDRA's tier,
on the magistrates' list below its FHDRAs rather than on the district judges' with care cases. The stages,
their keys and the branch shares are listed in :data:`sim.vocabulary.PRIVATE_LAW`."""

from __future__ import annotations

from typing import Final

from sim.model.entities import Case
from sim.model.pathways.context import HearingSteps, PathwayContext, Steps
from sim.vocabulary import LAY_JUSTICES_LIST, PRIVATE_LAW, STAGE

SAFEGUARDING_ENTRY: Final = PRIVATE_LAW.entry_code("safeguarding_checks")
FIRST_HEARING_ENTRY: Final = PRIVATE_LAW.entry_code("first_hearing")
SECTION7_ENTRY: Final = PRIVATE_LAW.entry_code("section7_report")
DRA_ENTRY: Final = PRIVATE_LAW.entry_code("dispute_resolution_hearing")
SHORT_TERM: Final = "cafcass_short_term"
WITHDRAWN: Final = "withdrawn"
"""The outcome of a case whose parties withdrew while a hearing waited for a listing."""


def _heard_or_withdrawn(
    ctx: PathwayContext, case: Case, stage: str, key: str, kept_by: str | None = None, tier_of: str | None = None
) -> HearingSteps:
    """The hearing (in the tier of the hearing ``tier_of``, if given); True when the parties withdrew while it
    waited for a listing (the case is then disposed). A slot ``kept_by`` a team until this hearing (a report's
    writer) is given back once it is heard or withdrawn."""
    withdrawal = ctx.scenario.private_law.withdrawal_per_week_waiting
    withdrawn = yield from ctx.hearing(case, STAGE[stage], key, withdrawal, tier_of)
    if kept_by is not None:
        ctx.team(kept_by, case.region).release(len(case.children))
    if withdrawn:
        yield from ctx.dispose(case, "private_law", WITHDRAWN)
    return withdrawn


def private_law(ctx: PathwayContext, case: Case) -> Steps:
    draw = ctx.decisions(case)
    entry = case.entry_stage
    if entry == 0:
        ctx.issue(case)
    resolved = False
    if entry <= FIRST_HEARING_ENTRY:
        checked_here = entry <= SAFEGUARDING_ENTRY
        if checked_here:  # the short-term adviser keeps the case until the first hearing
            yield from ctx.team_work(
                case, STAGE["safeguarding_checks"], SHORT_TERM, "private_law.safeguarding_days", keep_slot=True
            )
        withdrawal = ctx.scenario.private_law.withdrawal_per_week_waiting
        withdrawn = yield from ctx.hearing(case, STAGE["first_hearing"], "private_law.first_hearing", withdrawal)
        if checked_here:
            ctx.team(SHORT_TERM, case.region).release(len(case.children))
        if withdrawn:
            yield from ctx.dispose(case, "private_law", WITHDRAWN)
            return
        resolved = draw.chance(
            "private_law.resolved_at_first_hearing_share", ctx.scenario.private_law.resolved_at_first_hearing_share
        )
        if not resolved and draw.chance(
            "private_law.first_disposal_at_first_hearing_share",
            ctx.scenario.private_law.first_disposal_at_first_hearing_share,
        ):  # another application (a prohibited steps order, say) disposed of at the FHDRA; the case goes on
            ctx.first_disposal(case)
    if not resolved:
        params = ctx.scenario.private_law  # as directed at the first hearing, for the fact-finding and the report
        writer = None  # the team whose report writer keeps the case until the DRA, if any
        lay = draw.chance("private_law.allocated_to_lay_justices_share", params.allocated_to_lay_justices_share)
        tier_of = LAY_JUSTICES_LIST if lay else None  # kept by lay justices: the FHDRA's list hears the rest
        if entry <= SECTION7_ENTRY:
            if case.domestic_abuse and draw.chance(
                "private_law.fact_finding.share_if_domestic_abuse", params.fact_finding.share_if_domestic_abuse
            ):
                key = "private_law.fact_finding.hearing"
                if (yield from _heard_or_withdrawn(ctx, case, "fact_finding_hearing", key)):
                    return
            if draw.chance("private_law.section7.share", params.section7.share):
                team = (
                    "local_authority"
                    if draw.chance(
                        "private_law.section7.by_local_authority_share", params.section7.by_local_authority_share
                    )
                    else "cafcass_long_term"
                )
                stays = params.section7.writer_stays_to_dra
                key = "private_law.section7.duration_days"
                yield from ctx.team_work(case, STAGE["section7_report"], team, key, keep_slot=stays)
                writer = team if stays else None
        if entry <= DRA_ENTRY:
            key = "private_law.dispute_resolution_hearing"  # it considers the report: a writer who stayed closes
            if (yield from _heard_or_withdrawn(ctx, case, "dispute_resolution_hearing", key, writer, tier_of)):
                return
            resolved = draw.chance("private_law.resolved_at_dra_share", ctx.scenario.private_law.resolved_at_dra_share)
        if not resolved and (
            yield from _heard_or_withdrawn(ctx, case, "final_hearing", "private_law.final_hearing", tier_of=tier_of)
        ):
            return
    yield from ctx.dispose(case, "private_law")
