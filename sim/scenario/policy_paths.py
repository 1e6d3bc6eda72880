"""The dotted key paths of policies (``regions.*.court.sitting_hours_per_day.*``): applying one to a scenario's data,
and checking one against the schema alone, each with a did-you-mean for a misspelt key.

The schema check is what lets a scenario with other mistakes still have its policy paths checked in the same
pass: the data a policy changes exists only once the scenario validates, but the schema says which paths can exist.
"""

from __future__ import annotations

import copy
from typing import Any, Literal, get_args, get_origin

from sim.scenario.annotations import fields_by_key, is_model, members
from sim.scenario.yaml_file import suggest

RUN_LEVEL_KEYS = (
    "name",
    "description",
    "start_date",
    "run_years",
    "seed",
    "monitor_interval_days",
    "starting_state",
    "history",
    "policies",
    "costs",
)
"""Top-level keys that hold for the whole run: its label, calendar, random streams, starting state, dated
changes and the prices its costs are counted at. A policy that set one would be ignored or would shift the run's
calendar part-way, so it is refused."""


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """A nested mapping as dotted keys, the paths policies name; a list is one value."""
    if not isinstance(data, dict):
        return {prefix: data}
    flat: dict[str, Any] = {}
    for key, value in data.items():
        flat.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def run_level_problem(dotted: str) -> str | None:
    """Why a policy may not change the key at ``dotted``, or None when it may."""
    first = dotted.split(".")[0]
    if first == "*":
        return f"'*' at the top level names {', '.join(RUN_LEVEL_KEYS)} too, which hold for the whole run"
    if first in RUN_LEVEL_KEYS:
        return (
            f"'{first}' holds for the whole run and cannot change part-way through it: set it at the top level of "
            "the scenario, not in a policy"
        )
    return None


def _did_you_mean(done: list[str], key: str, candidates: Any) -> str:
    close = suggest(key, candidates)
    return f"; did you mean '{'.'.join([*done, close])}'?" if close else ""


def _targets(node: Any, parts: list[str], done: list[str]) -> tuple[list[tuple[Any, Any]], str | None]:
    """(container, key) pairs a dotted path names; ``*`` stands for every key of a mapping, and a number names an
    item of a list (``history.rows.0.days_sat``), so a calibration can free one row of a table."""
    head, rest = parts[0], parts[1:]
    if isinstance(node, list):
        if not head.isdigit() or int(head) >= len(node):
            return [], f"'{'.'.join([*done, head])}' is not an item of the list at '{'.'.join(done)}'"
        keys: list[Any] = [int(head)]
    elif isinstance(node, dict):
        keys = list(node) if head == "*" else [head]
    else:
        return [], f"'{'.'.join(done)}' is not a mapping of keys"
    if not rest:
        return [(node, k) for k in keys], None
    found: list[tuple[Any, Any]] = []
    for key in keys:
        if isinstance(node, dict) and key not in node:
            hint = _did_you_mean(done, key, node)
            return [], f"'{'.'.join([*done, key])}' is not a key of the scenario{hint}"
        more, problem = _targets(node[key], rest, [*done, str(key)])
        if problem:
            return [], problem
        found += more
    return found, None


def set_path(data: dict, dotted: str, value: Any, *, scale: bool) -> str | None:
    """Apply one policy change to a plain dict; return a problem text or None.

    ``regions.*.court.sitting_hours_per_day.*`` names every tier in every region, so an option such as
    "10% more judges" is one line that stays right when the baseline's capacities change.
    """
    targets, problem = _targets(data, dotted.split("."), [])
    if problem:
        return problem
    if not targets:
        return f"'{dotted}' names nothing"
    for node, key in targets:
        if scale:
            current = node[key] if isinstance(node, list) else node.get(key)
            if isinstance(current, bool) or not isinstance(current, int | float):
                return f"'{dotted}' is not a number, so it cannot be scaled"
            node[key] = current * value
        else:
            node[key] = copy.deepcopy(value)
    return None


def schema_path_problem(model: Any, dotted: str) -> str | None:
    """What is wrong with ``dotted`` as a path of ``model``'s schema, or None if some scenario could have it.

    Names of regions, tiers and outcomes are the scenario's own, so any name passes there; keys the schema fixes
    (a block's fields, the case types) must be spelt as the schema spells them.
    """
    kinds: list[Any] = [model]
    done: list[str] = []
    for part in dotted.split("."):
        following: list[Any] = []
        fixed: list[str] = []  # the keys the schema allows here, for a suggestion
        for kind in kinds:
            for member in members(kind, None):
                if is_model(member):
                    by_key = fields_by_key(member)
                    fixed += list(by_key)
                    if part in by_key:
                        following.append(by_key[part])
                    elif part == "*":
                        following += list(by_key.values())
                elif get_origin(member) is dict:
                    key_type, value_type = get_args(member)
                    choices = [str(c) for m in members(key_type, None) if get_origin(m) is Literal for c in get_args(m)]
                    fixed += choices
                    if part == "*" or not choices or part in choices:
                        following.append(value_type)
                elif get_origin(member) is list and part.isdigit():
                    following.append(get_args(member)[0])
        if not following:
            if not fixed:
                return f"'{'.'.join(done)}' is a value, not a mapping of keys"
            return f"'{'.'.join([*done, part])}' is not a key of the scenario{_did_you_mean(done, part, fixed)}"
        kinds, done = following, [*done, part]
    return None
