"""Reading pydantic annotations: the types behind ``Annotated``, unions and root models, and a model's keys.

Both the strict loader (which keys are allowed where, for "did you mean") and the generated reference walk the
schema's types; they share these readers so the two walks cannot disagree.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, RootModel


def is_model(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, BaseModel)


def fields_by_key(model: type[BaseModel]) -> dict[str, Any]:
    return {(f.alias or name): f.annotation for name, f in model.model_fields.items()}


def members(annotation: Any, data: Any) -> list[Any]:
    """The types behind Annotated/Union/RootModel; of a union of models, the one the data's tag picks."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return members(get_args(annotation)[0], data)
    if origin is Union or origin is types.UnionType:
        found = [m for arg in get_args(annotation) if arg is not type(None) for m in members(arg, data)]
        tagged = [  # the member whose Literal field (its discriminator) matches the data
            m
            for m in found
            if is_model(m) and isinstance(data, dict)
            for key, ann in fields_by_key(m).items()
            if get_origin(ann) is Literal and key in data and data[key] in get_args(ann)
        ]
        return tagged or found
    if is_model(annotation) and issubclass(annotation, RootModel):
        return members(annotation.model_fields["root"].annotation, data)
    return [annotation]


def unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """Strip ``Annotated`` layers; return the bare type and the metadata found on the way."""
    metadata: list[Any] = []
    while get_origin(annotation) is Annotated:
        args = get_args(annotation)
        annotation = args[0]
        metadata.extend(args[1:])
    return annotation, metadata


def without_none(annotation: Any) -> tuple[Any, bool]:
    """``X | None`` -> (X, True); anything else unchanged."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) < len(get_args(annotation)) and len(args) == 1:
            return args[0], True
    return annotation, False
