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
  - halb.cluster contributors (!UNKNOWN)
options:
  config:
    description:
      - The configuration, with the sections C(global), C(defaults),
        C(frontends), C(backends), C(listens) and C(userlists). See
        C(plugins/module_utils/_haproxy/__init__.py) for every key.
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
        description:
          - Frontends, each a mapping with the keys of O(config.listens) that belong to a
            frontend, C(name), C(mode), C(options), C(timeouts), C(extra), C(binds) (required),
            C(maxconn), C(acls), C(http_request), C(redirects), C(use_backends) and
            C(default_backend).
        type: list
        elements: dict
      backends:
        description:
          - Backends, each a mapping with the keys of O(config.listens) that belong to a backend,
            C(name), C(mode), C(options), C(timeouts), C(extra), C(balance), C(httpchk),
            C(http_check_expect), C(cookie), C(servers), C(http_reuse) and C(retry_on).
        type: list
        elements: dict
      listens:
        description:
          - Listen sections (a frontend and a backend in one), including the stats page;
            O(config.listens[].stats.auth[].password) is a secret.
          - The sub-options are of type C(raw) because the module checks and converts every value
            itself, so that an error names the variable it comes from; the expected type of each is
            given in its description. Frontends and backends take the same keys (those of a
            frontend, or those of a backend).
        type: list
        elements: dict
        suboptions:
          name:
            description: Name of the section (letters, digits and C(_), C(.), C(:), C(-)); unique. Required.
            type: raw
          mode:
            description: V(http) or V(tcp); defaults to the defaults section's mode.
            type: raw
          options:
            description:
              - List of C(option) names, from V(httplog), V(tcplog), V(dontlognull), V(redispatch),
                V(forwardfor), V(http-server-close), V(httpclose), V(http-keep-alive),
                V(abortonclose), V(log-health-checks), V(idle-close-on-response).
              - Removed ones are refused with their replacement; write other options in C(extra).
            type: raw
          timeouts:
            description:
              - Mapping of timeout names (V(connect), V(client), V(server), V(http_request),
                V(http_keep_alive), V(queue), V(check), V(tunnel), V(client_fin), V(server_fin)) to
                durations (V(5s), V(30000) milliseconds ...).
            type: raw
          extra:
            description:
              - List of further configuration lines, written as given after the generated ones.
                Directives HAProxy removed are refused.
            type: raw
          binds:
            description:
              - List of mappings with C(port) (required, 1 to 65535), C(address) (default all),
                C(ssl) (boolean), C(crt) (PEM file or directory, required with ssl) and C(alpn)
                (list of protocols, with ssl). Required, at least one.
              - An address and port may be bound by one section only.
            type: raw
          maxconn:
            description: Integer, the section's connection limit.
            type: raw
          acls:
            description:
              - List of mappings with C(name) and C(criterion) (for example V(hdr_dom(host\) -i
                example.com)). Several lines with one name are OR-ed. Names HAProxy predefines
                (V(TRUE), V(LOCALHOST) ...) are refused.
            type: raw
          http_request:
            description: List of C(http-request) rules, mappings with C(action) (required), C(args) and C(cond).
            type: raw
          redirects:
            description:
              - List of scheme redirects, mappings with C(scheme) (V(https) by default, or V(http)),
                C(code) (V(301) by default, V(302), V(303), V(307), V(308)) and C(cond).
              - A section that also binds with ssl needs a C(cond) (for example V(!{ ssl_fc })), or
                the redirect would loop.
            type: raw
          use_backends:
            description: List of mappings with C(backend) and C(cond), both required.
            type: raw
          default_backend:
            description: Name of the backend for requests no C(use_backends) rule takes.
            type: raw
          balance:
            description:
              - Load-balancing algorithm, V(roundrobin), V(leastconn), V(source), V(first),
                V(static-rr), V(uri) or V(random).
            type: raw
          httpchk:
            description:
              - HTTP health check, a mapping with C(method) (V(GET) by default, V(HEAD),
                V(OPTIONS)), C(uri) (V(/) by default), C(version) (V(HTTP/1.0) or V(HTTP/1.1)) and
                C(host) (required with HTTP/1.1).
            type: raw
          http_check_expect:
            description: C(http-check expect) rule, for example V(status 200); needs C(httpchk).
            type: raw
          cookie:
            description:
              - Session persistence cookie, a mapping with C(name) (required), C(mode) (V(insert),
                V(rewrite), V(prefix)), C(indirect) and C(nocache) (booleans).
            type: raw
          servers:
            description:
              - List of servers, mappings with C(name), C(address), C(port) (all required),
                C(check) (boolean), C(inter) (duration), C(rise), C(fall), C(weight) (0 to 256),
                C(maxconn), C(cookie), C(backup) (boolean), C(ssl) (boolean), C(verify) (V(required)
                by default with ssl, or V(none), warned about), C(ca_file) (a path or
                V(@system-ca), required with verify required), C(sni) and C(check_ssl) (boolean).
              - C(inter), C(rise), C(fall) and C(check_ssl) need C(check=true).
            type: raw
          http_reuse:
            description: Connection reuse, V(never), V(safe), V(aggressive) or V(always).
            type: raw
          retry_on:
            description:
              - The failures after which HAProxy sends a request again (C(retry-on)), a list of
                V(conn-failure), V(empty-response), V(junk-response), V(response-timeout),
                V(0rtt-rejected), V(all-retryable-errors) and the status codes V(401), V(403),
                V(404), V(408), V(425), V(500), V(501), V(502), V(503), V(504); or V(none) alone.
                The section C(defaults) takes it too.
              - Anything beyond V(conn-failure) needs mode http, and adds
                C(http-request disable-l7-retry if !METH_GET !METH_OPTIONS) to the section, so that
                a request a server may have acted on (a POST) is never sent twice.
            type: raw
          stats:
            description:
              - The statistics page. Any setting turns it on, so C(enable=false) goes alone.
              - The sub-options are of type C(raw) for the same reason as the section's own.
            type: dict
            suboptions:
              enable:
                description: Boolean, true by default.
                type: raw
              uri:
                description: Path of the page, starting with C(/).
                type: raw
              realm:
                description: Basic-auth realm, without double quotes or backslashes.
                type: raw
              refresh:
                description: Refresh interval of the page, a duration such as V(10s).
                type: raw
              hide_version:
                description: Boolean; hide HAProxy's version on the page.
                type: raw
              admin_cond:
                description:
                  - Condition under which a logged-in user may use the admin actions (READY, DRAIN,
                    MAINT, ...), for example V(LOCALHOST) or an ACL of this section.
                  - V(TRUE) (everyone who can log in) is warned about; labs only.
                type: raw
              auth:
                description: Users of the page; without any the page is open, which is warned about.
                type: list
                elements: dict
                suboptions:
                  user:
                    description: User name (no colon, at most 64 characters); unique.
                    type: raw
                  password:
                    description: The password. Weak ones are refused unless O(allow_weak_secrets=true).
                    type: str
      userlists:
        description: Userlists, for C(http_auth) conditions; O(config.userlists[].users[].password) is a secret.
        type: list
        elements: dict
        suboptions:
          name:
            description: Name of the userlist; unique. Required.
            type: raw
          users:
            description: The users, at least one.
            type: list
            elements: dict
            suboptions:
              name:
                description: User name; unique within the userlist.
                type: raw
              password:
                description:
                  - A crypt hash (C($id$salt$hash), as C(mkpasswd -m sha-512) prints it), or a
                    clear-text password, which is written as C(insecure-password) with a warning.
                  - A clear-text password may not start with C($); weak ones are refused unless
                    O(allow_weak_secrets=true).
                type: str
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
  - ansible.builtin.action_common_attributes
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
  contains:
    frontends:
      description: Names of the frontends.
      type: list
      elements: str
    listens:
      description: Names of the listen sections.
      type: list
      elements: str
    backends:
      description: Names of the backends.
      type: list
      elements: str
  sample: {frontends: [www], listens: [stats], backends: [web]}
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
