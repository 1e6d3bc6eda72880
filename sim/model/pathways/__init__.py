"""Pathways: one SimPy process per case type, built from the steps in :mod:`sim.model.pathways.steps`.

The stages, their codes and where an open case can start are words of :mod:`sim.vocabulary`.
"""
