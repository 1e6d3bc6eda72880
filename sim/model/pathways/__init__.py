"""Pathways: one SimPy process per case type, built from the steps in :mod:`sim.model.pathways.steps`.

Stage names are shared across pathways (a final hearing is a final hearing); the stage table records the
agency that did each stage. ``ENTRY_STAGES`` lists where a case from a declared open caseload can start.
"""

from __future__ import annotations

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

PATHWAYS = ("public_law", "private_law", "pathfinder", "domestic_abuse")
"""Pathway names as results show them; private law cases follow 'pathfinder' where it is switched on."""
