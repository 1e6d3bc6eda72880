"""What a replication did, and the check that no child or case was lost on the way.

Every child created has a row in the children table, or is counted among the rows of cases that began and ended in
the warm-up (:mod:`sim.model.records` counts those rather than storing them); every case created was disposed,
diverted or is open at the end.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sim.model.records import Recorder


@dataclass
class RunStats:
    """What a replication did, for the manifest and the conservation check."""

    cases_created: int = 0
    cases_disposed: int = 0
    cases_diverted: int = 0
    cases_open_at_end: int = 0
    children_created: int = 0
    child_rows: dict[str, int] = field(default_factory=dict)
    """Rows stored in the children table, by status (and ``:return`` for returns to court)."""
    cases_closed_in_warm_up: int = 0
    warm_up_child_rows: dict[str, int] = field(default_factory=dict)
    """Rows of cases that began and ended in the warm-up, counted and not stored (sim.model.records)."""
    warm_up_stage_rows: int = 0
    returns_started: int = 0
    returns_from_before_start: int = 0
    children_returning_from_before_start: int = 0
    returns_pending_at_end: int = 0
    events: int = 0
    wall_seconds: float = 0.0


def _by_status(rows: Counter[tuple[str, bool]]) -> dict[str, int]:
    return {f"{status}{':return' if ret else ''}": n for (status, ret), n in sorted(rows.items())}


class ConservationError(RuntimeError):
    """Children or cases were lost: a bug in the model, never a user error."""


def check_conservation(stats: RunStats, recorder: Recorder) -> None:
    """Fill ``stats`` with the recorder's row counts and raise :class:`ConservationError` if anything was lost."""
    s = stats
    s.child_rows = _by_status(recorder.child_rows)
    s.warm_up_child_rows = _by_status(recorder.warm_up_child_rows)
    s.cases_closed_in_warm_up = recorder.warm_up_cases
    s.warm_up_stage_rows = recorder.warm_up_stage_rows
    rows = recorder.child_rows + recorder.warm_up_child_rows
    # A return from before the run brings children the run has not seen: created here, on a return's rows.
    first_rows = sum(n for (_, ret), n in rows.items() if not ret) + s.children_returning_from_before_start
    problems = []
    if s.cases_created != s.cases_disposed + s.cases_diverted + s.cases_open_at_end:
        problems.append(
            f"cases created {s.cases_created} != disposed {s.cases_disposed} + diverted "
            f"{s.cases_diverted} + open {s.cases_open_at_end}"
        )
    if first_rows != s.children_created:
        problems.append(f"children created {s.children_created} != first-case child rows {first_rows}")
    if problems:
        raise ConservationError("children or cases were lost: " + "; ".join(problems))
