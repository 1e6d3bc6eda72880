"""The command line: every subcommand, its options, messages and exit codes (the only package that has them).

``main`` is the entry point of ``run_sim.py`` and of the ``fjsim`` console script. Importing it here makes
the package attribute ``sim.cli.main`` the function, not the module: reach the module's other names with
``from sim.cli.main import build_parser`` (which reads ``sys.modules``), not ``import sim.cli.main as m``.
"""

from sim.cli.main import main

__all__ = ["main"]
