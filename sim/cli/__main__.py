"""``python -m sim.cli COMMAND``: the command line as a module, which is how the scenario page starts its runs."""

from sim.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
