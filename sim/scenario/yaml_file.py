"""Strict loading of YAML scenario files, keeping the file and line of every value.

Scenario files are written by hand by analysts, so a mistake must come back as "file:line: key: what is
wrong" for every problem at once, never as a traceback or a silently different value. PyYAML's defaults are
too lenient for that (duplicate keys win silently, ``no`` becomes False, dates become objects, arbitrary
tags may run code), so the file is composed with a restricted loader and turned into plain values here.

Why this module is long: reading a file is one pass, from its bytes through YAML 1.2 scalars and the walk that
keeps every line to the ``extends`` chain and the problems it reports, with the mapping of pydantic's errors
back to those lines; which files may be read at all is in :mod:`sim.scenario.files`.
"""

from __future__ import annotations

import difflib
import functools
import math
import operator
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, get_args, get_origin

import pydantic
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sim.scenario.annotations import fields_by_key, is_model, members
from sim.scenario.files import inside, not_a_file, read_bytes, scenario_roots, withhold

MAX_NODES = 200_000
"""Values allowed in a file after alias expansion: far above any real scenario, far below a billion laughs."""

KeyPath = tuple[str | int, ...]
_YAML = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_YAML + t for t in ("str", "int", "float", "bool", "null")}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, located precisely enough to fix it without searching."""

    file: str
    line: int | None
    key_path: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.key_path}: {self.message}" if self.key_path else f"{where}: {self.message}"


class ScenarioError(Exception):
    """One or more problems in scenario files; str() lists every problem, one per line."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = list(problems)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


@dataclass
class SourceTree:
    """The merged scenario data plus where each value came from, so later checks can point at lines."""

    data: dict
    files: list[str]
    locations: dict[KeyPath, tuple[str, int]] = field(default_factory=dict)

    def locate(self, key_path: tuple[str | int, ...]) -> tuple[str, int | None]:
        """(file, line) of the deepest existing prefix of key_path; the top file and line 1 if none exists."""
        for end in range(len(key_path), 0, -1):
            found = self.locations.get(tuple(key_path[:end]))
            if found is not None:
                return found
        return (self.files[0] if self.files else "", 1)


