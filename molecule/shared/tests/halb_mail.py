"""Helpers for the verify step of the scenarios with the test relay
(mailx_notify, default): the relay's record of what it received (docker
exec), the load balancers' spools, and keepalived events. Every wait is
bounded in time."""

from __future__ import annotations

import email
import email.policy
import json
import os
import re

# Re-exported: the tests call them through this module.
from halb_common import container, playbook, sh, wait_for  # noqa: F401 # pylint: disable=unused-import

LBS = os.environ["HALB_LBS"].split(",")
NAMES = dict(zip(LBS, os.environ["HALB_LB_NAMES"].split(","), strict=True))
RELAY = os.environ["HALB_RELAY"]
VIP = os.environ["HALB_VIP"]
PASSWORD = os.environ.get("HALB_RELAY_PASSWORD", "")
PROGRAM = "/usr/local/libexec/halb/halb-notify"
SPOOL = "/var/spool/halb-notify"
USER = "keepalived_script"
SCENARIO = os.environ["MOLECULE_SCENARIO_DIRECTORY"]
SUBJECT_RE = re.compile(
    r"^(?P<host>\S+): (?P<name>\S+) is now (?P<state>MASTER|BACKUP|FAULT|STOP) "
    r"\(priority (?P<priority>\d+)\) at (?P<time>\S+)$"
)


def _jsonl(path):
    _rc, out = sh(RELAY, f"cat {path} 2>/dev/null || true")
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def messages():
    """Every message the relay accepted, in arrival order, each with the parsed
    mail under "mail" and, for alerts, (host, sequence) under "event"."""
    found = []
    for record in _jsonl("/var/lib/halb-relay/messages.jsonl"):
        mail = email.message_from_string(record["data"], policy=email.policy.default)
        record["mail"] = mail
        record["subject"] = str(mail["Subject"])
        record["body"] = mail.get_content()
        event = str(mail.get("X-Halb-Notify-Event", ""))
        host, _sep, seq = event.partition(" ")
        record["event"] = (host, int(seq)) if seq.isdigit() else None
        found.append(record)
    return found


def alerts(since=0, host=None):
    """The alert mails after the first ``since`` messages, optionally of one host."""
    return [m for m in messages()[since:] if m["event"] and (host is None or m["event"][0] == host)]


def auth_attempts():
    return _jsonl("/var/lib/halb-relay/auth.jsonl")


def queued(lb):
    """The spooled alerts of a load balancer (file names, oldest first)."""
    _rc, out = sh(lb, f"ls {SPOOL}/queue 2>/dev/null || true")
    return sorted(name for name in out.split() if name.endswith(".json"))


def status(lb):
    _rc, out = sh(lb, f"{PROGRAM} --status 2>/dev/null")
    return json.loads(out)


def notify(lb, *event):
    """Run halb-notify as keepalived does (as the script user, with TYPE NAME
    STATE PRIORITY); returns (exit code, seconds it took)."""
    argv = ["runuser", "-u", USER, "--", PROGRAM, *event]
    _rc, out = sh(
        lb,
        "python3 -c 'import subprocess, sys, time; t = time.monotonic(); "
        "rc = subprocess.call(sys.argv[1:]); print(rc, time.monotonic() - t)' " + " ".join(argv),
    )
    rc, took = out.split()[-2:]
    return int(rc), float(took)


def holds_vip(lb):
    rc, _out = sh(lb, f"ip -o -4 addr show | grep -qF ' {VIP}/'", check=False)
    return rc == 0


def journal(lb, since):
    """The load balancer's journal since a `date +%s` stamp (every unit)."""
    _rc, out = sh(lb, f"journalctl --no-pager -o cat --since @{since}")
    return out


def now(lb):
    _rc, out = sh(lb, "date +%s")
    return int(out.strip())


def failed_flushes(lb, since):
    """How many alerts each failed flush since ``since`` (epoch seconds, the
    load balancer's clock) left in the spool, from halb-notify's log lines."""
    _rc, out = sh(lb, f"journalctl --no-pager -o cat -t halb-notify --since @{since}")
    return [int(n) for n in re.findall(r"could not send via .*; (\d+) alert\(s\) stay", out)]


def wait_for_failed_flush(lb, since, left, timeout=60):
    """Wait until a flush since ``since`` failed with ``left`` alerts kept."""
    return wait_for(
        lambda: left in failed_flushes(lb, since),
        timeout=timeout,
        interval=0.5,
        what=f"a failed flush on {lb} keeping {left} alert(s)",
    )
