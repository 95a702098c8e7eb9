"""Generated hostile values for every role variable that reaches a file
outside the models' own tests: the systemd units and drop-ins, the helper
scripts, and the configuration files the roles build from their variables.

The property is the models' one: the role's own early checks (the very
expressions its first tasks evaluate, from its vars/main.yml) refuse the
value naming the variable, or every file the role renders from it keeps its
shape (lines, keywords, words, comments; for sh also every expansion). The
roles' files are templated by ansible-core's Templar, as a play does.
"""

from __future__ import annotations

import os

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from hypothesis import Phase, given, settings

from tests.unit.property.hostile import SETTINGS, hostile_text
from tests.unit.property.shapes import (
    differences,
    haproxy_words,
    rainer_words,
    sh_words,
    snail_words,
    systemd_words,
)
from tests.unit.property.verdicts import TALLY, _message_problems
from tests.unit.templating import trust_as_template, trusted, untrusted

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
# Templating is slow (about 0.2 s a value): fewer values, and the first
# failing one is reported as found (no shrinking).
ROLE_SETTINGS = settings(
    SETTINGS, max_examples=12, phases=[Phase.explicit, Phase.reuse, Phase.generate]
)


def _yaml(path):
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


FACTS = {
    "os_family": "Debian",
    "nodename": "lb1.example.com",
    "processor_nproc": 2,
    "pkg_mgr": "apt",
}
# What every role needs that has no default (secrets, the relay) and what the
# play provides (facts, a registered result).
EXTRA = {
    "ansible_managed": "Ansible managed",
    "ansible_facts": FACTS,
    "inventory_hostname": "lb1",
    "haproxy_stats_password": "St4ts-Pass-74",
    "__haproxy_nproc_cmd": {"stdout": "2"},
    "mailx_notify_relay_host": "smtp.example.com",
    "mailx_notify_relay_user": "alerts@example.com",
    "mailx_notify_relay_password": "Rl4y-Pw:/76%-x",
    "mailx_notify_from": "lb-alerts@example.com",
    "mailx_notify_recipients": ["ops@example.com"],
    "mailx_notify_hostname": "lb1.example.com",
    "mailx_notify_relay_ca_file": "/etc/ssl/certs/relay-ca.pem",
    "__mailx_notify_mailer": "/usr/bin/s-nail",
}


def name_prefix(role):
    return f"{role}_"


class Role:
    def __init__(self, name, check, files):
        self.name = name
        self.check = check
        self.files = files  # {label: (template text, split)}
        base = os.path.join(ROOT, "roles", name)
        self.defaults = _yaml(os.path.join(base, "defaults", "main.yml"))
        self.vars = {
            **_yaml(os.path.join(base, "vars", "main.yml")),
            **_yaml(os.path.join(base, "vars", "Debian.yml")),
        }
        self.templates = {}
        for label, (source, split) in files.items():
            path = os.path.join(base, "templates", source)
            if os.path.exists(path):
                with open(path, encoding="utf-8") as handle:
                    source = handle.read()
            self.templates[label] = (source, split)
        text = "\n".join(src for src, _split in self.templates.values()) + yaml.safe_dump(self.vars)
        # The role's own string variables that reach one of its files (with
        # the harmless value of those that have no default).
        self.values = {**self.defaults, **{k: v for k, v in EXTRA.items() if k in self.defaults}}
        self.variables = sorted(
            name
            for name, value in self.values.items()
            if isinstance(value, str)
            and name.startswith(f"{name_prefix(self.name)}")
            and name in text
        )
        self._base = None

    def templar(self, changes=None):
        # The value under test comes from outside: data, never a template.
        outside = {name: untrusted(value) for name, value in (changes or {}).items()}
        merged = {**trusted(self.defaults), **EXTRA, **trusted(self.vars), **outside}
        return Templar(loader=DataLoader(), variables=merged)

    def errors(self, templar):
        return list(templar.template(trust_as_template(self.check)))

    def render(self, templar):
        return {
            label: str(templar.template(trust_as_template(source)))
            for label, (source, _split) in self.templates.items()
        }

    def base(self):
        if self._base is None:
            templar = self.templar()
            assert self.errors(templar) == [], f"{self.name}: the harmless values are refused"
            self._base = self.render(templar)
        return self._base


ROLES = [
    Role(
        "haproxy",
        "{{ __haproxy_value_spec | halb.cluster.value_errors"
        " + (__haproxy_config | halb.cluster.haproxy_config_check(haproxy_allow_weak_secrets)).errors }}",
        {
            "drop-in": ("haproxy-dropin.conf.j2", systemd_words),
            "reload": ("haproxy-reload.sh.j2", sh_words),
            "save-state": ("haproxy-save-state.sh.j2", sh_words),
            "down-file": ("haproxy-down-file.sh.j2", sh_words),
            "haproxy.cfg": ("{{ __haproxy_config | halb.cluster.to_haproxy_cfg }}", haproxy_words),
        },
    ),
    Role(
        "mailx_notify",
        "{{ __mailx_notify_values | halb.cluster.mailx_notify_errors('lb1.example.com') }}",
        {
            "flush.service": ("halb-notify-flush.service.j2", systemd_words),
            "flush.path": ("halb-notify-flush.path.j2", systemd_words),
            "flush.timer": ("halb-notify-flush.timer.j2", systemd_words),
            "mailrc": (
                "{{ __mailx_notify_values | halb.cluster.mailx_notify_mailrc('lb1.example.com') }}",
                snail_words,
            ),
        },
    ),
    Role(
        "rsyslog",
        "{{ __rsyslog_values | halb.cluster.rsyslog_errors }}",
        {
            "drop-in": ("haproxy.conf.j2", rainer_words),
            "logrotate": ("logrotate.j2", rainer_words),
        },
    ),
]
CASES = [
    pytest.param(role, var, id=f"{role.name}:{var}") for role in ROLES for var in role.variables
]


def test_every_role_has_variables_under_test():
    for role in ROLES:
        assert len(role.variables) >= 3, (role.name, role.variables)


@pytest.mark.parametrize(("role", "var"), CASES)
def test_hostile_role_variable_is_refused_or_harmless(role, var):
    base = role.base()

    @ROLE_SETTINGS
    @given(hostile_text(role.values[var]))
    def check(value):
        TALLY["tried"] += 1
        TALLY["fields"].add((role.name, var))
        templar = role.templar({var: value})
        try:
            errs = role.errors(templar)
        except Exception as exc:  # the role would fail with a templating error
            TALLY["crashes"] += 1
            raise AssertionError(f"{role.name} {var}={value!r}: the check failed: {exc}") from exc
        if errs:
            problems = _message_problems(errs)
            if not any(e.startswith(var) or f"{var}:" in e or f"{var}[" in e for e in errs):
                problems.append(f"no message names {var}: {errs[:3]}")
            assert not problems, f"{role.name} {var}={value!r}: {problems}"
            TALLY["refused"] += 1
            return
        if not value.strip():
            TALLY["accepted"] += 1
            return  # empty means unset: the files may differ by design
        files = role.render(templar)
        for label, (_source, split) in role.templates.items():
            reasons = differences(base[label], files[label], split, base_value=role.values[var])
            assert not reasons, f"{role.name} {var}={value!r} accepted, but {label}: {reasons}"
        TALLY["accepted"] += 1

    check()
