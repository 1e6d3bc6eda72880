"""Free parameters applied to a scenario: the keys a dotted name matches, and the scenario at given values.

Kept apart from the targets file's schema (``targets.py``) because planners and the fitted scenario's writer use it
too. A parameter is applied to the resolved base scenario, before its policies, as a policy would change it
(:func:`sim.scenario.loading.set_path`); one with ``balance`` keys moves a share of a fixed total from them to its
own keys (or back), so the sum stays the scenario's.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any, Literal, Protocol, get_args, get_origin

from sim.scenario.annotations import fields_by_key, is_model, members
from sim.scenario.loading import LoadedScenario, scenario_from_dict, set_path
from sim.scenario.schema import Scenario
from sim.scenario.yaml_file import suggest


class FreeParameter(Protocol):
    """What applying needs of a free parameter (the targets file's ``FreeParameter``, the planner's levers): its
    keys, how it changes them, and the keys that balance it. A protocol, so this module needs nothing after it."""

    @property
    def keys(self) -> tuple[str, ...]: ...

    @property
    def change(self) -> Literal["set", "scale"]: ...

    @property
    def balance(self) -> Sequence[str] | None: ...

    @property
    def label(self) -> str: ...


def resolved_data(loaded: LoadedScenario) -> dict[str, Any]:
    """The base scenario as plain data, every default filled in, ready for :func:`set_path`."""
    return loaded.scenario.model_dump(mode="json", by_alias=True)


def apply_values(data: dict, parameters: list[FreeParameter], values: tuple[float, ...]) -> dict:
    """A copy of ``data`` with each parameter's value applied; raises ValueError naming the key."""
    changed = copy.deepcopy(data)
    for parameter, value in zip(parameters, values, strict=True):
        before = _total(changed, parameter.keys) if parameter.balance else 0.0
        for key in parameter.keys:
            problem = set_path(changed, key, float(value), scale=parameter.change == "scale")
            if problem:
                raise ValueError(f"{key}: {problem}")
        if parameter.balance:
            _balance(changed, parameter.balance, _total(changed, parameter.keys) - before)
    return changed


def values_at(data: dict, dotted: Sequence[str]) -> list[Any]:
    """The value at every key path the dotted keys name (None for an entry an open mapping does not have yet)."""
    found = []
    for path in (path for key in dotted for path in concrete_keys(data, key)):
        node: Any = data
        for key in path:
            node = node[key] if isinstance(node, list) else node.get(key) if isinstance(node, dict) else None
        found.append(node)
    return found


def _total(data: dict, dotted: Sequence[str]) -> float:
    """The sum of the numbers the dotted keys name (0 for keys that name nothing or no number)."""
    return float(sum(v for v in values_at(data, dotted) if isinstance(v, int | float) and not isinstance(v, bool)))


def _balance(data: dict, balance: Sequence[str], moved: float) -> None:
    """Scale the balance keys by one factor so that they give up ``moved`` (take it, if negative)."""
    held = _total(data, balance)
    if held <= 0 or moved > held:
        raise ValueError(f"{balance[0]}: the balance keys hold {held:g}, which cannot give up {moved:g}")
    for key in balance:
        problem = set_path(data, key, (held - moved) / held, scale=True)
        if problem:
            raise ValueError(f"{key}: {problem}")


def scenario_at(loaded: LoadedScenario, parameters: list[FreeParameter], values: tuple[float, ...]) -> LoadedScenario:
    """The scenario with the parameters at ``values``, validated (policies included)."""
    label = ", ".join(f"{p.label}={v:.6g}" for p, v in zip(parameters, values, strict=True))
    return scenario_from_dict(apply_values(resolved_data(loaded), parameters, values), name=f"{loaded.path} [{label}]")


def concrete_keys(data: Any, dotted: str) -> list[tuple[str | int, ...]]:
    """Every key path a dotted key with ``*`` names in ``data``, e.g. each tier of each region (a number names an
    item of a list); a last part an
    open mapping of the schema does not have yet (a region of an index left empty) is named too, as setting it
    adds it."""
    parts = dotted.split(".")
    paths: list[tuple[str | int, ...]] = [()]
    for i, part in enumerate(parts):
        found = []
        for path in paths:
            node = data
            for key in path:
                node = node[key]
            if isinstance(node, list) and part.isdigit() and int(part) < len(node):
                found.append((*path, int(part)))  # an item of a list, e.g. history.rows.0.days_sat
            elif isinstance(node, dict):
                new = i == len(parts) - 1 and part != "*" and part not in node and _open_mapping(path, data)
                keys = list(node) if part == "*" else [part] if part in node or new else []
                found += [(*path, key) for key in keys]
        paths = found
    return paths


def _open_mapping(path: tuple[str, ...], data: Any) -> bool:
    """Whether the scenario schema has a mapping of free keys (``dict[Name, ...]``) at ``path``, not a model."""
    annotation: Any = Scenario
    node = data
    for key in (*path, None):
        kinds = [m for m in members(annotation, node) if is_model(m) or get_origin(m) is dict]
        if not kinds:
            return False
        if key is None:
            return get_origin(kinds[0]) is dict
        annotation = fields_by_key(kinds[0]).get(key) if is_model(kinds[0]) else get_args(kinds[0])[1]
        node = node.get(key) if isinstance(node, dict) else None
        if annotation is None:
            return False
    return False


def unknown_key(data: dict, dotted: str) -> str:
    """What is wrong with a key that names nothing: the first part that is not there, with a suggestion."""
    node: Any = data
    done: list[str] = []
    for part in dotted.split("."):
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return f"'{'.'.join([*done, part])}' is not an item of the list '{'.'.join(done)}' ({len(node)} items)"
            node = node[int(part)]
            done.append(part)
            continue
        if not isinstance(node, dict):
            return f"'{'.'.join(done)}' is a value, not a mapping of keys"
        if part == "*":
            node = next(iter(node.values()), None)
        elif part not in node:
            close = suggest(part, node)
            hint = f"; did you mean '{'.'.join([*done, close])}'?" if close else ""
            return f"'{'.'.join([*done, part])}' is not a key of the resolved scenario{hint}"
        else:
            node = node[part]
        done.append(part)
    return f"'{dotted}' names nothing in the scenario"
