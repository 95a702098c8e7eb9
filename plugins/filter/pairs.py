# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side helper of the day-two playbooks: which pair each selected
load balancer belongs to, and an order that takes one pair at a time."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.halb.cluster.plugins.module_utils._typed import CONTROL_RE, show
from ansible_collections.halb.cluster.plugins.module_utils._vrrp_pairs import DEFAULTS

# The variable that names a host's pair, and its value when unset (the
# keepalived role's default, as the checks across pairs read it: one copy,
# which a unit test keeps equal to roles/keepalived/defaults/main.yml).
PAIR_VAR = "keepalived_cluster_group"
DEFAULT_PAIR = DEFAULTS[PAIR_VAR]


def _names(value, where):
    """A list of distinct, non-empty host names without control characters."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise AnsibleFilterError(f"{where}: {show(value)} is not a list of host names")
    names = []
    for index, name in enumerate(value):
        if not isinstance(name, str) or not name or CONTROL_RE.search(name):
            raise AnsibleFilterError(f"{where}[{index}]: {show(name)} is not a host name")
        if name in names:
            raise AnsibleFilterError(f"{where}[{index}]: host {show(name)} is listed twice")
        names.append(str(name))
    return names


def _pair_of(host, hostvars, default):
    own = hostvars.get(host) if hostvars is not None else None
    if own is None:
        return default
    if not isinstance(own, Mapping):
        raise AnsibleFilterError(f"hostvars[{show(host)}]: {show(own)} is not a mapping")
    pair = own.get(PAIR_VAR) if PAIR_VAR in own else None
    if pair is None or pair == "":
        return default
    if not isinstance(pair, str) or CONTROL_RE.search(pair):
        raise AnsibleFilterError(
            f"{PAIR_VAR} of {show(host)}: {show(pair)} is not an inventory group name"
        )
    return str(pair)


def pair_batches(hosts, hostvars=None, last=None, default=DEFAULT_PAIR):
    """The pairs of ``hosts`` (in the order of their first host in ``hosts``)
    and an order that finishes one pair before the next starts.

    ``hostvars`` maps a host to its variables; only ``keepalived_cluster_group``
    is read (``default`` when unset). Within a pair the hosts keep their order
    in ``hosts``, except that those in ``last`` come after the others.

    Returns ``pairs`` (names), ``members`` (pair -> its hosts, in run order),
    ``order`` (every host, pair by pair) and ``sizes`` (hosts per pair, in
    ``pairs`` order: a play's ``serial`` list that makes each batch one pair)
    and ``batch`` (host -> the index of its pair in ``pairs``).
    """
    hosts = _names(hosts, "hosts")
    last = set(_names([] if last is None else last, "last"))
    if not isinstance(default, str) or not default or CONTROL_RE.search(default):
        raise AnsibleFilterError(f"default: {show(default)} is not an inventory group name")
    if hostvars is not None and not isinstance(hostvars, Mapping):
        raise AnsibleFilterError(f"hostvars: {show(hostvars)} is not a mapping")
    members = {}
    for host in hosts:
        members.setdefault(_pair_of(host, hostvars, default), []).append(host)
    for pair, group in members.items():
        members[pair] = [h for h in group if h not in last] + [h for h in group if h in last]
    pairs = list(members)
    return {
        "pairs": pairs,
        "members": members,
        "order": [h for pair in pairs for h in members[pair]],
        "sizes": [len(members[pair]) for pair in pairs],
        "batch": {h: index for index, pair in enumerate(pairs) for h in members[pair]},
    }


_GROUP_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def pair_serial(groups, pattern, selected, variable="halb_pair"):
    """The ``serial`` list that makes each batch of a play over ``pattern``
    exactly one of the groups it names, in their order.

    Computed from what a play keyword can see (no host variable): ``groups``
    (Ansible's), ``pattern`` (the play's hosts: group names separated by ``:``
    or ``,``, nothing else) and ``selected`` (the hosts --limit leaves,
    ``ansible_play_batch`` when the play's keywords are templated). Ansible
    evaluates such a pattern as the groups' hosts in order, each host once,
    then drops those outside the limit; the sizes here follow the same rule,
    and a group left with no host is skipped (a serial of 0 would mean every
    remaining host at once).
    """
    where = variable
    if not isinstance(groups, Mapping):
        raise AnsibleFilterError(f"groups: {show(groups)} is not a mapping")
    if not isinstance(pattern, str) or not pattern.strip():
        raise AnsibleFilterError(
            f"{where}: one pair per batch needs the pair groups in order, e.g. "
            f"{where}=pair_a:pair_b (got {show(pattern)})"
        )
    if CONTROL_RE.search(pattern):
        raise AnsibleFilterError(
            f"{where}: {show(pattern)} has a line break or another control character"
        )
    names = [n.strip(" ") for n in re.split(r"[:,]", pattern)]
    for name in names:
        if not _GROUP_RE.match(name):
            raise AnsibleFilterError(
                f"{where}: {show(name)} is not a group name; one pair per batch takes only "
                "pair group names separated by ':' (no wildcard, !, & or host name)"
            )
        if name not in groups or name in ("all", "ungrouped"):
            raise AnsibleFilterError(f"{where}: {show(name)} is not an inventory group")
    chosen = set(_names([] if selected is None else selected, "selected"))
    seen, sizes = set(), []
    for name in names:
        members = groups[name]
        if isinstance(members, (str, bytes)) or not isinstance(members, (list, tuple)):
            raise AnsibleFilterError(f"groups[{show(name)}]: {show(members)} is not a list")
        fresh = [h for h in members if h not in seen and h in chosen]
        seen.update(members)
        if fresh:
            sizes.append(len(fresh))
    return sizes


class FilterModule:
    """halb.cluster filters for several pairs."""

    def filters(self):
        return {"pair_batches": pair_batches, "pair_serial": pair_serial}
