"""The scenario page: a Flask application on this machine, in six steps (pick a base, change the levers, name and
save the option, run it, compare it, download the results).

Why Flask: a small, long-kept framework whose server, templates (Jinja2, which the reports already use) and static
files all come from installed packages, so the page works with no internet; plain HTML forms do the work and a few
lines of JavaScript (served from this package) poll a run's progress. Every form that changes something carries a
token only this server's pages hold, and only the loopback host names are answered when serving on loopback, so
another web site open in the browser cannot save files or start runs through it.
"""

from __future__ import annotations

import os
import secrets
import socket
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, abort, jsonify, redirect, render_template, request, send_from_directory, url_for
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from sim.outputs.paths import shown_path
from sim.scenario.loading import LoadedScenario, load_scenario
from sim.scenario.yaml_file import ScenarioError
from sim.workbench import levers, stored_comparison
from sim.workbench.jobs import Job, JobRunner, reserve_folder
from sim.workbench.stored_comparison import reusable
from sim.workbench.stored_runs import stored_run, stored_runs

STEPS = (
    "Pick a base scenario",
    "Change the levers",
    "Name and save the option",
    "Run it",
    "Compare it",
    "Download the results",
)
DEFAULT_BASE = "baseline.yaml"
"""The base the page starts on, when the scenarios folder has it."""
DEFAULT_REPLICATIONS = 3
"""The page's default: enough for an interval (the command line's default is 5; intervals under 5 are rough)."""
DOWNLOADS = ("compare.csv", "comparison.html", "differences_forest.png", "delay_distributions.png")
"""A comparison folder's own files offered for download, besides each scenario's summary.csv and report."""
SCENARIO_DOWNLOADS = ("summary.csv", "indicators.csv", "report.html")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Settings:
    """Where the page reads scenarios and writes runs, and how runs are run."""

    scenarios: Path
    results: Path
    command_line: tuple[str, ...] = (sys.executable, "-m", "sim.cli")
    """The command line as a program: a run from the page is a ``compare`` command, word for word."""
    workers: int | None = None
    scheduler: str | None = None
    roots: tuple[str, ...] = ()
    host: str = "127.0.0.1"


class Bases:
    """The scenarios in the scenarios folder, loaded once and again only when a file they read changes."""

    def __init__(self, folder: Path, roots: tuple[str, ...]) -> None:
        self.folder, self.roots = folder, roots
        self.cache: dict[Path, tuple[tuple[tuple[str, float], ...], LoadedScenario | str]] = {}

    @staticmethod
    def _stamps(files: list[str]) -> tuple[tuple[str, float], ...]:
        return tuple((f, Path(f).stat().st_mtime) if Path(f).exists() else (f, -1.0) for f in files)

    def load(self, path: Path) -> LoadedScenario | str:
        """The scenario, or the first line of why it is not one (a study file, say)."""
        held = self.cache.get(path)
        if held is not None and self._stamps([f for f, _ in held[0]]) == held[0]:
            return held[1]
        try:
            loaded: LoadedScenario | str = load_scenario(path, roots=self.roots)
            files = list(loaded.source.files)  # type: ignore[union-attr]
        except ScenarioError as exc:  # its first problem, without the folder every file here shares
            loaded, files = str(exc).splitlines()[0].removeprefix(f"{path.parent}{os.sep}"), [str(path)]
        self.cache[path] = (self._stamps(files), loaded)
        return loaded

    def all(self) -> tuple[dict[str, LoadedScenario], dict[str, str]]:
        """(file name -> scenario, file name -> why it is not offered)."""
        found, skipped = {}, {}
        for path in sorted(self.folder.glob("*.yaml")):
            loaded = self.load(path)
            if isinstance(loaded, str):
                skipped[path.name] = loaded
            else:
                found[path.name] = loaded
        return found, skipped


