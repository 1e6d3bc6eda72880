"""Indicators from the records of a run, and the statistics across replications. Pure pandas and numpy: no
SimPy, no files of its own.

Modules, in the order they import each other:

* :mod:`sim.analysis.rows`: which child rows count, and how they are grouped;
* :mod:`sim.analysis.periods`: the results period, and children in proceedings over it;
* :mod:`sim.analysis.attribution`: where each child's days went (agencies, case events);
* :mod:`sim.analysis.indicators`: every indicator, once, as tidy long rows per replication;
* :mod:`sim.analysis.statistics`: means and Student-t intervals across replications.
"""
