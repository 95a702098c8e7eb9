# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side filters over the same code as the keepalived_config module."""

from __future__ import annotations

import inspect
import os

from ansible.errors import AnsibleFilterError

from ansible_collections.halb.cluster.plugins.module_utils._keepalived import (
    KeepalivedConfigError,
    derive_host_config,
    normalize,
    render,
    script_file_errors,
    script_paths,
    vrrp_firewall_rules,
)
from ansible_collections.halb.cluster.plugins.module_utils._vrrp_cluster import cluster_errors
from ansible_collections.halb.cluster.plugins.module_utils._vrrp_pairs import (
    VARIABLES as _PAIR_VARIABLES,
    pairs_check,
)
from ansible_collections.halb.cluster.plugins.plugin_utils._values import plain as _plain


def to_keepalived_conf(config, allow_weak_secrets=False):
    """Render keepalived.conf text from the structured configuration (checked
    first; a weak VRRP password only with ``allow_weak_secrets``)."""
    try:
        return render(_plain(config), allow_weak_secrets=_plain(allow_weak_secrets))
    except KeepalivedConfigError as exc:
        raise AnsibleFilterError(f"to_keepalived_conf: {exc}") from None


def keepalived_host_config(data, host, members, facts=None, **options):
    """Derive and check one host's configuration.

    ``options`` are those of derive_host_config (unicast, priority_base,
    priority_step, priority, state, notify, track, profile,
    allow_weak_secrets). Returns ``{"config": <normalized config or None>,
    "errors": [messages], "warnings": [messages]}`` so that a task can fail
    with the messages themselves rather than a template error, and another
    show the warnings.
    """
    warnings = []
    options = _plain(options)
    if not isinstance(options, dict):
        options = {}
    known = set(inspect.signature(derive_host_config).parameters) - {
        "data",
        "host",
        "members",
        "facts",
        "warnings",
    }
    unknown = sorted(str(key) for key in options if key not in known)
    if unknown:
        return {
            "config": None,
            "errors": [f"{host}: keepalived_host_config: unknown option(s) {', '.join(unknown)}"],
            "warnings": [],
        }
    try:
        config = derive_host_config(
            _plain(data),
            host,
            _plain(members) if members is not None else [],
            facts=_plain(facts),
            warnings=warnings,
            **options,
        )
    except KeepalivedConfigError as exc:
        return {"config": None, "errors": [f"{host}: {e}" for e in exc.errors], "warnings": []}
    return {
        "config": config,
        "errors": [],
        "warnings": [f"{host}: {w}" for w in warnings],
        # What must be on the host when keepalived.conf is written: every
        # program it runs, and the directory of every track file.
        "programs": [{"variable": where, "path": path} for where, path in script_paths(config)],
        "track_dirs": [
            {
                "path": os.path.dirname(tf["file"]),
                "warning": (
                    f"keepalived_track_files[{tf['name']}].file: the directory "
                    f"{os.path.dirname(tf['file'])} does not exist on this host; keepalived "
                    "ignores the track file until it exists when keepalived starts or reloads "
                    "(the haproxy role creates the one of haproxy_down_file)"
                ),
            }
            for tf in config.get("track_files", [])
        ],
    }


def keepalived_cluster_errors(
    hostvars, members, play_hosts, batch=None, result_var="__keepalived_derived"
):
    """Cluster-level checks over the members of the pair that are in this run.

    ``hostvars`` is Ansible's hostvars, ``members`` the inventory group of the
    pair, ``play_hosts`` the hosts of this run (ansible_play_hosts_all) and
    ``batch`` the hosts still active in this batch (ansible_play_batch): a
    member of the run outside it failed earlier or waits for a later batch,
    and the pair is then not changed.
    """
    selected = {}
    errors = []
    for host in members or []:
        if host not in (play_hosts or []):
            continue
        if batch is not None and host not in batch:
            errors.append(
                f"{host}: is in this run but not active in this batch (it failed earlier, or "
                "serial splits the pair); the pair is checked and changed together"
            )
            continue
        hv = hostvars[host]
        derived = _plain(hv.get(result_var)) or {}
        facts = _plain(hv.get("ansible_facts")) or {}
        selected[host] = {"config": derived.get("config"), "facts": facts}
    return errors + cluster_errors(selected)


def _hosts_of(value):
    value = _plain(value)
    if isinstance(value, str):
        return [value]
    return [h for h in value if isinstance(h, str)] if isinstance(value, list) else []


def keepalived_pairs_errors(
    hostvars, groups, play_hosts, pairs_group="loadbalancers", pair=None, result="errors"
):
    """Checks across the pairs (see _vrrp_pairs): every host of ``pairs_group``
    and every host of the run (``play_hosts``, ansible_play_hosts_all).

    ``groups`` is Ansible's ``groups``. With ``pair``, only the messages that
    concern that pair. ``result``: ``errors`` (the default) or ``warnings``
    (a list of messages each), or ``all`` (``{errors, warnings}``).
    """
    result = _plain(result)
    if result not in ("errors", "warnings", "all"):
        raise AnsibleFilterError(
            "keepalived_pairs_errors: result must be errors, warnings or all, got "
            f"{str(result)[:40]!r}"
        )
    groups = _plain(groups)
    groups = groups if isinstance(groups, dict) else {}
    in_run = _hosts_of(play_hosts)
    names = []
    for host in _hosts_of(groups.get(_plain(pairs_group))) + in_run:
        if host not in names:
            names.append(host)
    hosts = {}
    unread = []
    for host in names:
        try:
            hv = hostvars[host]
            hosts[host] = {key: _plain(hv[key]) for key in _PAIR_VARIABLES if key in hv}
        except Exception:  # noqa: BLE001 - a template that cannot be read outside the run
            unread.append(host)
    found = pairs_check(hosts, groups, _plain(pair), in_run)
    if unread:
        found["warnings"].append(
            f"{', '.join(unread)}: the variables {', '.join(_PAIR_VARIABLES[:-1])} could not "
            "be read (a template that needs this run?); left out of the checks across pairs"
        )
    return found if result == "all" else found[result]


def keepalived_vrrp_firewall(config):
    """What a firewall must let in for VRRP (see vrrp_firewall_rules), from a
    host's configuration (for example keepalived_host_config's ``config``)."""
    if not config:
        return []
    try:
        # The rules hold no password: a weak one (refused or warned about
        # where the configuration is derived) does not matter here.
        return vrrp_firewall_rules(normalize(_plain(config), allow_weak_secrets=True))
    except KeepalivedConfigError as exc:
        raise AnsibleFilterError(f"keepalived_vrrp_firewall: {exc}") from None


def keepalived_script_file_errors(entries):
    """Problems of keepalived_script_files (each naming its variable): a file
    name that is one path component, and exactly one of content or src."""
    return script_file_errors(_plain(entries))


class FilterModule:
    """halb.cluster keepalived filters."""

    def filters(self):
        return {
            "to_keepalived_conf": to_keepalived_conf,
            "keepalived_host_config": keepalived_host_config,
            "keepalived_cluster_errors": keepalived_cluster_errors,
            "keepalived_pairs_errors": keepalived_pairs_errors,
            "keepalived_vrrp_firewall": keepalived_vrrp_firewall,
            "keepalived_script_file_errors": keepalived_script_file_errors,
        }
