"""Generate the scenario reference (``docs/scenario-reference.md``) from the pydantic schema.

The schema in :mod:`sim.scenario.schema` is the single source of truth: every key, its type, unit, default, range
and description. This module walks the :class:`~sim.scenario.schema.Scenario` model recursively and prints a
markdown reference, so the documentation cannot drift from the code (``tests/test_docs.py`` compares the
committed file with a fresh generation). Regenerate after changing the schema::

    PYTHONPATH=. python -m sim.scenario.reference > docs/scenario-reference.md

Key paths are dotted; ``<name>`` stands for a key the analyst chooses (or one of a fixed set, listed in the
type column) and ``[]`` for an item of a list.

Why this module is long: it is one generator, the walk of the schema with the few rules that turn each pydantic
type and constraint into words; split in two, each half would need the other's rules to be read.
"""

from __future__ import annotations

import datetime as dt
import re
import types
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from sim.scenario import distributions
from sim.scenario.annotations import is_model, unwrap, without_none
from sim.scenario.limits import LIMITS
from sim.scenario.policy_paths import RUN_LEVEL_KEYS
from sim.scenario.schema import Scenario

DISTRIBUTION_FAMILIES: tuple[type[BaseModel], ...] = (
    distributions.Fixed,
    distributions.Exponential,
    distributions.Lognormal,
    distributions.Gamma,
    distributions.Weibull,
    distributions.Triangular,
    distributions.Uniform,
    distributions.Empirical,
)
"""The families a ``Distribution`` field accepts, in the order the schema's union lists them."""

DISTRIBUTION_EXAMPLES = {
    "fixed": "`14` or `{dist: fixed, value: 14}`",
    "exponential": "`{dist: exponential, mean: 540}`",
    "lognormal": "`{dist: lognormal, median: 84, sigma: 0.5}` or `{dist: lognormal, mean: 95, sd: 50}`",
    "gamma": "`{dist: gamma, mean: 9, sd: 5}` or `{dist: gamma, shape: 3.2, scale: 2.8}`",
    "weibull": "`{dist: weibull, shape: 1.5, scale: 100}`",
    "triangular": "`{dist: triangular, low: 42, mode: 56, high: 84}`",
    "uniform": "`{dist: uniform, low: 90, high: 1825}`",
    "empirical": "`{dist: empirical, values: [20, 35, 41]}` or "
    "`{dist: empirical, bin_edges: [0, 1, 5], weights: [0.3, 0.7]}`",
}

NO_DESCRIPTION = "*No description in the schema yet.*"


@dataclass(frozen=True)
class Row:
    """One key of the reference."""

    path: str
    type: str
    unit: str
    default: str
    constraints: str
    description: str
    own_description: bool  # False when the description came from the block's class docstring, or is missing


# ---------------------------------------------------------------------------------------------- type helpers
def _is_distribution(annotation: Any) -> bool:
    bare, _ = unwrap(annotation)
    if get_origin(bare) not in (Union, types.UnionType):
        return False
    members = {unwrap(a)[0] for a in get_args(bare)}
    return set(DISTRIBUTION_FAMILIES) <= members


def _flatten_metadata(metadata: list[Any]) -> list[Any]:
    """Constraint objects from Annotated metadata, opening FieldInfo and GroupedMetadata containers."""
    out: list[Any] = []
    for item in metadata:
        if isinstance(item, FieldInfo):
            out.extend(_flatten_metadata(list(item.metadata)))
        elif isinstance(item, annotated_types.GroupedMetadata):
            out.extend(_flatten_metadata(list(item)))
        else:
            out.append(item)
    return out


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, int) and value >= 2**32:
        exponent = value.bit_length() - 1
        return f"2^{exponent}" if value == 2**exponent else str(value)
    return str(value)


NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"


def _constraints(metadata: list[Any], bare: Any = None) -> list[str]:
    """Readable range and length constraints, e.g. '>= 0', '<= 1', 'at least 1 item', '1 to 80 characters'."""
    items = _flatten_metadata(metadata)
    if bare is str:
        return _text_constraints(items)
    out: list[str] = []
    for item in items:
        if isinstance(item, annotated_types.Gt):
            out.append(f"> {_number(item.gt)}")
        elif isinstance(item, annotated_types.Ge):
            out.append(f">= {_number(item.ge)}")
        elif isinstance(item, annotated_types.Lt):
            out.append(f"< {_number(item.lt)}")
        elif isinstance(item, annotated_types.Le):
            out.append(f"<= {_number(item.le)}")
        elif isinstance(item, annotated_types.MinLen):
            out.append(f"at least {item.min_length} {'item' if item.min_length == 1 else 'items'}")
        elif isinstance(item, annotated_types.MaxLen):
            out.append(f"at most {item.max_length} items")
        elif getattr(item, "pattern", None):
            out.append(f"matches `{item.pattern}`")
    return out


