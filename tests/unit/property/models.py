"""The models under test: a harmless input of each, how to render it, and
which variable a message about a field must name."""

from __future__ import annotations

import os
import re

import yaml

from ansible_collections.halb.cluster.plugins.module_utils import (
    _firewalld,
    _haproxy,
    _keepalived,
    _mail,
    _rsyslog,
)
from ansible_collections.halb.cluster.plugins.module_utils._typed import ConfigError
from tests.unit.plugins.filter.test_firewalld_filters import good as firewalld_values
from tests.unit.plugins.module_utils.test__mail import good as mail_values
from tests.unit.plugins.module_utils.test__rsyslog import GOOD as RSYSLOG_GOOD
from tests.unit.property.hostile import get, replaced
from tests.unit.property.shapes import (
    haproxy_words,
    keepalived_words,
    rainer_words,
    snail_words,
)

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

    def baseline_for(self, path, value):
        """The harmless file to compare with when ``value`` was accepted."""
        return self.baseline()


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


class RoleValues(Model):
    """A role whose variables (role_var: value) are checked by ``errors()``
    before the role writes the file ``render()`` makes from them."""

    def variable(self, path):
        return path[0]

    def baseline_for(self, path, value):
        # An empty role variable means "not set" (as null does): compare
        # with the file for null, which may leave a line or a word out.
        if len(path) == 1 and isinstance(value, str) and not value.strip():
            return self.render(replaced(self.base, path, None))
        return self.baseline()


class Rsyslog(RoleValues):
    name = "rsyslog drop-in + logrotate"
    split = staticmethod(rainer_words)

    def render(self, data):
        return _rsyslog.config(data) + "\n" + _rsyslog.logrotate(data)


class Mail(RoleValues):
    """The s-nail resource file (it holds the relay password)."""

    name = "s-nail resource file"
    split = staticmethod(snail_words)

    def render(self, data):
        errs = _mail.errors(data, "lb1.example.com")
        if errs:
            raise ConfigError(errs)
        return _mail.mailrc(data, "lb1.example.com")


class Firewalld(RoleValues):
    """Rich rules, ports and services, one per line as firewall-cmd gets them."""

    name = "firewalld rules"
    multi_word = frozenset()

    def render(self, data):
        errs = _firewalld.errors(data)
        if errs:
            raise ConfigError(errs)
        return "\n".join(
            " ".join(f"{key}={entry[key]}" for key in sorted(entry))
            for entry in _firewalld.rules(data, {"default": "public", "interfaces": {}})
        )


# The unit tests' harmless values, with every optional file value set.
RSYSLOG = {**RSYSLOG_GOOD, "rsyslog_logrotate_size": "100M"}
MAIL = mail_values(
    mailx_notify_relay_port=587,
    mailx_notify_relay_ca_file="/etc/ssl/certs/relay-ca.pem",
    mailx_notify_hostname="lb1.example.com",
)
FIREWALLD = firewalld_values(
    firewalld_zone="public",
    firewalld_vrrp_zone="internal",
    firewalld_vrrp=[
        {
            "interface": "eth0",
            "family": 4,
            "protocols": ["vrrp", "ah"],
            "destination": None,
            "sources": ["192.0.2.12"],
            "instances": ["VI_1"],
        },
        {
            "interface": "eth1",
            "family": 6,
            "protocols": ["vrrp"],
            "destination": "ff02::12",
            "sources": [],
            "instances": ["VI_6"],
        },
    ],
)


def _fixtures(directory, pattern):
    folder = os.path.join(GOLDEN, directory)
    return sorted(f for f in os.listdir(folder) if re.fullmatch(pattern, f))


MODELS = [
    *(Keepalived(f, _load("golden", f)) for f in _fixtures("golden", r".*\.yml")),
    *(HAProxy(f, _load("golden_haproxy", f)) for f in _fixtures("golden_haproxy", r".*\.yml")),
    Rsyslog("rsyslog", RSYSLOG),
    Mail("mailx_notify", MAIL),
    Firewalld("firewalld", FIREWALLD),
]
