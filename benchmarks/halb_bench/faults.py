"""The faults the fail-over benchmark injects into the node that holds the
VIP, and how each is undone. ``inject`` returns the wall-clock time of the
fault (taken just before the command that causes it)."""

from __future__ import annotations

import time

# A table of its own in the node's network namespace, at a priority before
# firewalld's: everything in and out of eth0 is dropped, ARP included (a cut
# cable). The interface stays up, so keepalived sees no link change: the
# backup finds out by missing adverts, as with a real cut.
_CUT = """
table inet halb_bench_cut {
    chain input { type filter hook input priority -400; policy accept; iifname "eth0" drop; }
    chain output { type filter hook output priority -400; policy accept; oifname "eth0" drop; }
}
table arp halb_bench_cut {
    chain input { type filter hook input priority -400; policy drop; }
    chain output { type filter hook output priority -400; policy drop; }
}
"""
_UNCUT = "nft delete table inet halb_bench_cut; nft delete table arp halb_bench_cut"


class Fault:
    """``unreachable``: the node cannot be reached while the fault lasts (its
    VIP, still on its interface, does not count as held then)."""

    name = ""
    description = ""
    unreachable = False

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


class NetworkCut(Fault):
    name = "network_cut"
    description = "master's network cut (nftables drops all of eth0, ARP included)"
    unreachable = True

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
        NetworkCut,
        Switchover,
    )
}
