# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rendering: haproxy.cfg text from a configuration ``_model.normalize``
returned. It checks nothing; every value has been read by then, and
``_quote`` keeps a value that may hold spaces or quotes one word.
"""

from __future__ import annotations

import re

from ansible_collections.halb.cluster.plugins.module_utils._haproxy._common import (
    _TIMEOUTS,
    HEADER,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._directives import (
    _L4_RETRY_ON,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._grammar import (
    _quote,
)

_IND = "    "


def _address(host, port):
    return f"{host}:{port}" if host else f":{port}"


def _cond_text(cond):
    return cond if re.match(r"^(if|unless)\s", cond) else f"if {cond}"


def _global_lines(gl):
    body = []
    for target in gl.get("log", []):
        level = f" {target['level']}" if target.get("level") else ""
        body.append(f"log {_quote(target['address'])} {target['facility']}{level}")
    for key in ("pidfile", "maxconn", "user", "group"):
        if gl.get(key) is not None:
            body.append(f"{key} {_quote(gl[key])}")
    if gl.get("daemon"):
        body.append("daemon")
    if gl.get("master_worker"):
        body.append("master-worker")
    if gl.get("nbthread") is not None:
        body.append(f"nbthread {gl['nbthread']}")
    sock = gl.get("stats_socket")
    if sock:
        text = f"stats socket {_quote(sock['path'])}"
        for key in ("mode", "level", "user", "group"):
            if sock.get(key):
                text += f" {key} {_quote(sock[key])}"
        body.append(text)
    for key in (
        "server_state_file",
        "hard_stop_after",
        "ssl_default_bind_ciphers",
        "ssl_default_bind_options",
    ):
        if gl.get(key) is not None:
            value = gl[key] if key == "ssl_default_bind_options" else _quote(gl[key])
            body.append(f"{key.replace('_', '-')} {value}")
    if gl.get("tune_ssl_default_dh_param") is not None:
        body.append(f"tune.ssl.default-dh-param {gl['tune_ssl_default_dh_param']}")
    return body + list(gl.get("extra", []))


def _common_head(proxy):
    body = []
    if proxy.get("mode"):
        body.append(f"mode {proxy['mode']}")
    if proxy.get("log"):
        body.append(f"log {proxy['log']}")
    return body


def _common_tail(proxy):
    body = []
    if proxy.get("retries") is not None:
        body.append(f"retries {proxy['retries']}")
    if proxy.get("retry_on"):
        body.append(f"retry-on {' '.join(proxy['retry_on'])}")
    body += [f"option {opt}" for opt in proxy.get("options", [])]
    for key in _TIMEOUTS:
        if key in proxy.get("timeouts", {}):
            body.append(f"timeout {key.replace('_', '-')} {proxy['timeouts'][key]}")
    if proxy.get("maxconn") is not None:
        body.append(f"maxconn {proxy['maxconn']}")
    if proxy.get("http_reuse"):
        body.append(f"http-reuse {proxy['http_reuse']}")
    if proxy.get("load_server_state_from_file"):
        body.append(f"load-server-state-from-file {proxy['load_server_state_from_file']}")
    return body


def _front_lines(proxy):
    body = []
    for bind in proxy.get("binds", []):
        text = f"bind {_address(bind.get('address'), bind['port'])}"
        if bind.get("ssl"):
            text += f" ssl crt {_quote(bind['crt'])}"
            if bind.get("alpn"):
                text += f" alpn {','.join(bind['alpn'])}"
        body.append(text)
    return body


def _acl_lines(proxy):
    return [f"acl {a['name']} {a['criterion']}" for a in proxy.get("acls", [])]


# HAProxy sends a request again after an L7 failure only if it is safe to:
# a POST that reached a server which then died may have been done.
L7_RETRY_GUARD = "http-request disable-l7-retry if !METH_GET !METH_OPTIONS"


def _retry_guard(proxy, defaults):
    """The L7_RETRY_GUARD line for an HTTP backend or listen whose retry-on
    (its own, else the defaults') holds more than connection failures."""
    mode = proxy.get("mode") or defaults.get("mode") or "tcp"
    retry_on = proxy.get("retry_on") or defaults.get("retry_on") or []
    if proxy.get("stats") and not proxy.get("servers"):
        return []  # a statistics page sends nothing to a server
    if mode == "http" and set(retry_on) - _L4_RETRY_ON:
        return [L7_RETRY_GUARD]
    return []


def _rules_lines(proxy):
    """Redirects, http-request rules and backend choices (after the ACLs)."""
    body = []
    for redirect in proxy.get("redirects", []):
        text = f"http-request redirect scheme {redirect['scheme']} code {redirect['code']}"
        if redirect.get("cond"):
            text += f" {_cond_text(redirect['cond'])}"
        body.append(text)
    for rule in proxy.get("http_request", []):
        text = f"http-request {rule['action']}"
        if rule.get("args"):
            text += f" {rule['args']}"
        if rule.get("cond"):
            text += f" {_cond_text(rule['cond'])}"
        body.append(text)
    for use in proxy.get("use_backends", []):
        body.append(f"use_backend {use['backend']} {_cond_text(use['cond'])}")
    if proxy.get("default_backend"):
        body.append(f"default_backend {proxy['default_backend']}")
    return body


def _stats_lines(stats):
    if not stats:
        return []
    body = []
    if stats.get("enable"):
        body.append("stats enable")
    if stats.get("uri"):
        body.append(f"stats uri {_quote(stats['uri'])}")
    if stats.get("realm"):
        body.append(f"stats realm {_quote(stats['realm'])}")
    if stats.get("refresh") is not None:
        body.append(f"stats refresh {stats['refresh']}")
    if stats.get("hide_version"):
        body.append("stats hide-version")
    body += [f"stats auth {a['user']}:{a['password']}" for a in stats.get("auth", [])]
    if stats.get("admin_cond"):
        body.append(f"stats admin {_cond_text(stats['admin_cond'])}")
    return body


def _back_lines(proxy):
    body = []
    if proxy.get("balance"):
        body.append(f"balance {proxy['balance']}")
    chk = proxy.get("httpchk")
    if chk:
        body.append("option httpchk")
        text = f"http-check send meth {chk.get('method', 'GET')} uri {_quote(chk.get('uri', '/'))}"
        if chk.get("version"):
            text += f" ver {chk['version']}"
        if chk.get("host"):
            text += f" hdr Host {_quote(chk['host'])}"
        body.append(text)
    if proxy.get("http_check_expect"):
        body.append(f"http-check expect {proxy['http_check_expect']}")
    cookie = proxy.get("cookie")
    if cookie:
        text = f"cookie {cookie['name']}"
        if cookie.get("mode"):
            text += f" {cookie['mode']}"
        for flag in ("indirect", "nocache"):
            if cookie.get(flag):
                text += f" {flag}"
        body.append(text)
    return body


def _server_lines(proxy):
    body = []
    for srv in proxy.get("servers", []):
        text = f"server {srv['name']} {_address(srv['address'], srv['port'])}"
        if srv.get("check"):
            text += " check"
        for key in ("inter", "rise", "fall", "weight", "maxconn", "cookie"):
            if srv.get(key) is not None:
                text += f" {key} {srv[key]}"
        if srv.get("backup"):
            text += " backup"
        if srv.get("ssl"):
            text += f" ssl verify {srv['verify']}"
            if srv.get("ca_file"):
                text += f" ca-file {_quote(srv['ca_file'])}"
            if srv.get("sni"):
                text += f" sni str({srv['sni']})"
        if srv.get("check_ssl"):
            text += " check-ssl"
        body.append(text)
    return body


def _section(lines, title, body):
    lines.append("")
    lines.append(title)
    lines.extend(f"{_IND}{line}" for line in body)


def config_text(config):
    """haproxy.cfg text of a normalized ``config`` (no checks: ``render`` checks first)."""
    lines = [HEADER.rstrip("\n")]
    body = _global_lines(config.get("global", {}))
    if body:
        _section(lines, "global", body)
    defaults = config.get("defaults", {})
    body = _common_head(defaults) + _common_tail(defaults) + list(defaults.get("extra", []))
    if body:
        _section(lines, "defaults", body)
    for userlist in config.get("userlists", []):
        body = []
        for user in userlist["users"]:
            kind = "password" if user["password"].startswith("$") else "insecure-password"
            body.append(f"user {user['name']} {kind} {user['password']}")
        _section(lines, f"userlist {userlist['name']}", body)
    for proxy in config.get("frontends", []):
        body = (
            _common_head(proxy)
            + _front_lines(proxy)
            + _common_tail(proxy)
            + _acl_lines(proxy)
            + _rules_lines(proxy)
            + list(proxy.get("extra", []))
        )
        _section(lines, f"frontend {proxy['name']}", body)
    for proxy in config.get("listens", []):
        body = (
            # ACLs first: stats admin may use them, and HAProxy wants them declared before use.
            _common_head(proxy)
            + _front_lines(proxy)
            + _acl_lines(proxy)
            + _stats_lines(proxy.get("stats"))
            + _back_lines(proxy)
            + _common_tail(proxy)
            + _retry_guard(proxy, defaults)
            + _rules_lines(proxy)
            + _server_lines(proxy)
            + list(proxy.get("extra", []))
        )
        _section(lines, f"listen {proxy['name']}", body)
    for proxy in config.get("backends", []):
        body = (
            _common_head(proxy)
            + _back_lines(proxy)
            + _common_tail(proxy)
            + _retry_guard(proxy, defaults)
            + _server_lines(proxy)
            + list(proxy.get("extra", []))
        )
        _section(lines, f"backend {proxy['name']}", body)
    return "\n".join(lines) + "\n"
