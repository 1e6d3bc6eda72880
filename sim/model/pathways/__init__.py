"""Pathways: one generator per pathway, walking a case through its stages.

A pathway sees only a :class:`~sim.model.pathways.context.PathwayContext` (the steps, the scenario in force,
its decision stream and the teams it keeps a slot in), so it can be driven without a replication. Its stages,
their keys and its branch shares are its table in :mod:`sim.vocabulary`; the steps are in
:mod:`sim.model.pathways.steps`.
"""
