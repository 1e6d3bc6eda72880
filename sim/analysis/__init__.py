"""Indicators from the records of a run, and the statistics across replications. Pure pandas and numpy: no
SimPy, no files of its own.
"""
