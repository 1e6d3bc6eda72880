"""Calibrating the model by an optimiser: declared free parameters and published targets (``targets``), a
pluggable measure of a run (``measures``), evaluations on common random numbers (``evaluator``), the fit
(``fit``) and the identifiability check (``identifiability``). ``python run_sim.py calibrate model``.
"""
