"""The two properties every model must have, and their tally."""

from __future__ import annotations

from collections import Counter

from ansible_collections.halb.cluster.plugins.module_utils._typed import (
    CONTROL_RE,
    INTERNAL_ERROR,
    ConfigError,
    show,
)
from tests.unit.property.hostile import leaf_key, path_id, replaced
from tests.unit.property.shapes import differences

TALLY = Counter()
TALLY["fields"] = set()
MAX_MESSAGE = 600


def _message_problems(errors):
    out = []
    for msg in errors:
        if INTERNAL_ERROR in msg:
            out.append(f"internal error (a crash caught by the backstop): {msg}")
        if CONTROL_RE.search(msg):
            out.append(f"a control character in the message: {msg[:200]!r}")
        if len(msg) > MAX_MESSAGE:
            out.append(f"a message of {len(msg)} characters: {msg[:200]!r}...")
    return out


def refused_or_same_shape(model, base, path, value):
    """Property 1: the value is refused with our error naming the variable
    and the field, or the rendered file has the shape of the harmless one."""
    TALLY["tried"] += 1
    TALLY["fields"].add((model.name, path_id(path)))
    data = replaced(base, path, value)
    try:
        text = model.render(data)
    except ConfigError as exc:
        problems = _message_problems(exc.errors)
        var, key = model.variable(path), leaf_key(path)
        if not any(msg.startswith(var) and key in msg for msg in exc.errors):
            problems.append(f"no message names {var} and {key!r}: {exc.errors[:3]}")
        assert not problems, f"{model.name} {path_id(path)} = {show(value, 120)}: {problems}"
        TALLY["refused"] += 1
        return
    except Exception as exc:
        TALLY["crashes"] += 1
        raise AssertionError(
            f"{model.name} {path_id(path)} = {show(value, 120)}: {type(exc).__name__}: {exc}"
        ) from exc
    reasons = differences(
        model.baseline_for(path, value),
        text,
        model.split,
        value_words=model.value_words(path),
        base_value=model.base_value(base, path),
    )
    assert not reasons, (
        f"{model.name} {path_id(path)} = {show(value, 120)} was accepted, but: {reasons}"
    )
    TALLY["accepted"] += 1


def only_our_error(model, base, path, value):
    """Property 2: whatever the type, the model returns or raises our error."""
    TALLY["typed"] += 1
    data = replaced(base, path, value) if path else value
    try:
        model.render(data)
    except ConfigError as exc:
        problems = _message_problems(exc.errors)
        assert not problems, f"{model.name} {path_id(path)} = {show(value, 120)}: {problems}"
    except Exception as exc:
        TALLY["typed_crashes"] += 1
        raise AssertionError(
            f"{model.name} {path_id(path)} = {show(value, 120)}: {type(exc).__name__}: {exc}"
        ) from exc
