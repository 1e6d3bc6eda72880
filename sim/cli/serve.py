"""``serve``: the scenario page on this machine (:mod:`sim.workbench.app`), until Ctrl-C."""

from __future__ import annotations

import argparse
import errno
import signal
from pathlib import Path

from sim.cli.common import EXIT_OK, UserError, add_allow_root, add_execution, err

DEFAULT_PORT = 8765
"""The page's port unless --port says otherwise (0 takes any free port)."""


def port_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be between 0 and 65535, got {value}")
    return value


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="open the scenario page: change levers, save an option, run it and compare it in a browser",
        description="Serve the scenario page on this machine and open it in a browser: pick a base scenario, change "
        "its main levers (court time, Cafcass advisers, demand, Pathfinder areas, domestic-abuse listing), save the "
        "option as a YAML file that extends the base, run it against the base in the background (a compare command, "
        "into a new results folder) and see the comparison report and its downloads. Needs no internet. Ctrl-C stops "
        "the page and any run still going.",
    )
    p.add_argument(
        "--port",
        type=port_number,
        default=DEFAULT_PORT,
        metavar="P",
        help=f"port (default {DEFAULT_PORT}; 0: any free port)",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        metavar="HOST",
        help="address to serve on (default 127.0.0.1, this machine only; another address lets other machines in)",
    )
    p.add_argument("--no-browser", action="store_true", help="do not open a browser; print the page's address only")
    p.add_argument(
        "--scenarios",
        default="scenarios",
        metavar="DIR",
        help="the folder of base scenarios, where options are saved (default scenarios)",
    )
    p.add_argument("--results", default="results", metavar="DIR", help="where runs are written (default results)")
    add_execution(p)
    add_allow_root(p)
    p.set_defaults(func=cmd_serve)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def cmd_serve(args: argparse.Namespace) -> int:
    import webbrowser

    from sim.workbench.app import LOOPBACK, Settings, create_app, start_server

    scenarios = Path(args.scenarios)
    if not scenarios.is_dir():
        raise UserError(
            f"no folder of scenarios at {scenarios}: run serve from the repository's root, or give --scenarios DIR"
        )
    settings = Settings(
        scenarios=scenarios.resolve(),
        results=Path(args.results).resolve(),
        workers=args.workers,
        scheduler=args.scheduler,
        roots=tuple(str(Path(r).resolve()) for r in args.allow_root),
        host=args.host,
    )
    app = create_app(settings)
    try:
        server, url = start_server(app, args.host, args.port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UserError(
                f"port {args.port} on {args.host} is in use: choose another --port (0 takes a free one)"
            ) from None
        raise
    if args.host not in LOOPBACK:
        err(f"note: serving on {args.host}: other machines that reach it can use the page")
    print(f"the scenario page is at {url} (Ctrl-C stops it)", flush=True)
    if not args.no_browser:
        webbrowser.open(url)
    signal.signal(signal.SIGTERM, _interrupt)  # stopped by a service manager: tidy up as for Ctrl-C
    jobs = app.extensions["workbench_jobs"]
    try:
        server.serve_forever()  # until Ctrl-C (werkzeug's server returns on it)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        running = [job for job in jobs.all() if job.exit_code is None]
        if running:
            err(f"stopping {len(running)} run(s) as Ctrl-C stops a command: finished replications are kept")
        jobs.close()
        err("the scenario page has stopped")
    return EXIT_OK