def _text_constraints(items: list[Any]) -> list[str]:
    shortest = next((i.min_length for i in items if isinstance(i, annotated_types.MinLen)), None)
    longest = next((i.max_length for i in items if isinstance(i, annotated_types.MaxLen)), None)
    pattern = next((i.pattern for i in items if getattr(i, "pattern", None)), None)
    out: list[str] = []
    if pattern == NAME_PATTERN and shortest == 1 and longest == 80:
        return ["a name"]
    if pattern:
        out.append(f"matches `{pattern}`")
    if shortest and longest:
        out.append(f"{shortest} to {longest} characters")
    elif longest:
        out.append(f"at most {longest} characters")
    elif shortest:
        out.append(f"at least {shortest} {'character' if shortest == 1 else 'characters'}")
    return out


def _describe_type(annotation: Any) -> str:
    """A short human name for a type: 'number', 'date', 'mapping of <name> to number', 'distribution' ..."""
    bare, _ = unwrap(annotation)
    bare, nullable = without_none(bare)
    bare, _ = unwrap(bare)
    suffix = " or null" if nullable else ""
    if _is_distribution(bare):
        return "[distribution](#distributions)" + suffix
    origin = get_origin(bare)
    if origin is Literal:
        return "one of " + ", ".join(f"`{a}`" for a in get_args(bare)) + suffix
    if origin is dict:
        key, value = get_args(bare)
        return f"mapping of {_describe_key(key)} to {_describe_type(value)}{suffix}"
    if origin is list:
        (item,) = get_args(bare)
        return f"list of {_describe_type(item)}{suffix}"
    if is_model(bare):
        return "mapping" + suffix
    simple = {bool: "true/false", int: "integer", float: "number", str: "text", dt.date: "date (YYYY-MM-DD)"}
    if bare in simple:
        return simple[bare] + suffix
    if bare is Any:
        return "any value"
    if origin in (Union, types.UnionType):  # e.g. a count of court centres, or the centres by name
        return " or ".join(_describe_type(member) for member in get_args(bare)) + suffix
    return str(bare) + suffix


def _describe_key(annotation: Any) -> str:
    bare, metadata = unwrap(annotation)
    if get_origin(bare) is Literal:
        return "`<name>` (" + ", ".join(f"`{a}`" for a in get_args(bare)) + ")"
    if bare is str:
        limits = _constraints(metadata, str)
        return "`<name>` (" + (", ".join(limits) if limits else "text") + ")"
    limits = _constraints(metadata, bare)
    kind = _describe_type(bare)
    return f"`<name>` ({kind}{', ' + ', '.join(limits) if limits else ''})"


