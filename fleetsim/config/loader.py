"""Loading scenarios: YAML files or packaged names, variants and dotted overrides.

A scenario is read as plain data, a variant's overrides and then the caller's ``--set`` overrides
are applied to that data (``"asg.min_size=4"`` sets ``asg: {min_size: 4}``), and only then is the
result validated — so an override is checked exactly like the file, and an error names the field.
"""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from fleetsim.config.errors import ConfigError, format_validation_error
from fleetsim.config.models import Scenario
from fleetsim.config.safe_yaml import MAX_OVERRIDE_CHARS, load_yaml, read_text_file


def packaged_scenarios() -> dict[str, str]:
    """Return the scenarios shipped with fleetsim: name → first comment line (the question)."""
    out: dict[str, str] = {}
    folder = resources.files("fleetsim") / "data" / "scenarios"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            first = entry.read_text().splitlines()[0] if entry.read_text() else ""
            out[entry.name.removesuffix(".yaml")] = first.lstrip("# ").strip()
    return out


def _base_dir(source: str | Path | dict[str, Any]) -> str | None:
    # Relative paths inside a scenario (trace files) are relative to the scenario file.
    if isinstance(source, str | Path) and Path(source).is_file():
        return str(Path(source).resolve().parent)
    return None


def _read(source: str | Path) -> tuple[dict[str, Any], str]:
    path = Path(source)
    if path.is_file():
        label = str(source)
        text = read_text_file(path, label)
    else:
        name = str(source).removesuffix(".yaml")
        entry = resources.files("fleetsim") / "data" / "scenarios" / f"{name}.yaml"
        if not entry.is_file():
            known = ", ".join(packaged_scenarios())
            raise ConfigError(
                f"scenario {str(source)!r} is neither a file nor a packaged scenario "
                f"(packaged: {known})."
            )
        text, label = entry.read_text(), f"{name} (packaged)"
    data = load_yaml(text, label)
    if not isinstance(data, dict):
        raise ConfigError(f"{label}: a scenario must be a YAML mapping, got {type(data).__name__}.")
    return data, label


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``"key.path=value"`` into the dotted key and the value parsed as YAML.

    Raises:
        ConfigError: if there is no ``=`` or no key, or the value is not YAML or too large.
    """
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise ConfigError(
            f"override {shown!r} must look like key.path=value (e.g. asg.min_size=4)."
        )
    key = key.strip()
    if len(raw) > MAX_OVERRIDE_CHARS:
        raise ConfigError(
            f"override {key!r}: the value is {len(raw):,} characters, more than the "
            f"{MAX_OVERRIDE_CHARS:,} allowed."
        )
    return key, load_yaml(raw, f"override {key!r}") if raw.strip() else ""


def _index(node: list[Any], part: str, key: str) -> int:
    if not part.isdigit() or int(part) >= len(node):
        raise ConfigError(
            f"override {key!r}: {part!r} is not an index of a list of {len(node)} item(s) "
            f"(use 0 to {len(node) - 1})."
            if node
            else f"override {key!r}: {part!r} indexes an empty list."
        )
    return int(part)


def apply_override(data: dict[str, Any], key: str, value: Any) -> None:
    """Set a dotted ``key`` in nested dicts, creating levels as needed; list indices allowed.

    Raises:
        ConfigError: if a level of the key is not a section or a list index is out of range.
    """
    parts = str(key).split(".")
    if not all(parts):
        raise ConfigError(f"override {key!r}: empty part in the dotted key.")
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        nxt: Any
        if isinstance(node, list):
            node = node[_index(node, part, key)]
            continue
        nxt = node.get(part)
        if nxt is None:
            nxt = [] if parts[i + 1].isdigit() else {}
            node[part] = nxt
        if not isinstance(nxt, dict | list):
            raise ConfigError(f"override {key!r}: {'.'.join(parts[: i + 1])!r} is not a section.")
        node = nxt
    last = parts[-1]
    if isinstance(node, list):
        node[_index(node, last, key)] = value
    else:
        node[last] = value


def _variants_of(data: dict[str, Any], label: str) -> dict[str, dict[str, Any]]:
    """Return the file's ``variants`` section, checked to be a mapping of mappings."""
    variants = data.get("variants") or {}
    if not isinstance(variants, dict):
        raise ConfigError(
            f"{label}: field 'variants' must be a mapping of variant name to overrides, got "
            f"{type(variants).__name__}."
        )
    for name, overrides in variants.items():
        if overrides is not None and not isinstance(overrides, dict):
            raise ConfigError(
                f"{label}: variant {str(name)[:60]!r} must be a mapping of dotted keys to "
                f"values (e.g. asg.min_size: 4), got {type(overrides).__name__}."
            )
    return variants


def load_scenario(
    source: str | Path | dict[str, Any],
    variant: str | None = None,
    overrides: list[str] | dict[str, Any] | None = None,
) -> Scenario:
    """Load and validate a scenario.

    Args:
        source: a YAML file path, the name of a packaged scenario (``"az-outage"``), or a dict.
        variant: the name of one of the scenario's ``variants`` to apply.
        overrides: ``["key=value", ...]`` or ``{"key": value}`` applied after the variant.

    Returns:
        The validated scenario, with ``name`` suffixed by the variant (``"az-outage/stateless"``).

    Raises:
        ConfigError: on any invalid field, unknown variant or unreadable file.
    """
    if isinstance(source, dict):
        data, label = copy.deepcopy(source), "scenario"
    else:
        data, label = _read(source)
    variants = _variants_of(data, label)
    if variant is not None:
        if variant not in variants:
            known = ", ".join(map(str, variants)) or "none"
            raise ConfigError(f"{label}: unknown variant {variant!r}; variants: {known}.")
        for key, value in (variants[variant] or {}).items():
            apply_override(data, key, copy.deepcopy(value))
        data["name"] = f"{data.get('name', 'scenario')}/{variant}"
        label = f"{label}, variant {variant!r}"
    items = (
        overrides.items() if isinstance(overrides, dict) else map(parse_override, overrides or [])
    )
    for key, value in items:
        apply_override(data, key, value)
    try:
        return Scenario.model_validate(data, context={"base_dir": _base_dir(source)})
    except ValidationError as exc:
        raise format_validation_error(exc, Scenario, label) from None


def load_variants(
    source: str | Path | dict[str, Any], overrides: list[str] | None = None
) -> dict[str, Scenario]:
    """Load every variant of a scenario (or the scenario itself if it has none), by name."""
    data, label = (copy.deepcopy(source), "scenario") if isinstance(source, dict) else _read(source)
    names = list(_variants_of(data, label))
    if not names:
        return {"base": load_scenario(source, None, overrides)}
    return {name: load_scenario(source, name, overrides) for name in names}
