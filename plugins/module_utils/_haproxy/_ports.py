# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ports a configuration listens on (``bind_ports``): what the firewall
must open, with the source networks allowed to reach each port.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.halb.cluster.plugins.module_utils._haproxy._common import (
    HAProxyConfigError,
    _as_int,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._model import (
    normalize,
)
from ansible_collections.halb.cluster.plugins.module_utils._typed import (
    as_dict as _as_dict,
    as_list as _as_list,
    as_network,
    only_config_errors,
    show,
)


def _sources(sources, sources_var):
    """``{port: [network]}`` from ``sources``; a single string is taken as a
    one-element list. Raises HAProxyConfigError naming ``sources_var``."""
    errs = []
    out = {}
    data = _as_dict(errs, sources_var or "sources", sources)
    for port, nets in (data or {}).items():
        where = sources_var or f"sources[{show(port)}]"
        number = _as_int(errs, where, port, 1, 65535, " (port)")
        if isinstance(nets, str):
            nets = [nets]
        clean = []
        for j, net in enumerate(_as_list(errs, where, nets)):
            if net is None:
                errs.append(f"{where}[{j}]: required (null in a list)")
                continue
            net = as_network(errs, f"{where}[{j}]", net)
            if net is not None and net not in clean:
                clean.append(net)
        if number is not None:
            out[number] = clean
    if errs:
        raise HAProxyConfigError(errs)
    return out


def _is_loopback(address):
    try:
        return bool(address) and ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


@only_config_errors(HAProxyConfigError, "haproxy configuration")
def bind_ports(data, sources=None, sources_var=None):
    """The TCP ports ``data`` listens on, one entry per port, sorted:
    ``[{"port": 443, "protocol": "tcp", "proxies": ["web"], "addresses": ["*"],
    "sources": []}]``.

    This is what a firewall must open (a bind on a loopback address is left
    out: nothing from the network reaches it); ``sources`` maps a port to the source
    networks allowed to reach it (default: everyone, ``[]``; a single string
    is one network; ``sources_var`` names the variable in messages). ``data``
    is checked first (:class:`HAProxyConfigError`); weak passwords are not
    this function's concern (normalize() and check() judge them).
    """
    sources = _sources(sources, sources_var)
    config, _warnings = normalize(data, allow_weak_secrets=True)
    ports = {}
    for section in ("frontends", "listens"):
        for proxy in config[section]:
            for bind in proxy.get("binds", []):
                if _is_loopback(bind.get("address")):
                    continue  # no packet from the network reaches it
                entry = ports.setdefault(
                    bind["port"],
                    {
                        "port": bind["port"],
                        "protocol": "tcp",
                        "proxies": [],
                        "addresses": [],
                        "sources": sources.get(bind["port"], []),
                    },
                )
                if proxy["name"] not in entry["proxies"]:
                    entry["proxies"].append(proxy["name"])
                address = bind.get("address") or "*"
                if address not in entry["addresses"]:
                    entry["addresses"].append(address)
    return [ports[port] for port in sorted(ports)]
