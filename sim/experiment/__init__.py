"""Experiments: replications on executors, the results folder, the manifest, compare, sweep, warm-up and
validation. Library code: errors are raised as exceptions, and only :mod:`sim.cli` turns them into messages.
"""
