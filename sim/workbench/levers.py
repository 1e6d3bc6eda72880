"""The scenario page's levers and options: the keys an analyst changes most, an option written as YAML that
``extends`` its base, checked by the scenario loader itself, and saved without overwriting a file unasked.

Why the loader checks the option: a bad value must get the message the command line gives (``validate`` and
``run`` read the same file the same way), so the page never validates a field by rules of its own. Each change
becomes one entry of a policy's ``set`` dated at the base's start date (as the options in ``scenarios/`` are
written), so the warm-up runs on the base and the option's file shows exactly what changed, key by key.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sim.experiment.owned_files import partial_of, write_atomically
from sim.outputs.paths import shown_path
from sim.scenario.loading import LoadedScenario, load_scenario
from sim.scenario.schema import Scenario
from sim.scenario.yaml_file import ScenarioError
from sim.vocabulary import LISTING_CLASSES

GROUPS = {
    "court": "Court time",
    "cafcass": "Cafcass advisers",
    "demand": "Demand",
    "pathfinder": "Pathfinder areas",
    "listing": "Domestic-abuse listing",
}
"""The page's groups of levers, in the order shown: the main levers the issue names."""
DA_LISTING_CLASSES = tuple(c for c in LISTING_CLASSES if "domestic_abuse" in c)
"""The listing classes whose rank is the domestic-abuse listing lever (0 is listed first)."""
NEVER = "never"
"""What a Pathfinder field holds for a region without Pathfinder (null in the YAML)."""
POLICY_NAME = "changed on the scenario page"
OPTION_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
"""A scenario name (sim.scenario.schema's Name): it also names the option's file, NAME.yaml."""


@dataclass(frozen=True)
class Lever:
    """One field of the page: the dotted key a policy sets, and the value in force in the base on the policy date."""

    key: str
    group: str
    label: str
    base: Any
    dated: bool = False
    """A date or never (Pathfinder), rather than a number."""

    @property
    def field(self) -> str:
        """The form field's name: the key, so a posted form says what it sets."""
        return f"set:{self.key}"

    @property
    def shown(self) -> str:
        """The base's value as the field shows it."""
        return show(self.base, dated=self.dated)


def show(value: Any, *, dated: bool = False) -> str:
    if value is None:
        return NEVER if dated else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _words(name: str) -> str:
    return name.replace("_", " ")


def in_force(loaded: LoadedScenario, date: dt.date) -> Scenario:
    """The base as its own policies leave it on ``date`` (the scenario of its last period starting by then)."""
    day = loaded.scenario.day_of(date)
    return [scenario for start, scenario in loaded.periods if start <= day][-1]


def levers(loaded: LoadedScenario, date: dt.date | None = None) -> list[Lever]:
    """The page's levers for a base scenario, with the values in force on ``date`` (the start date by default).

    Court time is the days sat a year and each region's court hours per case (an index that moves time between
    regions, the total unchanged) where the base derives sitting hours from days sat (courts.capacity), and each
    region's sitting hours a day by tier where it sets them by hand.
    """
    scenario = in_force(loaded, date or loaded.scenario.start_date)
    found: list[Lever] = []
    capacity = scenario.courts.capacity
    if capacity is not None:
        found.append(
            Lever(
                "courts.capacity.days_sat_per_year", "court", "Family Court days sat a year", capacity.days_sat_per_year
            )
        )
        for region in scenario.regions:
            index = capacity.capacity_per_case_index.get(region, 1.0)
            key = f"courts.capacity.capacity_per_case_index.{region}"
            found.append(Lever(key, "court", f"{_words(region)}: court hours per case (index, 1 = national)", index))
    else:
        for region, settings in scenario.regions.items():
            for tier, hours in (settings.court.sitting_hours_per_day or {}).items():
                key = f"regions.{region}.court.sitting_hours_per_day.{tier}"
                found.append(Lever(key, "court", f"{_words(region)}: {_words(tier)} sitting hours a day", hours))
    for region, settings in scenario.regions.items():
        for team in ("short_term_advisers", "long_term_advisers"):
            value = getattr(settings.cafcass, team)
            found.append(
                Lever(f"regions.{region}.cafcass.{team}", "cafcass", f"{_words(region)}: {_words(team)}", value)
            )
    for case_type, demand in scenario.demand.items():
        key = f"demand.{case_type}.cases_per_year"
        found.append(Lever(key, "demand", f"{_words(case_type)}: cases a year", demand.cases_per_year))
    for region, settings in scenario.regions.items():
        label = f"{_words(region)}: Pathfinder from (a date, or {NEVER})"
        found.append(Lever(f"regions.{region}.pathfinder_from", "pathfinder", label, settings.pathfinder_from, True))
    for listing_class in DA_LISTING_CLASSES:
        rank = scenario.courts.listing.rank_by_class[listing_class]
        key = f"courts.listing.rank_by_class.{listing_class}"
        found.append(Lever(key, "listing", f"{_words(listing_class)}: listing rank (0 is listed first)", rank))
    return found


