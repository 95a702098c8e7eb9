# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed readers for structured variables, shared by the config libraries.

Each reader takes ``errs`` (a list it appends to), ``where`` (the variable
path that starts every message, e.g. ``keepalived_instances[VI_1].priority``)
and the raw value; it returns the clean value or None and never raises, so
that one pass over the data reports every problem at once. Standard library
only, no I/O.
"""

from __future__ import annotations

import difflib
import re

_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


class ConfigError(ValueError):
    """Invalid configuration data. ``errors`` lists every problem, each naming its variable."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


def is_int(value):
    """A whole number that is not a boolean."""
    return isinstance(value, int) and not isinstance(value, bool)


def as_int(errs, where, value, lo, hi, unit=""):
    if value is None:
        return None
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value.strip()):
        value = int(value.strip())
    if not is_int(value):
        errs.append(f"{where}: {value!r} is not a whole number (allowed: {lo}-{hi}{unit})")
        return None
    if not lo <= value <= hi:
        errs.append(f"{where}: {value} is out of range {lo}-{hi}{unit}")
        return None
    return value


def as_number(errs, where, value, lo, hi):
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value) if "." in value else int(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        errs.append(f"{where}: {value!r} is not a number (allowed: {lo}-{hi})")
        return None
    if not lo <= value <= hi:
        errs.append(f"{where}: {value} is out of range {lo}-{hi}")
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value


def as_bool(errs, where, value):
    if value is None:
        return None
    if isinstance(value, str) and value.lower() in _TRUE + _FALSE:
        return value.lower() in _TRUE
    if not isinstance(value, bool):
        errs.append(f"{where}: {value!r} is not a boolean (allowed: true, false)")
        return None
    return value


def as_choice(errs, where, value, choices, upper=False):
    """One of ``choices`` (strings, or whole numbers)."""
    if value is None:
        return None
    if is_int(choices[0]):
        value = as_int(errs, where, value, min(choices), max(choices))
        if value is None:
            return None
        text = value
    else:
        text = str(value).upper() if upper else str(value)
    if text not in choices:
        errs.append(f"{where}: {value!r} is not allowed (allowed: {', '.join(map(str, choices))})")
        return None
    return text


def as_list(errs, where, value):
    if value is None:
        return []
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, (list, tuple)):
        errs.append(f"{where}: expected a list, got {type(value).__name__}")
        return []
    return list(value)


def as_dict(errs, where, value):
    if value is None:
        return {}
    if not isinstance(value, dict):
        errs.append(f"{where}: expected a mapping, got {type(value).__name__}")
        return None
    return value


def did_you_mean(word, candidates):
    """``"; did you mean 'x'?"`` for the closest candidate, or an empty string."""
    hint = difflib.get_close_matches(str(word), list(candidates), n=1)
    return f"; did you mean {hint[0]!r}?" if hint else ""


def unknown_sections(errs, what, data, sections):
    """Report top-level keys of ``data`` outside ``sections`` (named in ``what``)."""
    for key in data:
        if key not in sections:
            errs.append(f"{what}: unknown section {key!r}{did_you_mean(key, sections)}")


def unknown_keys(errs, where, item, allowed, removed=None):
    """Report keys outside ``allowed``, with a did-you-mean; ``removed`` maps
    keys the daemon no longer knows to the message that names their successor."""
    for key in item:
        if key in allowed:
            continue
        if removed and key in removed:
            errs.append(f"{where}.{key}: {key} {removed[key]}")
            continue
        errs.append(
            f"{where}: unknown key {key!r}{did_you_mean(key, allowed)} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )


def label(var, index, item, key="name"):
    """``var[name]`` for a list entry with a name, else ``var[index]``."""
    name = item.get(key) if isinstance(item, dict) else None
    if isinstance(name, str) and name:
        return f"{var}[{name}]"
    return f"{var}[{index}]"


def entry(errs, where, item, allowed, seen, read_name, removed=None):
    """The common start of a named list entry: a mapping with known keys and a
    unique name read by ``read_name(errs, where, value)``. Returns
    (name or None, whether the entry can be read)."""
    if not isinstance(item, dict):
        errs.append(f"{where}: expected a mapping with at least a name")
        return None, False
    unknown_keys(errs, where, item, allowed, removed)
    if item.get("name") is None:
        errs.append(f"{where}.name: required")
    name = read_name(errs, f"{where}.name", item.get("name"))
    if name is not None and name in seen:
        errs.append(f"{where}.name: {name!r} is defined twice")
    seen.add(name)
    return name, True
