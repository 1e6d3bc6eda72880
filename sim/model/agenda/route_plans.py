"""The pathways as route plans: each case's whole route fixed as a row of operations when it is created, built with
numpy from the same decisions, in the same order, as ``sim/model/pathways/{private_law,public_law,pathfinder,
domestic_abuse}.py`` take them, including drawn counts of hearings, from each case's entry stage.

An open case of the starting state begins its route at its stage (:data:`sim.model.agenda.operations.ENTRY`), as the
pathway modules begin it. ``tests/test_agenda.py`` replays routes through the pathway modules and compares them.
"""

from __future__ import annotations

import numpy as np

from sim.model.agenda.operations import (
    ALLOCATION,
    COURT_WORK,
    DISPOSE,
    DIVERT,
    ENTRY,
    FIRST_DISPOSAL,
    HEARING,
    HEARING_STAGE,
    ISSUE,
    RELEASE,
    REVIEW,
    TEAM_WORK,
)
from sim.model.agenda.tapes import Routes, Tape
from sim.vocabulary import COURT, LAY_JUSTICES_LIST, TEAM_KINDS


class RoutePlans:
    """The operations routes are made of, and the route of each pathway (a part of
    :class:`sim.model.agenda.replication.AgendaReplication`)."""

    def _declare_ops(self) -> None:
        op = self.ops.op
        pl = self.scenario.private_law
        w = pl.withdrawal_per_week_waiting
        self.op_issue, self.op_first_disposal = op(ISSUE), op(FIRST_DISPOSAL)
        self.op_divert, self.op_dispose = op(DIVERT), op(DISPOSE)
        self.op_release = {kind: op(RELEASE, kind) for kind in TEAM_KINDS}
        stays = pl.section7.writer_stays_to_dra
        self.op_work = {
            (stage, kind): op(TEAM_WORK, kind, keep, stage=stage)
            for stage, kind, keep in (
                ("safeguarding_checks", "cafcass_short_term", True),
                ("section7_report", "local_authority", stays),
                ("section7_report", "cafcass_long_term", stays),
                ("pre_proceedings", "local_authority", False),
                ("assessment", "local_authority", False),
                ("expert_assessment", "experts", False),
                ("further_assessment", "local_authority", False),
                ("child_impact_report", "local_authority", False),
                ("child_impact_report", "cafcass_long_term", False),
            )
        }
        self.op_court = {
            stage: op(COURT_WORK, stage=stage, agency=COURT)
            for stage in ("gatekeeping", "domestic_abuse_referral", "second_gatekeeping")
        }
        self.op_review = op(REVIEW, stage="review", agency=COURT)
        self.op_alloc = op(ALLOCATION, "cafcass_long_term", True, stage="guardian_allocation")

        def hearing(pathway: str, key: str, withdrawal: float = 0.0, tier_of: str | None = None) -> int:
            return op(HEARING, hearing=(pathway, key, tier_of, withdrawal), stage=HEARING_STAGE[key])

        self.h = {
            key: hearing("private_law", key, w)
            for key in (
                "private_law.first_hearing",
                "private_law.fact_finding.hearing",
                "private_law.dispute_resolution_hearing",
                "private_law.final_hearing",
            )
        }
        for key in ("private_law.dispute_resolution_hearing", "private_law.final_hearing"):
            self.h[("lay", key)] = hearing("private_law", key, w, LAY_JUSTICES_LIST)
        for key in (
            "public_law.urgent_hearing.hearing",
            "public_law.case_management_hearing",
            "public_law.further_case_management.hearing",
            "public_law.issues_resolution_hearing",
            "public_law.contested_further_hearings.hearing",
            "public_law.final_hearing",
        ):
            self.h[key] = hearing("public_law", key)
        for key in ("domestic_abuse.without_notice_hearing", "domestic_abuse.return_hearing"):
            self.h[key] = hearing("domestic_abuse", key)
        for key in ("pathfinder.fact_finding.hearing", "pathfinder.decision_hearing"):
            self.h[key] = hearing("private_law", key)  # a private law case's listing class
        self.ops.arrays()

    def _private_law(self, routes: Routes, rows: np.ndarray, da: np.ndarray, entry: np.ndarray) -> None:
        """``pathways/private_law.py`` on the standard route, from each case's entry stage (``entry``, by route
        row: 0 for a new case, else the stage an open case of the starting state is at)."""
        pl, tape, h, add = self.scenario.private_law, routes.tape, self.h, routes.add
        add(rows[entry[rows] == 0], self.op_issue)
        first = rows[entry[rows] <= ENTRY["private_law", "first_hearing"]]
        checked = first[entry[first] <= ENTRY["private_law", "safeguarding_checks"]]
        routes.work(
            checked, self.op_work[("safeguarding_checks", "cafcass_short_term")], "private_law.safeguarding_days"
        )
        routes.hearing(first, h["private_law.first_hearing"], "private_law.first_hearing")
        add(checked, self.op_release["cafcass_short_term"])
        resolved = tape.chance("private_law.resolved_at_first_hearing_share", pl.resolved_at_first_hearing_share, first)
        fhdra_on = first[~resolved]
        fd = tape.chance(
            "private_law.first_disposal_at_first_hearing_share", pl.first_disposal_at_first_hearing_share, fhdra_on
        )
        add(fhdra_on[fd], self.op_first_disposal)
        on = np.sort(np.concatenate([fhdra_on, rows[entry[rows] > ENTRY["private_law", "first_hearing"]]]))
        lay = tape.chance("private_law.allocated_to_lay_justices_share", pl.allocated_to_lay_justices_share, on)
        directed = on[entry[on] <= ENTRY["private_law", "section7_report"]]
        ff = directed[da[directed]]
        ff = ff[
            tape.chance("private_law.fact_finding.share_if_domestic_abuse", pl.fact_finding.share_if_domestic_abuse, ff)
        ]
        routes.hearing(ff, h["private_law.fact_finding.hearing"], "private_law.fact_finding.hearing")
        report = directed[tape.chance("private_law.section7.share", pl.section7.share, directed)]
        by_la = tape.chance(
            "private_law.section7.by_local_authority_share", pl.section7.by_local_authority_share, report
        )
        stays = pl.section7.writer_stays_to_dra
        for team, mine in (("local_authority", report[by_la]), ("cafcass_long_term", report[~by_la])):
            routes.work(mine, self.op_work[("section7_report", team)], "private_law.section7.duration_days")
        lay_rows, judge_rows = on[lay], on[~lay]
        dra = np.zeros(routes.op.shape[0], dtype=bool)
        dra[on[entry[on] <= ENTRY["private_law", "dispute_resolution_hearing"]]] = True
        key = "private_law.dispute_resolution_hearing"
        routes.hearing(lay_rows[dra[lay_rows]], h[("lay", key)], key)
        routes.hearing(judge_rows[dra[judge_rows]], h[key], key)
        if stays:
            for team, mine in (("local_authority", report[by_la]), ("cafcass_long_term", report[~by_la])):
                add(mine, self.op_release[team])
        at_dra = on[dra[on]]
        resolved_dra = tape.chance("private_law.resolved_at_dra_share", pl.resolved_at_dra_share, at_dra)
        final = np.zeros(routes.op.shape[0], dtype=bool)
        final[on] = True
        final[at_dra[resolved_dra]] = False
        key = "private_law.final_hearing"
        routes.hearing(lay_rows[final[lay_rows]], h[("lay", key)], key)
        routes.hearing(judge_rows[final[judge_rows]], h[key], key)
        add(rows, self.op_dispose)

    def _public_law(self, routes: Routes, rows: np.ndarray, entry: np.ndarray) -> None:
        """``pathways/public_law.py`` from each case's entry stage (see :meth:`_private_law`)."""
        p, tape, h, add = self.scenario.public_law, routes.tape, self.h, routes.add
        new_cases = rows[entry[rows] == 0]
        pre = new_cases[tape.chance("public_law.pre_proceedings.share", p.pre_proceedings.share, new_cases)]
        key = "public_law.pre_proceedings.duration_days"
        routes.work(pre, self.op_work[("pre_proceedings", "local_authority")], key)
        diverted = pre[tape.chance("public_law.pre_proceedings.diverted_share", p.pre_proceedings.diverted_share, pre)]
        add(diverted, self.op_divert)
        go = np.ones(routes.op.shape[0], dtype=bool)
        go[diverted] = False
        rows = rows[go[rows]]
        new_cases = rows[entry[rows] == 0]
        add(new_cases, self.op_issue)
        urgent = new_cases[tape.chance("public_law.urgent_hearing.share", p.urgent_hearing.share, new_cases)]
        routes.hearing(urgent, h["public_law.urgent_hearing.hearing"], "public_law.urgent_hearing.hearing")
        add(rows, self.op_alloc)
        cmh = rows[entry[rows] <= ENTRY["public_law", "case_management_hearing"]]
        routes.hearing(cmh, h["public_law.case_management_hearing"], "public_law.case_management_hearing")
        at_cmh = cmh[tape.chance("public_law.resolved_at_cmh_share", p.resolved_at_cmh_share, cmh)]
        add(at_cmh, self.op_release["cafcass_long_term"])
        add(at_cmh, self.op_dispose)
        go[at_cmh] = False
        rows = rows[go[rows]]
        assessed = rows[entry[rows] <= ENTRY["public_law", "assessment"]]
        expert = tape.chance("public_law.assessments.expert_share", p.assessments.expert_share, assessed)
        key = "public_law.assessments.expert_duration_days"
        routes.work(assessed[expert], self.op_work[("expert_assessment", "experts")], key)
        key = "public_law.assessments.duration_days"
        routes.work(assessed[~expert], self.op_work[("assessment", "local_authority")], key)
        if p.further_assessment is not None:
            share = p.further_assessment.share
            further = assessed[tape.chance("public_law.further_assessment.share", share, assessed)]
            key = "public_law.further_assessment.duration_days"
            routes.work(further, self.op_work[("further_assessment", "local_authority")], key)
        key = "public_law.further_case_management"
        n = tape.count(f"{key}.count_shares", p.further_case_management.count_shares, assessed)
        for k in range(1, int(n.max(initial=0)) + 1):
            routes.hearing(assessed[n >= k], h[f"{key}.hearing"], f"{key}.hearing")
        irh = rows[entry[rows] <= ENTRY["public_law", "issues_resolution_hearing"]]
        routes.hearing(irh, h["public_law.issues_resolution_hearing"], "public_law.issues_resolution_hearing")
        resolved = tape.chance("public_law.resolved_at_irh_share", p.resolved_at_irh_share, irh)
        contested = irh[~resolved]
        key = "public_law.contested_further_hearings"
        n = tape.count(f"{key}.count_shares", p.contested_further_hearings.count_shares, contested)
        for k in range(1, int(n.max(initial=0)) + 1):
            routes.hearing(contested[n >= k], h[f"{key}.hearing"], f"{key}.hearing")
        final = np.zeros(routes.op.shape[0], dtype=bool)
        final[rows] = True
        final[irh[resolved]] = False
        routes.hearing(rows[final[rows]], h["public_law.final_hearing"], "public_law.final_hearing")
        add(rows, self.op_release["cafcass_long_term"])
        add(rows, self.op_dispose)

    def _pathfinder(self, routes: Routes, rows: np.ndarray, da: np.ndarray) -> None:
        """``pathways/pathfinder.py``: gatekeeping, a referral where abuse is alleged, a Child Impact Report, a
        second gatekeeping, fact-finding for some, a decision hearing unless resolved on the papers, a review after
        the order for some."""
        f, tape, h, add, work = self.scenario.pathfinder, routes.tape, self.h, routes.add, routes.work
        add(rows, self.op_issue)
        work(rows, self.op_court["gatekeeping"], "pathfinder.gatekeeping_days")
        abuse = rows[da[rows]]
        work(abuse, self.op_court["domestic_abuse_referral"], "pathfinder.domestic_abuse_referral_days")
        by_la = tape.chance(
            "pathfinder.child_impact_report.by_local_authority_share",
            f.child_impact_report.by_local_authority_share,
            rows,
        )
        key = "pathfinder.child_impact_report.duration_days"
        for team, mine in (("local_authority", rows[by_la]), ("cafcass_long_term", rows[~by_la])):
            work(mine, self.op_work[("child_impact_report", team)], key)
        work(rows, self.op_court["second_gatekeeping"], "pathfinder.second_gatekeeping_days")
        ff = abuse[
            tape.chance(
                "pathfinder.fact_finding.share_if_domestic_abuse", f.fact_finding.share_if_domestic_abuse, abuse
            )
        ]
        routes.hearing(ff, h["pathfinder.fact_finding.hearing"], "pathfinder.fact_finding.hearing")
        heard = rows[~tape.chance("pathfinder.resolved_on_papers_share", f.resolved_on_papers_share, rows)]
        routes.hearing(heard, h["pathfinder.decision_hearing"], "pathfinder.decision_hearing")
        review = rows[tape.chance("pathfinder.review_share", f.review_share, rows)]
        work(review, self.op_review, "pathfinder.review_days")
        add(rows, self.op_dispose)

    def _domestic_abuse(self, routes: Routes, rows: np.ndarray, tape: Tape, entry: np.ndarray) -> None:
        """``pathways/domestic_abuse.py`` from each case's entry stage (see :meth:`_private_law`)."""
        share = self.scenario.domestic_abuse.without_notice_share
        new_cases = rows[entry[rows] == 0]
        routes.add(new_cases, self.op_issue)
        without = new_cases[tape.chance("domestic_abuse.without_notice_share", share, new_cases)]
        key = "domestic_abuse.without_notice_hearing"
        routes.hearing(without, self.h[key], key)
        key = "domestic_abuse.return_hearing"
        routes.hearing(rows, self.h[key], key)
        routes.add(rows, self.op_dispose)
