#!/usr/bin/python
# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: haproxy_config
short_description: Write haproxy.cfg from structured data, checked twice before it replaces anything
version_added: 0.1.0
description:
  - Renders C(haproxy.cfg) from typed data with the same code as the
    P(halb.cluster.to_haproxy_cfg#filter) filter.
  - Checks the data first (every problem at once, each naming its variable;
    removed directives such as C(nbproc) or C(reqadd) are refused with their
    modern replacement), then writes a temporary file beside O(dest), runs
    C(haproxy -c -f) on it, and only if that passes backs up the old file and
    moves the new one into place atomically.
  - A bad configuration therefore never replaces a running good one.
  - Passwords of the stats page and of userlists are hidden in diffs,
    messages and logs. Warnings of the checks (for example C(option
    httpclose), C(verify none), unrestricted stats admin) are shown as Ansible
    warnings.
author:
  - halb.cluster contributors
options:
  config:
    description:
      - The configuration, with the sections C(global), C(defaults),
        C(frontends), C(backends), C(listens) and C(userlists). See
        C(plugins/module_utils/_haproxy.py) for every key.
    type: dict
    required: true
    suboptions:
      global:
        description: The global section.
        type: dict
      defaults:
        description: The defaults section.
        type: dict
      frontends:
        description: Frontends (binds, ACLs, redirects, use_backends ...).
        type: list
        elements: dict
      backends:
        description: Backends (balance, health checks, servers ...).
        type: list
        elements: dict
      listens:
        description: Listen sections, including the stats page; C(stats.auth[].password) is a secret.
        type: list
        elements: dict
      userlists:
        description: Userlists; C(users[].password) is a secret.
        type: list
        elements: dict
      names:
        description:
          - Not a section. Maps paths of the model (C(haproxy_global.maxconn);
            C([*]) matches any list entry) to the variables they come from
            (C(haproxy_maxconn)), so that messages name what the user set.
        type: dict
  dest:
    description: Path of the configuration file.
    type: path
    default: /etc/haproxy/haproxy.cfg
  validate:
    description:
      - Run C(haproxy -c -f) on the new file before it is put in place.
      - When HAProxy is not installed yet, the check is skipped with a warning
        in check mode and fails otherwise.
    type: bool
    default: true
  haproxy_bin:
    description: The haproxy binary used for the check.
    type: str
    default: haproxy
  allow_weak_secrets:
    description:
      - Accept weak passwords of the stats page and of userlists (on the list
        of common passwords, one repeated character, a run like C(12345678),
        or shorter than 8 characters) with a warning instead of refusing them.
      - For labs only. The roles pass C(haproxy_allow_weak_secrets).
    type: bool
    default: false
extends_documentation_fragment:
  - halb.cluster.config_file
"""

EXAMPLES = r"""
- name: Write haproxy.cfg
  halb.cluster.haproxy_config:
    config:
      global:
        log:
          - {address: "127.0.0.1:514", facility: local6, level: info}
        master_worker: true
      defaults:
        mode: http
        log: global
        options: [httplog, dontlognull, redispatch]
        timeouts: {connect: 5s, client: 30s, server: 30s}
      frontends:
        - name: www
          binds: [{port: 80}]
          default_backend: web
      backends:
        - name: web
          balance: roundrobin
          httpchk: {method: GET, uri: /test.html}
          servers:
            - {name: web1, address: 192.0.2.21, port: 8000, check: true, inter: 1s, rise: 2, fall: 2}
            - {name: web2, address: 192.0.2.22, port: 8000, check: true, inter: 1s, rise: 2, fall: 2}
  notify: Reload haproxy
"""

RETURN = r"""
dest:
  description: Path of the configuration file.
  returned: always
  type: str
backup_file:
  description: The copy of the previous file, when one was made.
  returned: changed and a file existed
  type: str
proxies:
  description: Names of the frontends, listens and backends in the file.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.halb.cluster.plugins.module_utils._configfile import (
    checker_binary,
    command_validator,
    ensure_config,
    file_options,
    strip_none,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy import (
    _KEYS,
    HAProxyConfigError,
    normalize,
    redact,
    render,
    secrets,
)


def _argument_spec():
    """Free-form sections, except the two places that hold passwords (no_log)."""
    stats = {
        "type": "dict",
        "options": {
            **{k: {"type": "raw"} for k in ("enable", "uri", "realm", "refresh", "hide_version")},
            "admin_cond": {"type": "raw"},
            "auth": {
                "type": "list",
                "elements": "dict",
                "options": {"user": {"type": "raw"}, "password": {"type": "str", "no_log": True}},
            },
        },
    }
    listen_options = {key: {"type": "raw"} for key in _KEYS["listens"]}
    listen_options["stats"] = stats
    users = {
        "type": "list",
        "elements": "dict",
        "options": {"name": {"type": "raw"}, "password": {"type": "str", "no_log": True}},
    }
    return {
        "config": {
            "type": "dict",
            "required": True,
            "options": {
                "global": {"type": "dict"},
                "defaults": {"type": "dict"},
                "frontends": {"type": "list", "elements": "dict"},
                "backends": {"type": "list", "elements": "dict"},
                "listens": {"type": "list", "elements": "dict", "options": listen_options},
                "userlists": {
                    "type": "list",
                    "elements": "dict",
                    "options": {"name": {"type": "raw"}, "users": users},
                },
                "names": {"type": "dict"},
            },
        },
        **file_options("/etc/haproxy/haproxy.cfg", "haproxy_bin", "haproxy"),
        "allow_weak_secrets": {"type": "bool", "default": False},
    }


def main():
    module = AnsibleModule(argument_spec=_argument_spec(), supports_check_mode=True)
    params = module.params
    data = strip_none(params["config"])

    try:
        config, warnings = normalize(data, allow_weak_secrets=params["allow_weak_secrets"])
    except HAProxyConfigError as exc:
        module.fail_json(msg="Invalid HAProxy configuration:\n" + str(exc), errors=exc.errors)
    for warning in warnings:
        module.warn(warning)
    text = render(config, normalized=True)

    binary = checker_binary(
        module, "haproxy_bin", params["haproxy_bin"], params["validate"], "haproxy"
    )

    proxies = {
        section: [p["name"] for p in config.get(section, [])]
        for section in ("frontends", "listens", "backends")
    }
    ensure_config(
        module,
        text,
        redact,
        validator=command_validator(
            module, [binary, "-c", "-f"], "haproxy -c", secrets(config), redact
        ),
        result={"proxies": proxies},
    )


if __name__ == "__main__":
    main()