def unit_of(name: str) -> str:
    """The unit a key's name declares by its suffix (the schema puts units in names)."""
    if name.endswith("_per_year"):
        return "per year"
    if name.endswith("_hours_per_day"):
        return "hours per day"
    for suffix, unit in (("_days", "days"), ("_hours", "hours"), ("_years", "years")):
        if name.endswith(suffix):
            return unit
    if (
        name in ("share", "shares")
        or name.startswith("share_")
        or name.endswith(("_share", "_shares", "_probability"))
        or "_share_" in name
        or "probability" in name
    ):
        return "share (0 to 1)"
    return ""


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
    else:
        value = field.default
    if value is PydanticUndefined:
        return "required"
    if isinstance(value, BaseModel):
        return "see keys below"
    if value is None:
        return "`null`"
    if isinstance(value, list | dict) and not value:
        return "`[]`" if isinstance(value, list) else "`{}`"
    if isinstance(value, list) and len(set(value)) == 1 and len(value) > 3:
        return f"`{_number(value[0])}` x {len(value)}"
    if isinstance(value, list):
        return "`[" + ", ".join(_number(v) for v in value) + "]`"
    if isinstance(value, str):
        return f'`"{value}"`' if value else '`""`'
    return f"`{_number(value)}`"


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell: one line, pipes escaped, angle brackets kept out of HTML."""
    parts = re.sub(r"\s+", " ", text).replace("|", "\\|").strip().split("`")
    for i in range(0, len(parts), 2):  # outside code spans
        parts[i] = re.sub(r"<(?=[A-Za-z/!?])", "&lt;", parts[i])
    return "`".join(parts)


def _doc(model: Any) -> str:
    doc = model.__dict__.get("__doc__") if isinstance(model, type) else None
    return " ".join(doc.split()) if doc else ""


def _block_doc(annotation: Any) -> str:
    """The docstring of the block a field holds, directly or as the values of a mapping or list."""
    bare, _ = unwrap(annotation)
    bare, _ = without_none(bare)
    bare, _ = unwrap(bare)
    if is_model(bare):
        return _doc(bare)
    if get_origin(bare) in (dict, list) and not _is_distribution(bare):
        return _block_doc(get_args(bare)[-1])
    return ""


# ---------------------------------------------------------------------------------------------- the walk
def _container_rows(path: str, annotation: Any, unit: str) -> list[Row]:
    """Rows under a value: the keys of a block, or the items of a mapping or list."""
    bare, _ = unwrap(annotation)
    bare, _ = without_none(bare)
    bare, _ = unwrap(bare)
    if _is_distribution(bare):
        return []
    origin = get_origin(bare)
    if is_model(bare):
        return walk(bare, path + ".")
    if origin is dict:
        key, value = get_args(bare)
        return _element_rows(f"{path}.<name>", value, unit)
    if origin is list:
        (item,) = get_args(bare)
        return _element_rows(f"{path}[]", item, unit)
    return []


def _element_rows(path: str, annotation: Any, unit: str) -> list[Row]:
    """A row for a mapping value or list item only when it is itself a block or a container."""
    bare, _ = unwrap(annotation)
    bare, _ = without_none(bare)
    bare, _ = unwrap(bare)
    if is_model(bare):
        return walk(bare, path + ".")
    if get_origin(bare) in (dict, list):
        return _container_rows(path, bare, unit)
    return []


def walk(model: type[BaseModel], prefix: str = "") -> list[Row]:
    """Every key of ``model`` and of the blocks under it, depth first, in schema order."""
    rows: list[Row] = []
    for name, field in model.model_fields.items():
        key = field.alias or name
        path = prefix + key
        annotation = field.annotation
        metadata = list(field.metadata)
        bare, inner = unwrap(annotation)
        bare, _ = without_none(bare)
        bare, more = unwrap(bare)
        constraints = _constraints(metadata + inner + more, bare)
        description = (field.description or "").strip()
        own = bool(description)
        if not description:
            description = _block_doc(annotation)
        rows.append(
            Row(
                path=path,
                type=_describe_type(annotation),
                unit=unit_of(key),
                default=_default(field),
                constraints=", ".join(constraints),
                description=description or NO_DESCRIPTION,
                own_description=own,
            )
        )
        rows.extend(_container_rows(path, annotation, unit_of(key)))
    return rows


def undescribed_fields() -> list[str]:
    """Key paths of schema fields with no description of their own (the class docstring may stand in)."""
    paths = [r.path for r in walk(Scenario) if not r.own_description]
    paths += [
        f"{{dist: {_dist_name(family)}}}.{field.alias or name}"
        for family in DISTRIBUTION_FAMILIES
        for name, field in family.model_fields.items()
        if name != "dist" and not (field.description or "").strip()
    ]
    return paths


# ---------------------------------------------------------------------------------------------- rendering
def _dist_name(family: type[BaseModel]) -> str:
    return get_args(family.model_fields["dist"].annotation)[0]


def _table(rows: list[Row]) -> list[str]:
    lines = ["| key | type | unit | default | range | description |", "|---|---|---|---|---|---|"]
    for r in rows:
        cells = [f"`{r.path}`", r.type, r.unit, r.default, r.constraints, r.description]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def _distribution_section() -> list[str]:
    lines = [
        "## Distributions",
        "",
        "Every duration, notice period, age or delay marked [distribution](#distributions) above takes either a "
        "bare number (a fixed value) or a mapping whose `dist` key names the family. Parameters are in the unit "
        "of the key (a `*_days` key takes days). Each family checks its own parameters, so a mistake is "
        "reported at its line. A value is the inverse distribution function at a uniform draw keyed to the case "
        "and the key, so two scenarios that differ elsewhere draw the same durations for the same case (common "
        "random numbers), and a longer distribution gives a longer value at the same draw. A distribution's mean "
        "(or fixed value) is at most 36,525 in the key's unit, and each draw is cut there ([Limits](#limits)).",
        "",
    ]
    for family in DISTRIBUTION_FAMILIES:
        name = _dist_name(family)
        lines += [f"### `{name}`", "", _doc(family), "", f"Example: {DISTRIBUTION_EXAMPLES.get(name, '')}", ""]
        lines += ["| parameter | type | default | range | description |", "|---|---|---|---|---|"]
        for field_name, field in family.model_fields.items():
            if field_name == "dist":
                continue
            key = field.alias or field_name
            bare, inner = unwrap(field.annotation)
            bare, _ = without_none(bare)
            bare, more = unwrap(bare)
            constraints = _constraints(list(field.metadata) + inner + more, bare)
            default = "required" if field.is_required() else "optional"
            cells = [
                f"`{key}`",
                _describe_type(field.annotation),
                default,
                ", ".join(constraints),
                (field.description or "").strip() or NO_DESCRIPTION,
            ]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        lines.append("")
    return lines


def _limits_section() -> list[str]:
    lines = [
        "## Limits",
        "",
        "A scenario that validates must run to the end. These bounds refuse, when the file is loaded and before "
        "anything is written, what the model could not run; each is reported with its file, line and key "
        "(`sim/scenario/limits.py`).",
        "",
        "| what | limit | why |",
        "|---|---|---|",
    ]
    lines += [f"| {_cell(limit.what)} | {_cell(limit.bound)} | {_cell(limit.why)} |" for limit in LIMITS]
    return [*lines, ""]


def render() -> str:
    """The whole reference as markdown."""
    rows = walk(Scenario)
    top = [r for r in rows if "." not in r.path and "[" not in r.path]
    blocks = [r for r in top if r.type.startswith(("mapping", "list"))]
    scalars = [r for r in top if r not in blocks]
    lines = [
        "# Scenario reference",
        "",
        "<!-- Generated by `PYTHONPATH=. python -m sim.scenario.reference > docs/scenario-reference.md`; "
        "do not edit by "
        "hand. tests/test_docs.py fails when this file differs from a fresh generation. -->",
        "",
        "Every key a scenario file can set, generated from the schema in `sim/scenario/schema.py`. " + _doc(Scenario),
        "",
        "- **key**: the dotted path of the key. `<name>` stands for a key you choose (a region, an outcome, an "
        "attribute) or one of a fixed set listed in the type column; `[]` stands for an item of a list.",
        "- **a name** (for keys you choose and for labels) starts with a letter, then letters, digits or `_`, "
        "at most 80 characters: `north_west`, `care_order`, `under_1`.",
        "- **unit**: read from the key's name (`_days`, `_hours`, `_years`, `_per_year`, `_share`, "
        "`probability`); a share is a number from 0 to 1.",
        "- **default**: `required` keys must be given (by the file or the scenario it `extends:`); the others "
        "take the default shown.",
        "- Unknown keys are errors, so a typo is reported with its file and line, not silently ignored.",
        "- Policies (`policies[]`) change any key below by its dotted path from a date, e.g. "
        "`regions.wales.cafcass.long_term_advisers`, except the keys that hold for the whole run: "
        + ", ".join(f"`{key}`" for key in RUN_LEVEL_KEYS)
        + ".",
        "",
        "## Contents",
        "",
        "- [Top level](#top-level)",
    ]
    lines += [f"- [`{r.path}`](#{r.path})" for r in blocks]
    lines += ["- [Distributions](#distributions)", "- [Limits](#limits)", "", "## Top level", ""]
    lines += _table(scalars)
    lines.append("")
    for block in blocks:
        lines += [f"## {block.path}", ""]
        inside = (block.path + ".", block.path + "[")
        lines += _table([r for r in rows if r.path == block.path or r.path.startswith(inside)])
        lines.append("")
    lines += _distribution_section()
    lines += _limits_section()
    return "\n".join(lines).rstrip("\n") + "\n"


def main() -> None:
    """Print the reference to standard output."""
    print(render(), end="")


if __name__ == "__main__":
    main()
