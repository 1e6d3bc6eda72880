"""Family Law Act 1996 Part IV remedies: non-molestation and occupation orders.

FL401 → without-notice hearing the same or next day (most cases) → return hearing on notice → order.
Applications made on notice go straight to a hearing on notice. The stages, their keys and the branch share
are listed in :data:`sim.vocabulary.DOMESTIC_ABUSE`.
"""

from __future__ import annotations

from sim.model.entities import Case
from sim.model.pathways.context import PathwayContext, Steps
from sim.vocabulary import STAGE


def domestic_abuse(ctx: PathwayContext, case: Case) -> Steps:
    if case.entry_stage == 0:
        ctx.issue(case)
        if ctx.decisions(case).chance(
            "domestic_abuse.without_notice_share", ctx.scenario.domestic_abuse.without_notice_share
        ):
            yield from ctx.hearing(case, STAGE["without_notice_hearing"], "domestic_abuse.without_notice_hearing")
    yield from ctx.hearing(case, STAGE["return_hearing"], "domestic_abuse.return_hearing")
    yield from ctx.dispose(case, "domestic_abuse")
