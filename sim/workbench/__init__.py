"""The analyst's workbench: the scenario page (``python run_sim.py serve``), a local web page that builds an option on
a base scenario, saves it, runs it against the base and compares them (docs/workbench.md).

It comes after the outputs (it shows their reports and figures) and before the command line, which serves it.
"""
