"""The models under test: a harmless input of each, how to render it, and
which variable a message about a field must name."""

from __future__ import annotations

import os
import re

import yaml

from ansible_collections.halb.cluster.plugins.module_utils import (
    _haproxy,
    _keepalived,
)
from tests.unit.property.hostile import get
from tests.unit.property.shapes import haproxy_words, keepalived_words

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "plugins", "module_utils")


def _load(*parts):
    with open(os.path.join(GOLDEN, *parts), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


class Model:
    """One generated file and the input it is made from."""

    name = ""
    # Fields (last mapping key on the path) that may hold several words.
    multi_word = frozenset()
    split = staticmethod(haproxy_words)

    def __init__(self, fixture, base):
        self.fixture = fixture
        self.base = base
        self._baseline = None

    def baseline(self):
        """The file rendered from the harmless input (once)."""
        if self._baseline is None:
            self._baseline = self.render(self.base)
        return self._baseline

    def render(self, data):
        raise NotImplementedError

    def variable(self, path):
        raise NotImplementedError

    def value_words(self, path):
        return any(isinstance(step, str) and step in self.multi_word for step in path)

    def base_value(self, base, path):
        return get(base, path)


class Keepalived(Model):
    name = "keepalived.conf"
    split = staticmethod(keepalived_words)
    multi_word = frozenset()

    def render(self, data):
        return _keepalived.render(data)

    def variable(self, path):
        return _keepalived.VAR_NAMES[path[0]]


class HAProxy(Model):
    name = "haproxy.cfg"
    multi_word = frozenset(
        ("cond", "criterion", "args", "extra", "admin_cond", "http_check_expect")
    )

    def render(self, data):
        return _haproxy.render(data)

    def variable(self, path):
        return _haproxy.VAR_NAMES[path[0]]


def _fixtures(directory, pattern):
    folder = os.path.join(GOLDEN, directory)
    return sorted(f for f in os.listdir(folder) if re.fullmatch(pattern, f))


MODELS = [
    *(Keepalived(f, _load("golden", f)) for f in _fixtures("golden", r".*\.yml")),
    *(HAProxy(f, _load("golden_haproxy", f)) for f in _fixtures("golden_haproxy", r".*\.yml")),
]