def create_app(settings: Settings) -> Flask:
    """The page's application; ``app.extensions["workbench_jobs"].close()`` stops its runs when it is done."""
    app = Flask(__name__)
    app.config["TOKEN"] = secrets.token_urlsafe(24)
    if settings.host in LOOPBACK:
        app.config["TRUSTED_HOSTS"] = list(LOOPBACK)
    logs = Path(tempfile.mkdtemp(prefix="fjsim-serve-logs-"))
    jobs = JobRunner(logs)
    bases = Bases(settings.scenarios, settings.roots)
    app.extensions["workbench_jobs"] = jobs

    def check_token() -> None:
        if request.form.get("token") != app.config["TOKEN"]:
            abort(403, "this form is not from this page's server (reload the page)")

    def page(base_name: str | None, **context: Any) -> str:
        found, skipped = bases.all()
        base = found.get(base_name or "") or found.get(DEFAULT_BASE) or next(iter(found.values()), None)
        chosen = Path(base.path).name if base else None
        form = context.pop("form", {})
        date = form.get("date") or (base.scenario.start_date.isoformat() if base else "")
        return render_template(
            "index.html",
            steps=STEPS,
            bases=found,
            skipped=skipped,
            base=base,
            chosen=chosen,
            levers=levers.levers(base) if base else [],
            groups=levers.GROUPS,
            form=form,
            date=date,
            token=app.config["TOKEN"],
            jobs=jobs.all(),
            stored=stored_runs(settings.results),
            replications=DEFAULT_REPLICATIONS,
            scenarios_folder=shown_path(settings.scenarios),
            **context,
        )

    def option_from(form: dict[str, str]) -> tuple[LoadedScenario, str, Path, dict[str, Any]]:
        """(base, option name, where it is saved, changes) from a posted form."""
        found, _ = bases.all()
        base = found.get(form.get("base", ""))
        if base is None:
            abort(400, "pick a base scenario from the list")
        name = form.get("name", "").strip()
        target = levers.option_file(settings.scenarios, name)
        return base, name, target, levers.changes(levers.levers(base), form)

    @app.get("/")
    def index() -> str:
        return page(request.args.get("base"))

    @app.post("/option")
    def option() -> str:
        check_token()
        form = request.form.to_dict()
        base, name, target, changed = option_from(form)
        description = form.get("description", "")
        date = form.get("date", "")
        context: dict[str, Any] = {"form": form, "changed": changed}
        draft = levers.option_text(base, str(Path(base.path).resolve()), name, description, date, changed)
        text = levers.option_text(base, Path(base.path).name, name, description, date, changed)
        context["text"] = text
        try:
            levers.check_option(draft, target, settings.roots)
        except ScenarioError as exc:
            context["problems"] = f"the scenario has problems (file:line: key: message):\n{exc}"
            return page(form.get("base"), **context)
        context["valid"] = True
        if form.get("action") != "save":
            return page(form.get("base"), **context)
        if target.resolve() in {Path(f).resolve() for f in base.source.files}:
            context["save_problem"] = f"{shown_path(target)} is the base or a file it extends: choose another name"
            return page(form.get("base"), **context)
        try:
            levers.save_option(text, target, replace=form.get("replace") == "yes")
        except levers.OptionExists as exc:
            context["save_problem"] = f"{exc}: tick 'replace it' to overwrite it, or choose another name"
            context["exists"] = True
            return page(form.get("base"), **context)
        context["saved"] = shown_path(target)
        context["option_file"] = target.name
        return page(form.get("base"), **context)

    @app.post("/run")
    def run() -> Any:
        check_token()
        form = request.form
        option_path = (settings.scenarios / form.get("option", "")).resolve()
        base_path = (settings.scenarios / form.get("base", "")).resolve()
        if option_path.parent != settings.scenarios.resolve() or not option_path.is_file():
            abort(400, "save the option first: there is no such option file")
        if form.get("base") not in bases.all()[0]:
            abort(400, "pick a base scenario from the list")
        replications = form.get("replications", str(DEFAULT_REPLICATIONS)).strip()
        against = form.get("against", "base")
        if against != "base":
            return start_stored(option_path, Path(against), None)
        folder = reserve_folder(settings.results, f"compare-{base_path.stem}-{option_path.stem}")
        argv = ["compare", str(base_path), str(option_path), "--replications", replications, "--out", str(folder)]
        argv += [] if form.get("reports") == "yes" else ["--no-report"]
        argv += ["--seed", form["seed"].strip()] if form.get("seed", "").strip() else []
        argv += execution_options()
        count = int(replications) if replications.isdigit() else 0
        job = jobs.start(
            f"{option_path.stem} against {base_path.stem}",
            folder,
            2 * count,
            [*settings.command_line, *argv],
            option=option_path.name,
            option_name=load_name(option_path),
            base=base_path.name,
            base_file=base_path.name,
            typed=["python run_sim.py", *[shown_path(Path(w)) if w.startswith("/") else w for w in argv]],
        )
        return redirect(url_for("job_page", job_id=job.id))

    def execution_options() -> list[str]:
        words = ["--workers", str(settings.workers)] if settings.workers else []
        words += ["--scheduler", settings.scheduler] if settings.scheduler else []
        for root in settings.roots:
            words += ["--allow-root", root]
        return words

    def load_name(path: Path) -> str:
        loaded = bases.load(path)
        return path.stem if isinstance(loaded, str) else loaded.scenario.name

    def start_stored(option_path: Path, stored_folder: Path, option_run: Path | None) -> Any:
        stored = stored_run(stored_folder)
        if stored is None or stored_folder.resolve() not in {r.folder.resolve() for r in stored_runs(settings.results)}:
            abort(400, "pick a finished run from the list")
        folder = reserve_folder(settings.results, f"compare-{stored.scenario}-{option_path.stem}")
        expected = 0 if reusable(option_run, stored) else max(stored.replications) + 1
        program = stored_comparison.command(
            option_path,
            stored.folder,
            folder,
            option_run=str(option_run) if option_run else None,
            workers=settings.workers,
            scheduler=settings.scheduler,
            roots=list(settings.roots),
        )
        job = jobs.start(
            f"{option_path.stem} against the stored run {stored.folder.name}",
            folder,
            expected,
            program,
            option=option_path.name,
            option_name=load_name(option_path),
            base=f"the stored run {stored.label}",
        )
        return redirect(url_for("job_page", job_id=job.id))

    def job_or_404(job_id: str) -> Job:
        job = jobs.get(job_id)
        if job is None:
            abort(404, "no such run on this server (runs are listed here while the server runs)")
        return job

    def scenario_folders(job: Job) -> dict[str, Path]:
        """The job's scenario folders by name, from its comparison manifest (a stored run's is where it lies)."""
        import json

        try:
            manifest = json.loads((job.folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        found = {}
        for entry in manifest.get("options", []):
            own = job.folder / "scenarios" / entry["name"]
            found[entry["name"]] = own if own.is_dir() else Path(entry.get("directory", own))
        return found

    @app.get("/jobs/<job_id>")
    def job_page(job_id: str) -> str:
        job = job_or_404(job_id)
        folders = scenario_folders(job)
        option_run = folders.get(job.info.get("option_name", ""))
        own = {r.folder.resolve() for r in ([stored_run(f) for f in folders.values()]) if r is not None}
        return render_template(
            "job.html",
            steps=STEPS,
            job=job,
            status=job.status(),
            token=app.config["TOKEN"],
            downloads=[name for name in DOWNLOADS if (job.folder / name).is_file()],
            scenario_downloads={
                name: [f for f in SCENARIO_DOWNLOADS if (folder / f).is_file()]
                for name, folder in folders.items()
                if (job.folder / "scenarios" / name).is_dir()
            },
            has_report=(job.folder / "comparison.html").is_file(),
            option_run=option_run,
            stored=[r for r in stored_runs(settings.results) if r.folder.resolve() not in own],
            results=shown_path(job.folder),
        )

    @app.get("/jobs/<job_id>/status")
    def job_status(job_id: str) -> Any:
        return jsonify(job_or_404(job_id).status())

    @app.post("/jobs/<job_id>/stop")
    def job_stop(job_id: str) -> Any:
        check_token()
        jobs.stop(job_or_404(job_id))
        return redirect(url_for("job_page", job_id=job_id))

    @app.post("/jobs/<job_id>/compare")
    def job_compare(job_id: str) -> Any:
        check_token()
        job = job_or_404(job_id)
        option_run = scenario_folders(job).get(job.info.get("option_name", ""))
        option_path = (settings.scenarios / job.info["option"]).resolve()
        return start_stored(option_path, Path(request.form.get("against", "")), option_run)

    @app.get("/jobs/<job_id>/files/<path:name>")
    def job_file(job_id: str, name: str) -> Any:
        job = job_or_404(job_id)
        allowed = set(DOWNLOADS) | {f"scenarios/{s}/{f}" for s in scenario_folders(job) for f in SCENARIO_DOWNLOADS}
        if name not in allowed:
            abort(404)
        return send_from_directory(job.folder, name, as_attachment=request.args.get("download") == "1")

    return app


class QuietHandler(WSGIRequestHandler):
    """Requests are not logged one by one (a running page asks for progress every second); errors still are."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def start_server(app: Flask, host: str = "127.0.0.1", port: int = 0) -> tuple[BaseWSGIServer, str]:
    """The page's server, bound now (port 0: a free one) and answering each request in a thread of its own; call
    ``serve_forever()`` on it (the command) or run that in a thread (the tests). Returns it with the page's address."""
    listening = socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:  # bound here, so a port in use is an OSError for the command to word, not werkzeug's exit
        server = make_server(host, port, app, threaded=True, fd=listening.fileno(), request_handler=QuietHandler)
    finally:
        listening.close()  # the server holds its own copy of the socket
    shown = f"[{host}]" if ":" in host else host
    return server, f"http://{shown}:{server.socket.getsockname()[1]}/"


def serve_in_thread(app: Flask, host: str = "127.0.0.1", port: int = 0) -> tuple[BaseWSGIServer, str]:
    """Start the page's server in a background thread (stop it with ``server.shutdown()``)."""
    server, url = start_server(app, host, port)
    threading.Thread(target=server.serve_forever, daemon=True, name="workbench-server").start()
    return server, url
