"""Generated hostile input for every string field of every model.

Property 1 (refused_or_same_shape): a hostile string is refused with our
error naming the variable and the field, or the rendered file has exactly
the lines, directive keywords, word counts and comments of the harmless
input: nothing was added or cut. Property 2 (only_our_error): a value of any
JSON-like type anywhere gives our error class, never another exception.
Seeds are fixed (derandomize), so CI is repeatable.
"""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from tests.unit.property.hostile import (
    SETTINGS,
    TYPE_SETTINGS,
    get,
    hostile_text,
    json_like,
    leaves,
    nodes,
    path_id as _id,
)
from tests.unit.property.models import MODELS
from tests.unit.property.verdicts import only_our_error, refused_or_same_shape

STRING_FIELDS = [
    pytest.param(model, path, id=f"{model.fixture}:{_id(path)}")
    for model in MODELS
    for path in leaves(model.base)
]
ALL_NODES = [
    pytest.param(model, path, id=f"{model.fixture}:{_id(path)}")
    for model in MODELS
    for path in nodes(model.base)
]


@pytest.mark.parametrize(("model", "path"), STRING_FIELDS)
def test_hostile_string_is_refused_or_harmless(model, path):
    @SETTINGS
    @given(hostile_text(get(model.base, path)))
    def check(value):
        refused_or_same_shape(model, model.base, path, value)

    check()


@pytest.mark.parametrize(("model", "path"), ALL_NODES)
def test_any_type_gives_our_error(model, path):
    @TYPE_SETTINGS
    @given(json_like)
    def check(value):
        only_our_error(model, model.base, path, value)

    check()


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.fixture)
def test_any_whole_input_gives_our_error(model):
    @SETTINGS
    @given(st.one_of(json_like, st.dictionaries(st.sampled_from(list(model.base)), json_like)))
    def check(value):
        only_our_error(model, model.base, (), value)

    check()
