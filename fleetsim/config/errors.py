"""Configuration errors: one readable paragraph naming the field, the value and what is allowed."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from fleetsim.config.alb import REMOVED
from fleetsim.config.faults import FAULT_KINDS, FAULT_MODELS


class ConfigError(ValueError):
    """A scenario, variant or override is invalid; the message speaks to the scenario author."""


def _fields_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str] | None:
    """Return the field names of the model reached by ``loc`` (None if it cannot be followed)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or not (
            isinstance(current, type) and issubclass(current, BaseModel)
        ):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = field.annotation
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return None


def _describe(error: dict[str, Any], model: type[BaseModel]) -> str:
    loc = tuple(error["loc"])
    # Discriminated unions put the tag in the location ("faults.0.az_outage.az"); users never
    # write it, so drop path parts that are not in their file.
    shown = [_clip(str(p), _MAX_VALUE_CHARS) for p in loc if not _is_tag(p)]
    field = ".".join(shown)
    kind = error["type"]
    if kind == "extra_forbidden":
        known = _fields_at(model, tuple(p for p in loc[:-1] if not _is_tag(p))) or []
        tags = [i for i, p in enumerate(loc[:-1]) if isinstance(p, str) and p in FAULT_MODELS]
        if tags:
            # Inside a fault: the union's tag says which fault model holds the unknown key.
            at = tags[-1]
            rest = tuple(p for p in loc[at + 1 : -1] if not _is_tag(p))
            known = _fields_at(FAULT_MODELS[str(loc[at])], rest) or []
        if field in REMOVED:
            return f"field {field!r} was removed: {REMOVED[field]}"
        unknown = str(loc[-1])
        # difflib is quadratic: a long key is no typo of a short one.
        guess = difflib.get_close_matches(unknown, known, n=1) if len(unknown) <= 100 else []
        hint = f"; did you mean {guess[0]!r}?" if guess else ""
        allowed = f" (allowed here: {', '.join(known)})" if known else ""
        return f"field {field!r} is not a known setting{hint}{allowed}"
    value = error.get("input")
    message = _clip(str(error["msg"]).removeprefix("Value error, ").rstrip("."), 400)
    if not field:
        return message
    if isinstance(value, dict | list):
        return f"field {field!r}: {message}"
    return f"field {field!r} = {_short(value)}: {message}"


_MAX_VALUE_CHARS = 60
#: At most this many problems are listed; the rest are counted.
_MAX_PROBLEMS = 5


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _short(value: object) -> str:
    # A message must stay one short paragraph even when the value is megabytes long.
    text = repr(value)
    if len(text) <= _MAX_VALUE_CHARS:
        return text
    return f"{text[: _MAX_VALUE_CHARS - 3]}... ({len(text):,} characters)"


_UNION_TAGS = {
    "constant",
    "spike",
    "step",
    "exponential",
    "uniform",
    "normal",
    "lognormal",
    "empirical",
    "geometric",
    *FAULT_KINDS,
    "ramp",
    "diurnal",
    "trace",
    "sum",
    "product",
    "target_tracking",
    "simple",
}


def _is_tag(part: object) -> bool:
    # pydantic names union members and wrapped validators in the location; users never write them.
    return isinstance(part, str) and (part in _UNION_TAGS or part.startswith("function-"))


def format_validation_error(
    exc: ValidationError, model: type[BaseModel], source: str | None = None
) -> ConfigError:
    """Turn a pydantic ``ValidationError`` into a one-paragraph :class:`ConfigError`.

    Args:
        exc: the error pydantic raised.
        model: the model that was being validated (used for "did you mean" hints).
        source: where the data came from (file name, variant), put first in the message.

    Returns:
        A ConfigError whose message names every failing field with its value and the rule.
    """
    parts = list(dict.fromkeys(_describe(dict(e), model) for e in exc.errors()))
    if len(parts) > _MAX_PROBLEMS:
        parts = [*parts[:_MAX_PROBLEMS], f"and {len(parts) - _MAX_PROBLEMS} more problem(s)"]
    prefix = f"{source}: " if source else ""
    return ConfigError(prefix + "; ".join(parts) + ".")
