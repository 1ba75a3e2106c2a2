"""Reading untrusted YAML: safe loading with limits checked before anything is built.

A scenario file (or a ``--set`` value) is text from a user, who may have pasted the wrong file
or be feeding fleetsim a fuzzer. Safe loading (no Python objects from tags) is always used, with
PyYAML's C loader when it is installed. Before any Python object is built, one pass over the
parser's events (libyaml keeps its own stack, so this pass does not recurse) measures the
document: nesting depth, number of aliases and the number of nodes the document would have once
every alias is expanded. An alias bomb ("billion laughs") is tiny as text and as a PyYAML object
(aliases share one object), but anything that walks it — validation, an error message, a copy —
walks the expanded tree, so it is refused here, by its expanded size, with one short message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from fleetsim.config.errors import ConfigError

#: Largest scenario file read, in bytes (scenario files are a few kilobytes).
MAX_FILE_BYTES = 1_000_000
#: Largest ``--set`` value, in characters.
MAX_OVERRIDE_CHARS = 100_000
#: Deepest nesting of mappings and lists.
MAX_DEPTH = 64
#: Most aliases (``*name``) in one document.
MAX_ALIASES = 1_000
#: Most nodes (scalars, mappings, lists) in one document once every alias is expanded.
MAX_NODES = 100_000

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _measure(text: str, label: str) -> None:
    """Refuse a document that is too deep, has too many aliases or expands too far."""
    sizes: dict[str, int] = {}  # expanded node count of each anchored node
    stack: list[list[Any]] = [[None, 0]]  # [anchor, nodes so far] per open collection
    aliases = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise ConfigError(
                    f"{label}: more than {MAX_ALIASES:,} YAML aliases (*name); a scenario needs "
                    "few or none."
                )
            size = sizes.get(str(event.anchor))
            if size is None:
                # Known anchors have a size once closed; an open one is an alias to itself.
                raise ConfigError(
                    f"{label}: the YAML alias *{event.anchor} refers to a collection that "
                    "contains it (a recursive structure); a scenario is a tree."
                )
            stack[-1][1] += size
        elif isinstance(event, yaml.ScalarEvent):
            stack[-1][1] += 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.CollectionStartEvent):
            stack.append([event.anchor, 1])
            if len(stack) - 1 > MAX_DEPTH:
                raise ConfigError(
                    f"{label}: YAML nested more than {MAX_DEPTH} levels deep; a scenario is a "
                    "few levels of sections."
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, size = stack.pop()
            if anchor is not None:
                sizes[anchor] = size
            stack[-1][1] += size
        else:
            continue
        if stack[-1][1] > MAX_NODES:
            raise ConfigError(
                f"{label}: the YAML document expands to more than {MAX_NODES:,} values (its "
                "aliases (*name) repeat anchored parts: an alias bomb?); a scenario is far "
                "smaller."
            )


def _one_line(exc: yaml.YAMLError) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:297] + "..."


def load_yaml(text: str, label: str) -> Any:
    """Parse untrusted YAML text safely, within the module's limits.

    Args:
        text: the YAML text.
        label: where the text comes from (file name, ``--set key``), first in messages.

    Returns:
        The plain data (dicts, lists, strings, numbers, booleans, None).

    Raises:
        ConfigError: if the text is not YAML or breaks a limit; the message is one line.
    """
    try:
        _measure(text, label)
        return yaml.load(text, Loader=_Loader)  # a safe loader, C or Python
    except yaml.YAMLError as exc:
        raise ConfigError(f"{label}: not valid YAML: {_one_line(exc)}") from None
    except RecursionError:
        raise ConfigError(f"{label}: YAML nested too deeply.") from None


def read_text_file(path: Path, label: str) -> str:
    """Read a scenario file as UTF-8 text, within the file size limit.

    Raises:
        ConfigError: if the file is too large or is not UTF-8 text.
        OSError: if it cannot be read.
    """
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ConfigError(
            f"{label}: the file is {size:,} bytes, more than the {MAX_FILE_BYTES:,} a "
            "scenario file may have; is it the right file?"
        )
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{label}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); a "
            "scenario is a YAML text file. Is it the right file?"
        ) from None
