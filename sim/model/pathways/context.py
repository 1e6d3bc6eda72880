"""What a pathway may ask of the model: the narrow interface that lets a pathway run without a replication.

A pathway is a generator that walks one case through its stages. It needs the steps it is built from, the
scenario in force, the case's own random draws (each decision named by its dotted scenario key), and a way to
free a caseload slot it kept. Nothing else: no court, no records, no counts.
:class:`sim.model.replication.Replication` implements this protocol; a test can drive a pathway with a small
fake of it and a bare ``simpy.Environment``.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Protocol

from sim.model.entities import Case
from sim.scenario.schema import Scenario

Steps = Generator[Any, Any, None]
HearingSteps = Generator[Any, Any, bool]
"""A hearing's steps; the value is True when the case was withdrawn while it waited for the listing."""
"""A step or a pathway: a generator used with ``yield from``, yielding SimPy events only when time must pass."""


class Chance(Protocol):
    """A case's decisions: ``chance(key, p)`` is True with probability p (the case's draw for the decision ``key``,
    the dotted scenario key of the share, below p; a decision asked again takes the case's next draw for it)."""

    def chance(self, decision: str, probability: float) -> bool: ...


def draw_count(draw: Chance, key: str, count_shares: dict[int, float]) -> int:
    """A number drawn from the share of cases with each number (``key``, its dotted scenario key): one chance
    per number tried, smallest first, each conditional on the smaller numbers not drawn. The largest number
    is taken without a draw, so a count with one number (``{0: 1.0}``) uses no random number."""
    counts = sorted(count_shares)
    left = 1.0
    for count in counts[:-1]:
        share = count_shares[count]
        if left <= share or draw.chance(key, share / left):
            return count
        left -= share
    return counts[-1]


class Slot(Protocol):
    """A caseload team as a pathway sees it: it can only give back a slot it kept."""

    def release(self, children: int = 1) -> None:
        """Give back a slot kept for work about ``children`` children."""
        ...


class PathwayContext(Protocol):
    """The steps, parameters, random streams and teams a pathway uses; ``stage`` is a code of ``STAGE``."""

    @property
    def scenario(self) -> Scenario:
        """The scenario in force now (policies change it from their dates)."""
        ...

    def decisions(self, case: Case) -> Chance:
        """The case's branch decisions, each keyed to the case and the decision (common random numbers)."""
        ...

    def team(self, kind: str, region: int) -> Slot:
        """A caseload team of a kind (``TEAM_KINDS``) in a region, to release a slot kept past its stage."""
        ...

    def hearing(
        self, case: Case, stage: int, hearing_key: str, withdrawal_per_week: float = 0.0, tier_of: str | None = None
    ) -> HearingSteps:
        """List the hearing at ``hearing_key`` (a dotted scenario key), in its own tier or in the tier of the hearing
        ``tier_of``, wait for it and relist it as needed; True if the parties withdrew while it waited (hazard
        ``withdrawal_per_week`` per week of listing wait)."""
        ...

    def team_work(self, case: Case, stage: int, team_kind: str, duration_key: str, keep_slot: bool = False) -> Steps:
        """Wait for a slot in the case's team of ``team_kind``, then work for a duration drawn at ``duration_key``."""
        ...

    def allocation(self, case: Case, stage: int, team_kind: str) -> Steps:
        """Wait for a worker who stays with the case until the pathway releases the slot."""
        ...

    def active_work(self, case: Case, stage: int, agency: int, duration_key: str) -> Steps:
        """Work that needs no scarce capacity: only a drawn duration."""
        ...

    def follow_up(self, case: Case, stage: int, agency: int, duration_key: str) -> None:
        """Record a stage after the order (outside proceedings), lasting a drawn duration; the case does not wait."""
        ...

    def issue(self, case: Case) -> None:
        """The application is issued: proceedings start now."""
        ...

    def first_disposal(self, case: Case) -> None:
        """Another application in the case is disposed of: the case's first disposal (as FCSQ times it) is now, and
        the case stays open to its final order."""
        ...

    def divert(self, case: Case) -> None:
        """The case leaves before issue, without a court case."""
        ...

    def dispose(self, case: Case, pathway_name: str, outcome: str | None = None) -> Steps:
        """The order is made (drawn, or the ``outcome`` given); the children may come back to court later."""
        ...
