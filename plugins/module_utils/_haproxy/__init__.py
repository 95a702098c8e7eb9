# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed HAProxy configuration: checks and rendering of haproxy.cfg (HAProxy 2.6+).

Pure functions over plain dicts, standard library only, no I/O, so that a
module (on the target) and the ``to_haproxy_cfg`` filter (on the controller)
share one implementation and can never disagree.

The data model (every key optional unless marked *required*)::

    global:    log: [{address*, facility*, level}], maxconn, user, group, daemon,
               master_worker, nbthread, pidfile,
               stats_socket: {path*, mode, level, user, group},
               server_state_file, hard_stop_after, ssl_default_bind_ciphers,
               ssl_default_bind_options, tune_ssl_default_dh_param, extra: [line]
    defaults:  mode, log (global), retries, retry_on: [keyword], options: [name],
               timeouts: {...}, maxconn, http_reuse, load_server_state_from_file,
               extra
    userlists: [{name*, users: [{name*, password*}]}]
    frontends: [{name*, mode, binds*: [{address, port*, ssl, crt, alpn: [proto]}],
                 acls: [{name*, criterion*}],
                 http_request: [{action*, args, cond}],
                 redirects: [{scheme, code, cond}],
                 use_backends: [{backend*, cond*}], default_backend,
                 options, maxconn, timeouts, extra}]
    backends:  [{name*, mode, balance, httpchk: {method, uri, version, host},
                 http_check_expect, cookie: {name*, mode, indirect, nocache},
                 servers: [{name*, address*, port*, check, inter, rise, fall,
                            weight, maxconn, cookie, backup, ssl, verify,
                            ca_file, sni, check_ssl}],
                 options, timeouts, http_reuse, retry_on: [keyword], extra}]
    listens:   [frontend and backend keys in one, plus
                stats: {enable, uri, realm, refresh, hide_version,
                        auth: [{user*, password*}], admin_cond}]

    timeouts:  connect, client, server, http_request, http_keep_alive, queue,
               check, tunnel, client_fin, server_fin (milliseconds or "5s", "1m" ...)

``normalize()`` returns ``(config, warnings)``. Every problem found is reported
at once in a :class:`HAProxyConfigError` whose messages each start with the
variable they are about, for example
``haproxy_backends[web].servers[web1].port: 70000 is out of range 1-65535``.

The package, one module a layer or section (each imports only those above
it in this list)::

    _grammar       HAProxy's line grammar: words, quoting, free text
    _common        error class, variable names, removed directives, value readers
    _directives    options, timeouts, extra lines and conditions of any section
    _global, _defaults, _userlists, _proxies
                   one module a section (_proxies: frontends, backends, listens)
    _render        haproxy.cfg text from a normalized configuration
    _model         normalize(), check(), render(): the sections and their cross-checks
    _ports, _certificates, _redact
                   bind_ports(), file_entry_errors(), redact() and secrets()

The names below are the package's interface (they were those of the single
module ``_haproxy.py``); import them from here.
"""

from __future__ import annotations

from ansible_collections.halb.cluster.plugins.module_utils._haproxy._certificates import (
    file_entry_errors,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._common import (
    HEADER,
    REDACTED,
    VAR_NAMES,
    HAProxyConfigError,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._grammar import (
    _quote,  # noqa: F401 (private: the tests read it)
    _scan,  # noqa: F401 (private: the tests read it)
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._model import (
    check,
    normalize,
    render,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._ports import bind_ports
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._proxies import (
    _KEYS,  # noqa: F401 (private: haproxy_config reads it)
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._redact import (
    redact,
    secrets,
)

__all__ = [
    "HAProxyConfigError",
    "bind_ports",
    "check",
    "normalize",
    "render",
    "redact",
    "secrets",
    "VAR_NAMES",
    "HEADER",
    "REDACTED",
    "file_entry_errors",
]
