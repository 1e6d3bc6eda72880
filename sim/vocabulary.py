"""The words of the model, defined once: case types, pathways, agencies, stages, listing classes, case
statuses and units of time. Every other module imports them from here, so a name cannot drift between the
schema, the model, the records and the indicators.

This module comes before every package in the one-way flow and imports nothing of the project.
"""

from __future__ import annotations

# ---------------------------------------------------------------------------------------------- time
DAYS_PER_YEAR = 365.25
"""Simulation time is in days; a year is a Julian year, so that four years are 1,461 days."""
WEEK_DAYS = 7.0
TARGET_WEEKS = 26.0
"""The statutory limit for care proceedings (s32 Children Act 1989, as amended in 2014), shown for every case type."""

# ---------------------------------------------------------------------------------------------- cases
CASE_TYPES = ("public_law", "private_law", "domestic_abuse")
"""Case types with arrivals of their own; Pathfinder is a routing of private law, not a case type."""

PATHWAYS = ("public_law", "private_law", "pathfinder", "domestic_abuse")
"""Pathways: the case types, with private law split into the standard and the Pathfinder routes."""

LISTING_CLASSES = ("domestic_abuse", "public_law", "private_law_with_domestic_abuse", "private_law")
"""What the listing diary ranks hearings by."""

STATUS_OPEN, STATUS_DISPOSED, STATUS_DIVERTED = "open", "disposed", "diverted"
STATUSES = (STATUS_DISPOSED, STATUS_DIVERTED, STATUS_OPEN)

# ---------------------------------------------------------------------------------------------- agencies
AGENCIES = ("court", "cafcass", "local_authority", "experts")
"""The agencies a child's days are attributed to, in the order of the records' agency codes."""
COURT, CAFCASS, LOCAL_AUTHORITY, EXPERTS = range(len(AGENCIES))

# ---------------------------------------------------------------------------------------------- stages
STAGES = (
    "pre_proceedings",
    "guardian_allocation",
    "case_management_hearing",
    "assessment",
    "expert_assessment",
    "issues_resolution_hearing",
    "final_hearing",
    "safeguarding_checks",
    "first_hearing",
    "fact_finding_hearing",
    "section7_report",
    "dispute_resolution_hearing",
    "gatekeeping",
    "child_impact_report",
    "decision_hearing",
    "review",
    "without_notice_hearing",
    "return_hearing",
)
"""Stage names are shared across pathways (a final hearing is a final hearing); a record's stage code is the
index in this tuple."""
STAGE = {name: code for code, name in enumerate(STAGES)}

ENTRY_STAGES: dict[str, tuple[str, ...]] = {
    "public_law": ("case_management_hearing", "assessment", "issues_resolution_hearing", "final_hearing"),
    "private_law": (
        "safeguarding_checks",
        "first_hearing",
        "section7_report",
        "dispute_resolution_hearing",
        "final_hearing",
    ),
    "domestic_abuse": ("return_hearing",),
}
"""Stages an open case can be in at the start of a run, in pathway order."""
