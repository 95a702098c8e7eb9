"""The faults the fail-over benchmark injects into the node that holds the
VIP, and how each is undone. ``inject`` returns the wall-clock time of the
fault (taken just before the command that causes it)."""

from __future__ import annotations

import time

# A partition of the node (TESTING.md): tables of their own in the node's
# network namespace, at a priority before firewalld's, drop everything in and
# out of every interface but lo, ARP included. Every interface, not eth0: a
# keepalived with use_vmac sends and answers on a macvlan on top of eth0,
# which `iifname "eth0"` does not match. The interfaces stay up, so keepalived
# sees no link change: the backup finds out by missing adverts, as with a
# real partition.
_CUT = """
table inet halb_bench_cut {
    chain input { type filter hook input priority -400; policy accept; iifname != "lo" drop; }
    chain output { type filter hook output priority -400; policy accept; oifname != "lo" drop; }
}
table arp halb_bench_cut {
    chain input { type filter hook input priority -400; policy accept; iifname != "lo" drop; }
    chain output { type filter hook output priority -400; policy accept; oifname != "lo" drop; }
}
"""
_UNCUT = "nft delete table inet halb_bench_cut; nft delete table arp halb_bench_cut"


class Fault:
    """``unreachable``: the node cannot be reached while the fault lasts (its
    VIP, still on its interface, does not count as held then). ``lasts``:
    seconds from the fault to its undoing (None: the profile's window);
    ``giveback``: seconds the client goes on after the undoing at least (the
    give-back is watched until the pair has settled and the VIP has answered
    for a while in any case)."""

    name = ""
    description = ""
    unreachable = False
    lasts = None
    giveback = 0.0

    def __init__(self, lab):
        self.lab = lab

    def inject(self, node):
        raise NotImplementedError

    def restore(self, node):
        raise NotImplementedError


class _Command(Fault):
    """A fault that is one command in the node, undone by another."""

    command = restore_command = ""

    def inject(self, node):
        at = time.time()
        self.lab.nsenter(node, self.command)
        return at

    def restore(self, node):
        self.lab.nsenter(node, self.restore_command)


def _command_fault(name, description, command, restore_command):
    attrs = {"description": description, "command": command, "restore_command": restore_command}
    return type(name, (_Command,), {"name": name, **attrs})


# name: (description, the fault, how it is undone)
_COMMANDS = {
    "haproxy_stopped": (
        "HAProxy stopped (`systemctl stop haproxy`)",
        "systemctl stop haproxy",
        "systemctl start haproxy",
    ),
    "haproxy_killed": (
        "HAProxy killed (SIGKILL to every process of the unit)",
        "systemctl kill --signal=SIGKILL haproxy",
        "systemctl start haproxy",
    ),
    "keepalived_killed": (
        "keepalived killed (SIGKILL: no goodbye advert, the VIP stays on the interface)",
        "systemctl kill --signal=SIGKILL keepalived",
        "systemctl start keepalived",
    ),
    "switchover": (
        "planned switchover (1 into keepalived_standby_file)",
        "echo 1 > /run/keepalived-standby",
        "echo 0 > /run/keepalived-standby",
    ),
}
HAProxyStopped, HAProxyKilled, KeepalivedKilled, Switchover = (
    _command_fault(name, *spec) for name, spec in _COMMANDS.items()
)


class MasterPaused(Fault):
    name = "master_paused"
    description = "node loss (`docker pause` of the master: every process frozen)"
    unreachable = True

    def inject(self, node):
        at = time.time()
        self.lab.container(node).pause()
        return at

    def restore(self, node):
        self.lab.container(node).unpause()


class Partition(Fault):
    """The issue-16 partition: 15 s, then 60 s of give-back (the clients'
    stale ARP entries, the returning master's DOWN servers)."""

    name = "partition"
    description = (
        "partition of the master for 15 s (nftables drops every interface but lo, ARP included)"
    )
    unreachable = True
    lasts = 15.0
    giveback = 60.0

    def inject(self, node):
        at = time.time()
        self.lab.nsenter(node, f"nft -f - <<'EOF'\n{_CUT}\nEOF", all_namespaces=False)
        return at

    def restore(self, node):
        self.lab.nsenter(node, _UNCUT, all_namespaces=False)


FAULTS = {
    cls.name: cls
    for cls in (
        HAProxyStopped,
        HAProxyKilled,
        KeepalivedKilled,
        MasterPaused,
        Partition,
        Switchover,
    )
}
