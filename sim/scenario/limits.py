"""What a run can hold: the bounds on a scenario's inputs and on a run, each with its reason.

A scenario that validates must run. Each bound here refuses, when the file is loaded and before anything is
written, an input the model could not run to the end: a date pandas cannot stamp, a period longer than the
calendar holds, demand that memory could not hold, seasonality that overflows when it is rescaled, a duration
beyond any run, more replications than a run can track. The schema (:mod:`sim.scenario.schema`) uses them as
ranges and the loader (:mod:`sim.scenario.loading`) as one check on the whole scenario; the reference
(``docs/scenario-reference.md``, section "Limits") lists them from :data:`LIMITS` with these reasons.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sim.vocabulary import DAYS_PER_YEAR

FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2200, 12, 31)
"""Dates a scenario may give. Results are stamped with pandas timestamps, which run from 1677-09-21 to 2262-04-11;
with at most MAX_YEARS of warm-up before the start date and MAX_YEARS of results after it, every day of a run
from a date in this span is inside pandas' span."""

MAX_YEARS = 50
"""Longest results period (run_years) and longest warm-up, each: together a run of at most a century."""

MAX_WARM_UP_DAYS = MAX_YEARS * DAYS_PER_YEAR

LONGEST_RUN_DAYS = 2 * MAX_YEARS * DAYS_PER_YEAR
"""The longest run, warm-up and results together (36,525 days)."""

MAX_MEAN = LONGEST_RUN_DAYS
"""Largest mean (or fixed value) of a distribution, in the key's unit: a duration or notice period that averages
more than the longest run never ends within one, and a booking that far ahead lays out a court diary to match
(1e9 days overflowed the calendar)."""

MAX_DRAW = LONGEST_RUN_DAYS
"""Each draw from a distribution is at most this: a stage this long outlasts any run, so a draw from the far tail
of a wide distribution (a lognormal with a large sigma) is cut here, with no effect on results, rather than
overflowing the calendar."""

MAX_SEASONALITY = 1e6
"""Largest monthly seasonality factor before the rescale to an average of 1 (value x 12 / sum), so that the
rescale cannot overflow (1e308 x 12 is infinite); after it, no month is more than 12 times the average."""

BYTES_PER_CASE = 2048
"""Memory a simulated case costs, for the estimate of a run's memory: its rows in the tables a replication reads
back whole for its indicators (about 0.6 KiB, measured on tests/scenarios/small.yaml) and its share of the open
caseload while it is open (3.5 to 7.8 KiB per open case, docs/performance.md), rounded up."""

MAX_MEMORY_GIB = 16
"""Largest estimated memory of one replication (cases simulated x BYTES_PER_CASE): about 8 million cases, 12 times
the national baseline's 683,000; demand of 1e12 cases a year tried to allocate 696 GiB."""

MAX_CASES = MAX_MEMORY_GIB * 2**30 / BYTES_PER_CASE

MAX_STAFF = 1e6
"""Most full-time equivalents of one kind in a region (advisers, social workers, assessors): far above any workforce
in England and Wales (about 2,000 Cafcass practitioners), and small enough that staff x caseload stays a number
(1e200 x 1e200 overflowed to infinity and the run failed)."""

MAX_CASELOAD = 1e4
"""Largest average caseload of one worker, for the same reason: published caseloads are tens of cases."""

MAX_REPLICATIONS = 10_000
"""Most replications a run (or --precision) may use: a run keeps a record of each in its manifest and a task for
each on its executor, and 1e9 replications exhausted memory before the first one ran."""


@dataclass(frozen=True)
class Limit:
    """One bound as the reference shows it."""

    what: str
    bound: str
    why: str


LIMITS: tuple[Limit, ...] = (
    Limit(
        "every date (`start_date`, `policies[].date`, `history.rows[].date`, `history.capacity_dip.start`, "
        "`regions.<name>.pathfinder_from`)",
        f"{FIRST_DATE} to {LAST_DATE}",
        "results are stamped with pandas timestamps (1677-09-21 to 2262-04-11); a run of up to 50 years of warm-up "
        "and 50 of results from any date in this span stays inside them",
    ),
    Limit("`run_years`", f"at most {MAX_YEARS}", "with the warm-up, a run of at most a century"),
    Limit(
        "`starting_state.warm_up_days`",
        f"at most {MAX_WARM_UP_DAYS:g} ({MAX_YEARS} years)",
        "with the results period, a run of at most a century",
    ),
    Limit(
        "every number of days that is not a distribution (`courts.relist_notice_days`, `*allocation_delay_days`, "
        "`courts.listing.release_days`, `history.capacity_dip.length_days`)",
        f"at most {LONGEST_RUN_DAYS:,.0f} (100 years)",
        "a wait or notice longer than the longest run never ends within one; a relisting that far ahead lays out "
        "a court diary to match",
    ),
    Limit(
        "the mean (or fixed value) of every distribution",
        f"at most {MAX_MEAN:,.0f} in the key's unit (100 years in days)",
        "a duration or notice period longer than the longest run never ends within one, and a hearing booked that "
        "far ahead lays out a court diary to match",
    ),
    Limit(
        "each draw from a distribution",
        f"cut at {MAX_DRAW:,.0f}",
        "a stage that long outlasts any run, so the cut changes no result; it stops a draw from the far tail of a "
        "wide distribution overflowing the calendar",
    ),
    Limit(
        "staff of one kind in a region (`regions.<name>.cafcass.*_advisers`, `.local_authority.social_workers`, "
        "`.experts.assessors`)",
        f"at most {MAX_STAFF:,.0f}",
        "far above any workforce, and staff x caseload must stay a finite number of places",
    ),
    Limit(
        "average caseloads (`cafcass.*_caseload_limit`, `local_authorities.caseload_limit`, `experts.caseload_limit`)",
        f"at most {MAX_CASELOAD:,.0f}",
        "published caseloads are tens of cases; staff x caseload must stay a finite number of places",
    ),
    Limit(
        "`demand.<name>.monthly_seasonality[]`",
        f"at most {MAX_SEASONALITY:,.0f}",
        "the factors are rescaled to average 1 (value x 12 / sum), which must not overflow",
    ),
    Limit(
        "cases simulated in one replication (open cases at the start, plus arrivals over the warm-up and the "
        "results period with their trend, in every period of the policies and history)",
        f"at most about {MAX_CASES / 1e6:.1f} million ({MAX_MEMORY_GIB} GiB at {BYTES_PER_CASE / 1024:g} KiB a case)",
        "a replication holds its open cases in memory and reads its cases' rows back whole for its indicators; "
        "the message gives the estimate",
    ),
    Limit(
        "`--replications` and `--max-replications`",
        f"at most {MAX_REPLICATIONS:,}",
        "a run keeps a record and a task for each replication",
    ),
)
"""The bounds in the order the reference lists them."""
