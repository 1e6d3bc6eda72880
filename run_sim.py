"""Entry point: ``python run_sim.py --help``. The guard matters: worker processes re-import this file."""

from sim.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
