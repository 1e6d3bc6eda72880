"""The command line: every subcommand, its options, messages and exit codes (the only package that has them).

``main`` is the entry point of ``run_sim.py`` and of the ``fjsim`` console script.
"""

from sim.cli.main import main

__all__ = ["main"]
