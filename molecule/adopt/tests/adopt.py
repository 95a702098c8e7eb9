"""What the adopt scenario's tests share: the planted mistakes, the secrets
that must never be printed, the take-over run, and a monitor of the VIP's
holders."""

from __future__ import annotations

import os
import re
import subprocess
import time

import halb_pair
from halb_common import Background

# The article's weak passwords prepare.yml planted (keepalived's auth_pass,
# the stats page's user:password). They may be in the written variable
# files (mode 0600), never in a report or a log.
SECRETS = ("11111111", "admin:123456")
# The stats password alone: a number, so only where no digit or dot touches it.
_STATS_PASSWORD = re.compile(r"(?<![\d.])123456(?![\d])")

# Every mistake prepare.yml planted: rule id -> where on each node it must be
# reported (a piece of the finding's variable path).
PLANTED_KEEPALIVED = {
    "check-script-repairs": "keepalived_scripts[chk_haproxy]",
    "script-missing": "keepalived_instances[VI_1]",
    "script-as-root": "keepalived_",
    "vip-without-dev": "keepalived_instances[VI_1]",
    "weak-password": "keepalived_instances[VI_1]",
}
PLANTED_HAPROXY = {
    "weak-password": "haproxy_listens[stats]",
    "stats-admin-true": "haproxy_listens[stats]",
    "option-httpclose": "haproxy_defaults",
    "unused-backend": "haproxy_backends[be_old]",
    "verify-none": "haproxy_backends[be_old]",
}
# Across the pair: weight -20 against priorities 150/100 (gap 50).
PLANTED_PAIR = {"weight-cannot-move": "keepalived_scripts[chk_haproxy]"}


def leaks(text):
    """The planted secrets found in ``text`` (empty when none)."""
    found = [secret for secret in SECRETS if secret in text]
    if _STATS_PASSWORD.search(text):
        found.append("123456")
    return found


def inventory():
    """Molecule's inventory directory (as halb_common.playbook passes it)."""
    return os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])


def adopt(directory, *options, inventories=(), timeout=900, log=None):
    """ansible-playbook halb.cluster.adopt against molecule's inventory (and
    ``inventories`` after it), with adopt_inventory_dir=``directory``; the
    environment is molecule's (ANSIBLE_COLLECTIONS_PATH: the installed
    tarball). Returns the CompletedProcess; the output also goes to ``log``."""
    args = ["ansible-playbook", "-i", inventory()]
    for extra in inventories:
        args += ["-i", str(extra)]
    args += ["halb.cluster.adopt", "-e", f"adopt_inventory_dir={directory}", *options]
    return _run(args, timeout, log)


def _run(args, timeout, log):
    """Run ``args`` with molecule's environment (ANSIBLE_COLLECTIONS_PATH: the
    installed tarball), without colour; the CompletedProcess gets ``seconds``;
    the output also goes to ``log`` (mode 0600)."""
    start = time.monotonic()
    proc = subprocess.run(
        args,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1"},
    )
    proc.seconds = time.monotonic() - start
    if log is not None:
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(" ".join(args) + "\n" + proc.stdout + proc.stderr)
    return proc


def playbook_site(directory, timeout=900, log=None):
    """halb.cluster.site on molecule's inventory and the written one (-i
    DIR), as an operator runs it once the pair is taken over."""
    return _run(
        ["ansible-playbook", "-i", inventory(), "-i", str(directory), "halb.cluster.site"],
        timeout,
        log,
    )


class Monitor(Background):
    """Which nodes hold the VIP, polled through docker exec (``ip -o addr``,
    as halb_pair.holders does) every ``interval`` seconds in a background
    thread, bounded by ``limit`` seconds. A sample in which a node could not
    be read (halb_pair.addresses) says nothing about the holders: it is
    counted (``unread``), not judged.

        with Monitor() as vip:
            ...
        vip.most, vip.longest_none, vip.seen, vip.unread
    """

    def __init__(self, interval=0.1, limit=900.0):
        super().__init__(limit)
        self.interval = interval
        self.samples = []  # (seconds, tuple of holders, or None: a node not read)

    @staticmethod
    def _holds(host):
        try:
            return halb_pair.holds_vip(host)
        except Exception:  # the engine too busy to exec: not read
            return None

    def _run(self):
        from concurrent.futures import ThreadPoolExecutor

        start = time.monotonic()
        # Both nodes at once: one docker exec takes about as long as the interval.
        with ThreadPoolExecutor(max_workers=len(halb_pair.HOSTS)) as pool:
            while not self._stop.is_set() and time.monotonic() - start < self.limit:
                now = time.monotonic()
                held = list(pool.map(self._holds, halb_pair.HOSTS))
                found = (
                    None
                    if None in held
                    else tuple(h for h, yes in zip(halb_pair.HOSTS, held, strict=True) if yes)
                )
                self.samples.append((round(now - start, 3), found))
                self._stop.wait(max(0.0, self.interval - (time.monotonic() - now)))

    @property
    def known(self):
        """The samples in which both nodes could be read."""
        return [(at, holders) for at, holders in self.samples if holders is not None]

    @property
    def unread(self):
        return len(self.samples) - len(self.known)

    @property
    def most(self):
        return max((len(h) for _when, h in self.known), default=0)

    @property
    def seen(self):
        """Every distinct set of holders, in the order first seen."""
        out = []
        for _when, holders in self.known:
            if holders not in out:
                out.append(holders)
        return out

    @property
    def longest_none(self):
        """The longest stretch (seconds, between samples) with no holder."""
        longest, since = 0.0, None
        for at, holders in self.known:
            if not holders:
                since = at if since is None else since
                longest = max(longest, at - since)
            else:
                since = None
        return round(longest, 3)

    def __str__(self):
        seconds = self.samples[-1][0] if self.samples else 0.0
        return (
            f"{len(self.samples)} samples of the VIP's holders in {seconds:.0f} s "
            f"({self.unread} with a node that could not be read), "
            f"holder sets seen {self.seen}, "
            f"at most {self.most} at once, longest with none {self.longest_none} s"
        )
