"""Family Law Act 1996 Part IV remedies: non-molestation and occupation orders.

FL401 → without-notice hearing the same or next day (most cases) → return hearing on notice → order.
Applications made on notice go straight to a hearing on notice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.model.entities import Case
from sim.model.pathways.steps import Steps, hearing
from sim.vocabulary import ENTRY_STAGES, STAGE

if TYPE_CHECKING:
    from sim.model.replication import Replication

_RETURN_ENTRY = ENTRY_STAGES["domestic_abuse"].index("return_hearing") + 1


def domestic_abuse(rep: Replication, case: Case) -> Steps:
    if case.entry_stage == 0:
        rep.issue(case)
        if rep.uniforms["domestic_abuse"]() < rep.scenario.domestic_abuse.without_notice_share:
            yield from hearing(rep, case, STAGE["without_notice_hearing"], "domestic_abuse.without_notice_hearing")
    yield from hearing(rep, case, STAGE["return_hearing"], "domestic_abuse.return_hearing")
    yield from rep.dispose(case, "domestic_abuse")