def format_key_path(key_path: tuple[str | int, ...]) -> str:
    """("a", "b", 2, "c") -> "a.b[2].c", the form people search for in the file."""
    out = ""
    for part in key_path:
        out += f"[{part}]" if isinstance(part, int) and not isinstance(part, bool) else f".{part}"
    return out.lstrip(".")


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate (difflib, cutoff about 0.6) or None."""
    names = [c for c in candidates if isinstance(c, str)]
    matches = difflib.get_close_matches(str(word), names, n=1, cutoff=0.6)
    return matches[0] if matches else None


_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
"""YAML 1.2 core schema integers: decimal (a leading zero is still decimal), 0o octal and 0x hexadecimal."""
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
"""YAML 1.2 core schema floats: ``1e9`` is a number (YAML 1.1 wanted ``1.0e+9``); no base 60, no underscores."""


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans and numbers and no implicit dates, changed on this subclass only.

    YAML 1.1 (PyYAML's default) reads ``no`` as False, ``21:00`` as 1260 (base 60), ``012`` as 10 (octal) and
    ``1_000`` as 1000; YAML 1.2's core schema reads the first two as words, ``012`` as 12 and ``1_000`` as a
    word, so a value means what it says or is reported, never a silently different number.
    """

    yaml_implicit_resolvers = {
        first: [
            (tag, rx)
            for tag, rx in resolvers
            if tag[len(_YAML) :] not in ("bool", "int", "float", "timestamp", "value")
        ]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_yaml_int(self, node: ScalarNode) -> int:
        text = str(self.construct_scalar(node))
        if not _INT.match(text):
            raise ValueError("not a YAML 1.2 integer (digits, 0o octal or 0x hexadecimal)")
        if text[:2] in ("0o", "0x"):
            return int(text[2:], 8 if text[1] == "o" else 16)
        return int(text, 10)

    def construct_yaml_float(self, node: ScalarNode) -> float:
        text = str(self.construct_scalar(node))
        if not (_FLOAT.match(text) or _INT.match(text)):
            raise ValueError("not a YAML 1.2 number")
        if text.lstrip("+-").lower() == ".inf":
            return -math.inf if text.startswith("-") else math.inf
        if text.lower() == ".nan":
            return math.nan
        return float(int(text, 0 if text[:2] in ("0o", "0x") else 10) if _INT.match(text) else text)


_StrictLoader.add_implicit_resolver(_YAML + "bool", re.compile("^(?:true|false)$", re.I), list("tTfF"))
_StrictLoader.add_implicit_resolver(_YAML + "int", _INT, list("-+0123456789"))
_StrictLoader.add_implicit_resolver(_YAML + "float", _FLOAT, list("-+0123456789."))
_StrictLoader.add_constructor(_YAML + "int", _StrictLoader.construct_yaml_int)
_StrictLoader.add_constructor(_YAML + "float", _StrictLoader.construct_yaml_float)


class _TooBig(Exception):
    """Raised inside the walk to abandon a document that explodes through aliases."""


class _Walker:
    """Turns a composed node graph into plain values, recording lines and collecting every problem."""

    def __init__(self, loader: _StrictLoader, file: str) -> None:
        self.loader, self.file = loader, file
        self.problems: list[Problem] = []
        self.lines: dict[KeyPath, int] = {}
        self.count = 0
        self.active: set[int] = set()

    def problem(self, node: Node, path: KeyPath, message: str) -> None:
        self.problems.append(Problem(self.file, node.start_mark.line + 1, format_key_path(path), message))

    def value(self, node: Node, path: KeyPath) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooBig
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        if id(node) in self.active:
            self.problem(node, path, "an alias refers to a value that contains it (recursive anchors)")
            return None
        expected = _YAML + ("map" if isinstance(node, MappingNode) else "seq")
        if node.tag != expected:
            self.problem(node, path, _refused(node.tag))
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                items = []
                for i, item in enumerate(node.value):
                    self.lines[path + (i,)] = item.start_mark.line + 1
                    items.append(self.value(item, path + (i,)))
                return items
            return self.mapping(node, path)
        finally:
            self.active.discard(id(node))

    def scalar(self, node: ScalarNode, path: KeyPath) -> Any:
        if node.tag == _YAML + "merge":
            return node.value
        try:
            if node.tag in _SCALAR_TAGS:
                return self.loader.construct_object(node, deep=True)
            self.problem(node, path, _refused(node.tag))
        except (yaml.YAMLError, ValueError) as exc:
            self.problem(node, path, f"cannot read {node.value!r} as {node.tag.replace(_YAML, '!!')}: {exc}")
        return None

    def mapping(self, node: MappingNode, path: KeyPath) -> dict:
        result: dict = {}
        for key_node, value_node in node.value:  # `<<: *defaults` first, so explicit keys override it
            if key_node.tag == _YAML + "merge":
                sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                for source in reversed(sources):  # earlier sources take precedence
                    merged = self.value(source, path)
                    if isinstance(merged, dict):
                        result.update(merged)
                    elif merged is not None:
                        self.problem(source, path, "'<<' must be followed by a mapping or a list of mappings")
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _YAML + "merge":
                continue
            line, before = key_node.start_mark.line + 1, len(self.problems)
            key = self.value(key_node, path) if isinstance(key_node, ScalarNode) else ...
            if len(self.problems) > before:  # a refused tag or unreadable scalar, already reported
                continue
            if key is ... or key is None or isinstance(key, bool | float):
                found = {MappingNode: "a mapping", SequenceNode: "a list"}.get(type(key_node), key_node.value)
                self.problem(key_node, path, f"keys must be words, found {found or 'an empty key'}")
                continue
            if key in seen:
                self.problem(key_node, path + (key,), f"duplicate key {key!r} (first on line {seen[key]})")
                continue
            seen[key] = line
            self.lines[path + (key,)] = line
            result[key] = self.value(value_node, path + (key,))
        return result


def _refused(tag: str) -> str:
    return f"the tag '{tag.replace(_YAML, '!!')}' is not allowed; scenario files hold plain values only"


def _read_one(file: str, max_bytes: int) -> tuple[dict | None, dict[KeyPath, int], list[Problem]]:
    """Read and walk one file; data is None when nothing usable could be read."""

    def fail(message: str, line: int | None = None) -> tuple[None, dict, list[Problem]]:
        return None, {}, [Problem(file, line, "", message)]

    raw = read_bytes(file, max_bytes)
    if isinstance(raw, str):
        return fail(raw)
    if b"\x00" in raw:
        return fail("not a text file (contains NUL bytes)", raw.count(b"\n", 0, raw.index(b"\x00")) + 1)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return fail("not a text file (not valid UTF-8)", raw.count(b"\n", 0, exc.start) + 1)
    try:
        loader = _StrictLoader(text)
        root = loader.get_single_node()
        if root is None or (isinstance(root, ScalarNode) and root.tag == _YAML + "null" and not root.value):
            return fail("the file is empty")
        if not isinstance(root, MappingNode):
            return fail("the top level must be a mapping of keys to values", root.start_mark.line + 1)
        walker = _Walker(loader, file)
        try:
            return walker.value(root, ()), walker.lines, walker.problems
        except _TooBig:
            too_big = f"the file expands to more than {MAX_NODES} values through aliases (anchors and *refs)"
            return None, {}, [*walker.problems, Problem(file, None, "", too_big)]
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
        return fail(f"YAML syntax error: {exc.problem or exc.context or exc}", line)
    except yaml.reader.ReaderError as exc:
        where = text.count("\n", 0, exc.position) + 1
        return fail(f"not a text file (contains the control character U+{exc.character:04X})", where)
    except yaml.YAMLError as exc:
        return fail(f"YAML error: {exc}")
    except RecursionError:
        return fail("the file is nested too deeply")


def _deep_merge(base: dict, over: dict) -> dict:
    """Mappings merge key by key; anything else in `over` (lists, scalars, null) replaces wholesale.

    A distribution of another family (a different ``dist``) replaces the old one whole: its parameters do
    not mix with those of the family it replaces.
    """
    out = dict(base)
    for key, value in over.items():
        old = out.get(key)
        both = isinstance(value, dict) and isinstance(old, dict)
        if both and "dist" in value and value.get("dist") != old.get("dist"):
            both = False
        out[key] = _deep_merge(old, value) if both else value
    return out


def _load_chain(
    file: str,
    chain: list[tuple[str, str]],
    roots: list[str],
    max_bytes: int,
    files: list[str],
    problems: list[Problem],
) -> tuple[dict, dict[KeyPath, tuple[str, int]]] | None:
    """Load `file` and whatever it extends; returns merged data and locations, or None if unreadable."""
    files.append(file)
    data, lines, found = _read_one(file, max_bytes)
    problems.extend(found)
    if data is None:
        return None
    locations = {p: (file, line) for p, line in lines.items()}
    if "extends" not in data:
        return data, locations
    target = data.pop("extends")
    line = lines.get(("extends",))

    def refuse(message: str) -> tuple[dict, dict[KeyPath, tuple[str, int]]]:
        problems.append(Problem(file, line, "extends", message))
        return data, locations

    if not isinstance(target, str) or not target.strip():
        return refuse(f"must name another scenario file, found {target!r}")
    base_file = os.path.normpath(os.path.join(os.path.dirname(file), target))
    if not inside(base_file, roots):  # checked first: nothing outside the roots is read, or even looked for
        return refuse(
            f"{base_file} is outside the folders a scenario may read ({', '.join(roots)}): run from a folder that "
            "holds it, or name its folder with --allow-root DIR"
        )
    here = chain + [(file, os.path.realpath(file))]  # realpath, unlike Path.resolve, never raises on a link loop
    if any(resolved == os.path.realpath(base_file) for _, resolved in here):
        return refuse("loop: " + " -> ".join([name for name, _ in here] + [base_file]))
    problem = not_a_file(base_file)
    if problem == "file not found":
        return refuse(f"file not found: {base_file}")
    if problem:
        return refuse(f"{base_file}: {problem}")
    base = _load_chain(base_file, here, roots, max_bytes, files, problems)
    if base is None:
        return data, locations
    return _deep_merge(base[0], data), {**base[1], **locations}


def _paths(value: Any, path: KeyPath = ()) -> Iterable[KeyPath]:
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        yield path + (key,)
        yield from _paths(child, path + (key,))


def _sort(problems: list[Problem], files: list[str]) -> list[Problem]:
    order = {name: i for i, name in reversed(list(enumerate(files)))}
    return sorted(problems, key=lambda p: (order.get(p.file, len(files)), p.file, p.line or 0))


def withhold_values(error: ScenarioError, named: str, keep: Iterable[str] = ()) -> ScenarioError:
    """The error with no value quoted from a file the user did not name (one reached through ``extends``).

    See :func:`sim.scenario.files.withhold`: a scenario that extends a file of secrets must not print them.
    """
    return ScenarioError(
        [
            p
            if p.file == named
            else Problem(p.file, p.line, p.key_path, withhold(p.message, set(keep) | _key_words(p.key_path)))
            for p in error.problems
        ]
    )


def _key_words(key_path: str) -> set[str]:
    """The keys of a dotted path: already shown with the problem, so no secret to withhold."""
    return {part for part in re.split(r"[.\[\]]", key_path) if part}


def load_tree(path: str | Path, max_bytes: int = 1_048_576, roots: Iterable[str | Path] = ()) -> SourceTree:
    """Read a scenario YAML file strictly, following `extends`; raise ScenarioError listing every problem.

    ``extends`` may read only inside :func:`sim.scenario.files.scenario_roots` of this file plus ``roots``.
    """
    files: list[str] = []
    problems: list[Problem] = []
    loaded = _load_chain(str(path), [], scenario_roots(path, roots), max_bytes, files, problems)
    if problems or loaded is None:
        unique = {(p.file, p.line, p.message): p for p in reversed(problems)}  # aliases repeat problems
        raise withhold_values(ScenarioError(_sort(list(unique.values())[::-1], files)), str(path))
    data, locations = loaded
    tree = SourceTree(data, files)
    tree.locations = {p: locations[p] for p in _paths(data) if p in locations}
    tree.locations[()] = (files[0], 1)
    return tree


def _allowed_keys(root_model: type[pydantic.BaseModel], key_path: KeyPath, data: Any) -> set[str]:
    """Field names allowed where key_path points, found by walking the model types alongside the data."""
    types_here: list[Any] = [root_model]
    for part in key_path:
        next_types: list[Any] = []
        for t in [m for here in types_here for m in members(here, data)]:
            origin = get_origin(t)
            if is_model(t) and part in fields_by_key(t):
                next_types.append(fields_by_key(t)[part])
            elif isinstance(origin, type) and issubclass(origin, Mapping) and len(get_args(t)) == 2:
                next_types.append(get_args(t)[1])
            elif isinstance(origin, type) and issubclass(origin, Sequence) and get_args(t):
                next_types.append(get_args(t)[0])
        types_here = next_types
        data = data[part] if isinstance(data, dict | list) else None
    return {name for t in types_here for m in members(t, data) if is_model(m) for name in fields_by_key(m)}


def _clean_loc(loc: tuple, data: Any) -> KeyPath:
    """The loc entries that are real keys or indices of the data, dropping union tags and validator names."""
    path: list[str | int] = []
    for part in loc:
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if in_list or (isinstance(data, dict) and part in data):
            data = data[part]
            path.append(part)
    return tuple(path)


Model = TypeVar("Model", bound=pydantic.BaseModel)


def load_validated(path: str | Path, model: type[Model]) -> tuple[SourceTree, Model]:
    """A YAML file read as ``model``; every problem, with file, line and key, raised as one ScenarioError."""
    tree = load_tree(path)
    try:
        return tree, model.model_validate(tree.data)
    except pydantic.ValidationError as err:
        raise problems_from_validation_error(err, tree, model) from None


def problems_from_validation_error(
    err: pydantic.ValidationError, tree: SourceTree, root_model: type[pydantic.BaseModel]
) -> ScenarioError:
    """Every pydantic error as a Problem with file, line and key path; unknown keys get a did-you-mean."""
    problems = []
    for error in err.errors(include_url=False):
        loc, kind = tuple(error.get("loc", ())), error.get("type", "")
        path = _clean_loc(loc, tree.data)
        if kind == "extra_forbidden" and path:
            message = f"unknown key {path[-1]!r}"
            try:
                parent = functools.reduce(operator.getitem, path[:-1], tree.data)
                # A key the same file already sets is no suggestion; one set by the extended file may be the
                # very key this file meant to override.
                here = tree.locate(path)[0]
                taken = {k for k in parent if tree.locations.get((*path[:-1], k), ("",))[0] == here}
                close = suggest(str(path[-1]), _allowed_keys(root_model, path[:-1], tree.data) - taken)
            except Exception:  # best effort: a type we cannot walk just loses the suggestion
                close = None
            message += f"; did you mean {close!r}?" if close else ""
        elif kind == "missing" and loc:
            message = f"missing required key {loc[-1]!r}"
        else:
            message = re.sub(r"^(Value error|Assertion failed), ", "", error.get("msg", ""))
            value = error.get("input")
            if value is None or isinstance(value, str | int | float | bool):
                text = repr(value)
                message += f" (got {text if len(text) <= 60 else text[:57] + '...'})"
        file, line = tree.locate(path)
        problems.append(Problem(file, line, format_key_path(path), message))
    return ScenarioError(_sort(problems, tree.files))