def parse(text: str, *, dated: bool = False) -> Any:
    """A field's text as the YAML value it stands for; text that is no plain value stays text, for the loader to
    report in its own words (``12`` is a number, ``2025-04-01`` a date, ``twelve`` and ``[1`` stay text)."""
    text = text.strip()
    if dated and text.lower() in (NEVER, "null", "none"):
        return None
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if value is None or isinstance(value, dict | list):
        return text
    return value


def changes(found: list[Lever], form: dict[str, str]) -> dict[str, Any]:
    """The keys the form changes from the base, with their new values (an empty field leaves its key alone)."""
    changed: dict[str, Any] = {}
    for lever in found:
        text = form.get(lever.field, "")
        if not text.strip() or text.strip() == lever.shown:
            continue
        value = parse(text, dated=lever.dated)
        if value != lever.base:  # 12 and 12.0 are the same number
            changed[lever.key] = value
    return changed


def option_text(
    base: LoadedScenario,
    extends: str,
    name: str,
    description: str,
    date: str,
    changed: dict[str, Any],
) -> str:
    """The option's YAML: it extends the base and sets the changed keys from ``date``.

    A list in an option replaces its base's, so the base's own policies are repeated before the new one.
    """
    start = parse(date) if date.strip() else base.scenario.start_date
    body: dict[str, Any] = {"extends": extends, "name": name, "description": description.strip()}
    policies = list(base.source.data.get("policies") or [])
    if changed:
        policies.append({"name": POLICY_NAME, "date": start, "set": changed})
    if policies:
        body["policies"] = policies
    head = f"# An option on {Path(base.path).name}, written by the scenario page (serve)."
    if base.source.data.get("policies"):
        head += "\n# The base's own policies come first: a list in an option replaces the base's list."
    return head + "\n\n" + yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=110)


def option_file(folder: Path, name: str) -> Path:
    """Where an option named ``name`` is saved: NAME.yaml beside its base (so ``extends`` names the base alone)."""
    return folder / f"{name if OPTION_NAME.match(name) else 'unnamed'}.yaml"


def check_option(text: str, target: Path, roots: tuple[str, ...] = ()) -> LoadedScenario:
    """Load the option as if saved at ``target``; a ScenarioError names ``target`` as the command line would.

    The text is loaded from a private folder under the target's name, so checking writes nothing beside the base;
    ``extends`` in ``text`` must then name the base by its absolute path (:func:`option_text`'s ``extends``).
    """
    with tempfile.TemporaryDirectory(prefix="fjsim-option-") as folder:
        draft = Path(folder) / target.name
        draft.write_text(text, encoding="utf-8")
        try:
            return load_scenario(draft, roots=[str(target.parent), *roots])
        except ScenarioError as exc:
            named = shown_path(target)
            problems = [dataclasses.replace(p, file=named) if p.file == str(draft) else p for p in exc.problems]
            raise ScenarioError(problems) from None


class OptionExists(FileExistsError):
    """The option's file is there already and replacing it was not asked for."""


def save_option(text: str, target: Path, *, replace: bool = False) -> Path:
    """Write the option atomically: complete or absent, never half-written, and never over a file unless ``replace``.

    Without ``replace`` the finished file is linked into place, which fails if the name exists (also when another
    tab saved it a moment ago): no check-then-write race.
    """
    if replace:
        write_atomically(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        return target
    tmp = partial_of(target)
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, target)
        except FileExistsError:
            raise OptionExists(f"{shown_path(target)} already exists") from None
    finally:
        tmp.unlink(missing_ok=True)
    return target
