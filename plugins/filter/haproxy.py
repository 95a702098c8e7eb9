# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side filters over the same code as the HAProxy config module."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.halb.cluster.plugins.module_utils._haproxy import (
    HAProxyConfigError,
    bind_ports,
    check,
    file_entry_errors,
    render,
)
from ansible_collections.halb.cluster.plugins.plugin_utils._values import plain as _plain


def to_haproxy_cfg(config, allow_weak_secrets=False):
    """Render haproxy.cfg text from the structured configuration (checked first).

    ``config`` has the sections global, defaults, userlists, frontends,
    listens and backends; an error names the variable at fault, for example
    ``haproxy_backends[web].servers[web1].port``. Weak passwords are refused
    unless ``allow_weak_secrets`` is true (a lab).
    """
    try:
        return render(_plain(config), allow_weak_secrets=_as_flag(allow_weak_secrets))
    except HAProxyConfigError as exc:
        raise AnsibleFilterError(f"to_haproxy_cfg: {exc}") from None


def haproxy_config_check(config, allow_weak_secrets=False):
    """``{"errors": [...], "warnings": [...]}``: the checks of ``to_haproxy_cfg``
    without raising, so that a role can stop with every message (each naming its
    variable, none holding a password) before anything on the host changes.
    ``allow_weak_secrets`` (a lab) turns weak passwords into warnings.
    """
    return check(_plain(config), _as_flag(allow_weak_secrets))


def haproxy_ports(config, sources=None, sources_var=None):
    """The TCP ports the configuration binds, for a firewall:
    ``[{port, protocol, proxies, addresses, sources}]`` sorted by port;
    ``sources`` maps a port to the networks allowed to reach it (a single
    string is one network); ``sources_var`` names that variable in messages.
    """
    try:
        return bind_ports(_plain(config), _plain(sources), sources_var)
    except HAProxyConfigError as exc:
        raise AnsibleFilterError(f"haproxy_ports: {exc}") from None


def haproxy_file_errors(entries, var, kind="certificate"):
    """Problems of the haproxy role's ``haproxy_certificates`` (kind
    ``certificate``) or ``haproxy_ca_certificates`` (kind ``ca``) entries,
    each naming the variable; never the PEM content.
    """
    try:
        return file_entry_errors(_plain(entries), var, kind)
    except HAProxyConfigError as exc:
        return list(exc.errors)


def _as_flag(value):
    """A boolean switch as Ansible may pass it (true, "True", "yes" ...)."""
    value = _plain(value)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "on", "1")
    return value is True


class FilterModule:
    """halb.cluster HAProxy filters."""

    def filters(self):
        return {
            "to_haproxy_cfg": to_haproxy_cfg,
            "haproxy_config_check": haproxy_config_check,
            "haproxy_ports": haproxy_ports,
            "haproxy_file_errors": haproxy_file_errors,
        }
