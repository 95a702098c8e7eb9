#!/usr/bin/python3
# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""halb-notify: e-mail alerts for keepalived state changes (halb.cluster.mailx_notify).

keepalived runs it from a ``notify`` hook, as the unprivileged script user:

    halb-notify TYPE NAME STATE PRIORITY      e.g. INSTANCE VI_1 MASTER 150

The keepalived role's backend check (halb-backends) uses the same spool for
HAProxy backends, on the node that holds the VIP:

    halb-notify BACKEND be_web DOWN 0         no UP server left
    halb-notify BACKEND be_web UP 2           UP again (2 servers)

It never sends from there. It writes the alert into an on-disk spool (under
a lock, named by a sequence number, so the order of events is kept), touches
the spool's ``trigger`` file and returns at once: keepalived is never held
up by a slow or dead relay. It ignores SIGTERM, so that the STOP alert is
queued even when keepalived has exited meanwhile; keepalived runs it through
the small shell front ``halb-notify`` beside this file, which ignores those
signals before Python starts. Each alert for an instance or group also
records its last state (states.json); keepalived.service's ExecStopPost runs

    halb-notify --keepalived-stopped

which queues STOP for every instance and group of keepalived.conf whose last
state is not STOP (its hook died with keepalived, or keepalived died), and a
hook's STOP that comes after that one is not queued twice.
systemd's halb-notify-flush.path sees the trigger and starts
halb-notify-flush.service, which runs ``halb-notify --flush`` as the script
user: the queued alerts go out oldest first, each through s-nail
under a timeout, and each is removed from the spool only after the relay
accepted it. The first failure (relay down, wrong password, certificate not
trusted) stops the flush; what is left is sent by the next event or by
halb-notify-flush.timer. The spool is bounded: when it is full the oldest
alert is dropped, and the next alert says how many were.

An alert the relay keeps refusing must not hold up the ones behind it: each
failed try is counted in the alert. Once the oldest alert has failed
``max_tries`` times (notify.json, default 5), the flush tries the next one:
if the relay takes that one, the problem is the old alert, not the relay,
and it goes to the dead-letter file (``dead-letter.jsonl`` in the spool,
0600, one JSON line each: the alert, why and how many tries); if not, the
relay is down and nothing is given up. An entry too large to be an alert
goes there at once. ``--status`` reports the dead letters (count, oldest,
why). Every argument of the hook is cut to a few dozen characters of
printable ASCII before it is queued.

Other modes:
    halb-notify --flush     send what the spool holds (the timer and path units run it)
    halb-notify --test      send a test message now, bypassing the spool; exit 1 if not sent
    halb-notify --status    what the spool holds and how the last flush went

Run as root, it switches to the script user first. Everything it does is
logged to syslog (the journal) as ``halb-notify``; never the relay password.
Settings: /etc/halb/notify.json (or --config, or $HALB_NOTIFY_CONFIG), written
by the role; s-nail reads the relay and its password from the resource file
that names (root:<script user> 0640).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import fcntl
import json
import os
import pwd
import re
import signal
import socket
import subprocess
import sys
import syslog
import time
import urllib.parse

DEFAULT_CONFIG = "/etc/halb/notify.json"
ENTRY_RE = re.compile(r"^([0-9]{12})\.json$")
STATES = ("MASTER", "BACKUP", "FAULT", "STOP")
# halb-backends: a tracked HAProxy backend lost its last UP server, or has one again.
BACKEND_STATES = ("DOWN", "UP")
LOCK_WAIT = 5.0
MAX_TRIES = 5
# An alert is a few hundred bytes; an entry larger than this is not one.
MAX_ENTRY = 16 * 1024
PRIORITY_RE = re.compile(r"^-?[0-9]{1,6}$")
# The kinds of alert whose last state is kept (states.json) for --keepalived-stopped.
TRACKED_TYPES = ("INSTANCE", "GROUP")
MAX_STATES = 256
DEFAULT_KEEPALIVED_CONFIG = "/etc/keepalived/keepalived.conf"
# What keepalived.conf names: vrrp_instance NAME { / vrrp_sync_group NAME {
_KEEPALIVED_NAME_RE = re.compile(
    r"^[ \t]*(vrrp_instance|vrrp_sync_group)[ \t]+([^\s{]+)", re.MULTILINE
)
_KEEPALIVED_INCLUDE_RE = re.compile(r"^[ \t]*include[ \t]", re.MULTILINE)
_UNSAFE = re.compile(r"[^\x21-\x7e]")
_UNSAFE_TEXT = re.compile(r"[^\x20-\x7e]")

_verbose = False


class NotifyError(Exception):
    """A problem worth one log line and a non-zero exit."""


# --- logging -------------------------------------------------------------


def log(priority, message):
    """One line to syslog (the journal), and to stderr when verbose."""
    try:
        syslog.syslog(priority, message)
    except OSError:
        pass
    if _verbose:
        print(f"halb-notify: {message}", file=sys.stderr, flush=True)


def _secrets(mailrc_path):
    """The relay password as the resource file holds it (percent-encoded) and
    decoded, so that no log line can ever carry it."""
    found = []
    try:
        with open(mailrc_path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return found
    for match in re.finditer(r"://[^:@/'\s]*:([^@'\s]+)@", text):
        encoded = match.group(1)
        found += [encoded, urllib.parse.unquote(encoded)]
    return [s for s in found if len(s) >= 3]


def scrub(text, secrets=()):
    """Remove credentials from a text that is about to be logged."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(secret, "********")
    return re.sub(r"(://[^:@/\s]*):[^@\s]*@", r"\1:********@", text)


# --- settings ------------------------------------------------------------


def load_config(path):
    try:
        with open(path, encoding="utf-8") as handle:
            cfg = json.load(handle)
    except OSError as exc:
        raise NotifyError(
            f"cannot read {path}: {exc.strerror} (run as root or as the script user)"
        ) from None
    except ValueError as exc:
        raise NotifyError(f"{path} is not valid JSON: {exc}") from None
    missing = [k for k in ("from", "recipients", "mailer", "mailrc", "spool_dir") if not cfg.get(k)]
    if missing:
        raise NotifyError(f"{path}: missing {', '.join(missing)}")
    cfg.setdefault("hostname", "")
    cfg.setdefault("relay", "the relay")
    cfg.setdefault("user", "keepalived_script")
    cfg["spool_max"] = max(1, int(cfg.get("spool_max", 1000)))
    cfg["timeout"] = max(1, int(cfg.get("timeout", 30)))
    cfg["flush_budget"] = max(cfg["timeout"], int(cfg.get("flush_budget", 4 * cfg["timeout"])))
    cfg["max_tries"] = max(1, int(cfg.get("max_tries", MAX_TRIES)))
    recipients = cfg["recipients"]
    if not isinstance(recipients, list) or not all(
        isinstance(r, str) and 0 < len(r) <= 254 and not _UNSAFE.search(r) for r in recipients
    ):
        raise NotifyError(f"{path}: recipients must be a list of e-mail addresses")
    return cfg


def drop_privileges(user):
    """Run as the script user when started as root, so that the spool keeps
    one owner."""
    if os.geteuid() != 0:
        return
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise NotifyError(f"the script user {user!r} does not exist") from None
    os.setgroups([entry.pw_gid])
    os.setgid(entry.pw_gid)
    os.setuid(entry.pw_uid)


# --- the spool -----------------------------------------------------------


@contextlib.contextmanager
def flocked(path, wait):
    """An exclusive flock on ``path``, waiting at most ``wait`` seconds;
    yields whether it was obtained."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                got = True
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    got = False
                    break
                time.sleep(0.02)
        yield got
    finally:
        os.close(fd)


def _fsync_dir(path):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path, data):
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


class Spool:
    """queue/<12-digit sequence>.json, one alert each; tmp/ for files being
    written; ``seq`` the last sequence number given; ``lock`` guards the
    sequence, ``flush.lock`` lets one flush run at a time; ``trigger`` is
    touched after every new alert (halb-notify-flush.path watches it)."""

    def __init__(self, directory, maximum):
        self.dir = directory
        self.max = maximum
        self.queue = os.path.join(directory, "queue")
        self.tmp = os.path.join(directory, "tmp")
        self.bad = os.path.join(directory, "bad")
        self.seq_path = os.path.join(directory, "seq")
        self.lock_path = os.path.join(directory, "lock")
        self.flush_lock_path = os.path.join(directory, "flush.lock")
        self.trigger_path = os.path.join(directory, "trigger")
        self.status_path = os.path.join(directory, "status.json")
        self.dead_path = os.path.join(directory, "dead-letter.jsonl")
        self.states_path = os.path.join(directory, "states.json")

    def prepare(self):
        if not os.path.isdir(self.dir):
            raise NotifyError(f"the spool {self.dir} does not exist (run the role)")
        for path in (self.queue, self.tmp, self.bad):
            with contextlib.suppress(FileExistsError):
                os.mkdir(path, 0o700)

    def entries(self):
        """[(sequence, path)] oldest first."""
        try:
            names = os.listdir(self.queue)
        except FileNotFoundError:
            return []
        found = []
        for name in names:
            match = ENTRY_RE.match(name)
            if match:
                found.append((int(match.group(1)), os.path.join(self.queue, name)))
        return sorted(found)

    def _last_seq(self):
        try:
            with open(self.seq_path, encoding="ascii") as handle:
                last = int(handle.read().strip() or 0)
        except (OSError, ValueError):
            last = 0
        entries = self.entries()
        return max([last] + [seq for seq, _path in entries[-1:]])

    def _evict(self):
        """Make room for one more alert; return the sequence numbers dropped."""
        dropped = []
        entries = self.entries()
        while len(entries) >= self.max:
            seq, path = entries.pop(0)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
                dropped.append(seq)
        return dropped

    def read_states(self):
        """{"TYPE NAME": {"state", "priority"}}: the last state queued for each
        instance and group (what --keepalived-stopped reads)."""
        try:
            with open(self.states_path, encoding="utf-8") as handle:
                states = json.load(handle)
        except (OSError, ValueError):
            return {}
        return states if isinstance(states, dict) else {}

    @contextlib.contextmanager
    def locked(self):
        """The spool's lock, waited for LOCK_WAIT seconds (then going on without it)."""
        with flocked(self.lock_path, LOCK_WAIT) as got:
            if not got:
                log(syslog.LOG_WARNING, f"{self.lock_path} stayed locked; queueing anyway")
            yield

    def _record_state(self, key, alert):
        states = self.read_states()
        states.pop(key, None)
        states[key] = {"state": alert["state"], "priority": alert["priority"]}
        while len(states) > MAX_STATES:  # the oldest first: names of long ago
            states.pop(next(iter(states)))
        tmp = os.path.join(self.tmp, f"states.{os.getpid()}")
        _write_file(tmp, json.dumps(states) + "\n")
        os.replace(tmp, self.states_path)

    def enqueue(self, alert):
        """Store one alert; return (its sequence number, the ones dropped), or
        (None, []) for a STOP already queued for the same instance or group
        (by --keepalived-stopped, which ran first)."""
        self.prepare()
        key = state_key(alert)
        with self.locked():
            if (
                key is not None
                and alert["state"] == "STOP"
                and self.read_states().get(key, {}).get("state") == "STOP"
            ):
                return None, []
            return self._enqueue_locked(alert, key)

    def stop_all(self, cfg, names, detail):
        """--keepalived-stopped: queue a STOP alert for every instance and group
        whose last queued state is not STOP (its hook died with keepalived, or
        keepalived died); ``names`` (a set of "TYPE NAME", or None for all)
        leaves out what the current keepalived.conf no longer has."""
        self.prepare()
        queued = []
        with self.locked():
            for key, last in list(self.read_states().items()):
                if not isinstance(last, dict) or last.get("state") == "STOP":
                    continue
                if names is not None and key not in names:
                    continue
                kind, _sep, name = key.partition(" ")
                alert = make_alert(cfg, kind, name, "STOP", last.get("priority", ""))
                alert["detail"] = detail
                seq, _dropped = self._enqueue_locked(alert, key)
                queued.append((seq, alert))
        return queued

    def _enqueue_locked(self, alert, key):
        """enqueue() with the lock held (or given up on); ``key`` (state_key,
        None for a backend alert) is where its state is recorded."""
        dropped = self._evict()
        seq = self._last_seq() + 1
        record = dict(alert, seq=seq, dropped_before=len(dropped))
        tmp = os.path.join(self.tmp, f"{seq:012d}.{os.getpid()}")
        _write_file(tmp, json.dumps(record, sort_keys=True) + "\n")
        # link() never replaces an existing entry: without the lock, take the next number.
        for _attempt in range(1000):
            try:
                os.link(tmp, os.path.join(self.queue, f"{seq:012d}.json"))
                break
            except FileExistsError:
                seq += 1
                record["seq"] = seq
                _write_file(tmp, json.dumps(record, sort_keys=True) + "\n")
        else:
            raise NotifyError("could not name the alert in the spool")
        os.unlink(tmp)
        _fsync_dir(self.queue)
        seq_tmp = os.path.join(self.tmp, f"seq.{os.getpid()}")
        _write_file(seq_tmp, f"{seq}\n")
        os.replace(seq_tmp, self.seq_path)
        if key is not None:
            self._record_state(key, alert)
        for old in dropped:
            log(syslog.LOG_WARNING, f"spool full ({self.max}): dropped the oldest alert #{old}")
        return seq, dropped

    def poke(self):
        """Tell halb-notify-flush.path that there is something to send."""
        with open(self.trigger_path, "w", encoding="ascii") as handle:
            handle.write(f"{time.time():.3f}\n")

    def write_status(self, **fields):
        status = self.read_status()
        status.update(fields)
        tmp = os.path.join(self.tmp, f"status.{os.getpid()}")
        with contextlib.suppress(OSError):
            _write_file(tmp, json.dumps(status, sort_keys=True) + "\n")
            os.replace(tmp, self.status_path)

    def read_status(self):
        try:
            with open(self.status_path, encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return {}

    def _record_try(self, path, alert, detail):
        """Count one failed try in the queued alert itself."""
        alert = dict(alert, tries=int(alert.get("tries", 0)) + 1, last_error=detail[:300])
        with flocked(self.lock_path, LOCK_WAIT):
            if not os.path.exists(path):
                return alert  # dropped from a full spool meanwhile
            tmp = os.path.join(self.tmp, f"try.{os.getpid()}")
            _write_file(tmp, json.dumps(alert, sort_keys=True) + "\n")
            os.replace(tmp, path)
        return alert

    def dead_letters(self):
        """The dead-letter records, oldest first (unreadable lines skipped)."""
        try:
            with open(self.dead_path, encoding="utf-8") as handle:
                lines = handle.read(self.max * 4 * MAX_ENTRY).splitlines()
        except OSError:
            return []
        found = []
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                found.append(record)
        return found

    def bury(self, seq, path, alert, why):
        """Move one alert from the queue to the dead-letter file (0600, at most
        ``max`` records: the oldest go first)."""
        record = {
            "seq": seq,
            "dead_at": now_iso(),
            "why": str(why)[:300],
            "tries": int(alert.get("tries", 0)) if isinstance(alert, dict) else 0,
            "alert": alert,
        }
        with flocked(self.lock_path, LOCK_WAIT):
            kept = self.dead_letters()[1 - self.max :] if self.max > 1 else []
            tmp = os.path.join(self.tmp, f"dead.{os.getpid()}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                for line in [*kept, record]:
                    handle.write(json.dumps(line, sort_keys=True) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.dead_path)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            _fsync_dir(self.dir)
        log(
            syslog.LOG_ERR,
            f"alert #{seq} given up after {record['tries']} tries ({record['why']}); "
            f"moved to {self.dead_path}",
        )

    def _read(self, seq, path):
        """The alert of one entry, or None when it was dealt with here."""
        try:
            size = os.stat(path).st_size
            if size > MAX_ENTRY:
                self.bury(
                    seq, path, None, f"entry of {size} bytes is too large (at most {MAX_ENTRY})"
                )
                return None
            with open(path, encoding="utf-8") as handle:
                alert = json.load(handle)
            if not isinstance(alert, dict) or not all(
                isinstance(alert.get(k), str) for k in ("host", "name", "state", "priority", "time")
            ):
                raise ValueError("not an alert")
        except FileNotFoundError:
            return None  # dropped from a full spool meanwhile
        except (OSError, ValueError) as exc:
            # A broken entry must not block every later alert.
            os.replace(path, os.path.join(self.bad, os.path.basename(path)))
            log(syslog.LOG_ERR, f"alert #{seq} is unreadable ({exc}); moved to bad/")
            return None
        return alert

    def flush(self, send, budget, max_tries=MAX_TRIES):
        """Send the queued alerts oldest first, removing each once the relay
        took it; stop at the first failure or when ``budget`` seconds are
        used up. An alert that failed ``max_tries`` times goes to the dead
        letters when the relay takes the next one. Returns (sent, left,
        error or None); ``error`` is "busy" when another flush holds the
        lock (it sends what is queued)."""
        self.prepare()
        deadline = time.monotonic() + budget
        sent = 0
        with flocked(self.flush_lock_path, 0) as locked:
            if not locked:
                return 0, len(self.entries()), "busy"
            # New alerts may arrive while sending: look again until the queue is empty.
            for _attempt in range(10000):
                entries = self.entries()
                if not entries:
                    return sent, 0, None
                buried = None
                for index, (seq, path) in enumerate(entries):
                    if seq == buried:
                        continue
                    if time.monotonic() >= deadline:
                        return sent, len(entries) - index, f"flush took over {budget}s"
                    alert = self._read(seq, path)
                    if alert is None:
                        continue
                    ok, detail = send(alert)
                    if not ok:
                        alert = self._record_try(path, alert, detail)
                        if alert["tries"] < max_tries or index + 1 >= len(entries):
                            return sent, len(entries) - index, detail
                        # Is it this alert or the relay? Try the one behind it.
                        next_seq, next_path = entries[index + 1]
                        following = self._read(next_seq, next_path)
                        if following is None or not send(following)[0]:
                            return sent, len(entries) - index, detail
                        with contextlib.suppress(FileNotFoundError):
                            os.unlink(next_path)
                        sent += 1
                        self.bury(seq, path, alert, detail)
                        buried = next_seq
                        continue
                    try:
                        os.unlink(path)
                    except FileNotFoundError:
                        pass
                    sent += 1
            return sent, len(self.entries()), "too many rounds"


# --- the message ---------------------------------------------------------


def clean(value, limit=64):
    """A word from keepalived's arguments, safe for a mail header."""
    text = _UNSAFE.sub("?", str(value))[:limit]
    return text or "?"


def now_iso():
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


def make_alert(cfg, kind, name, state, priority, when=None):
    """The spooled form of one keepalived notify call."""
    priority = str(priority).strip()
    return {
        "host": clean(cfg.get("hostname") or socket.gethostname(), 253),
        "type": clean(kind).upper(),
        "name": clean(name, 128),
        "state": clean(state).upper(),
        "priority": priority if PRIORITY_RE.fullmatch(priority) else clean(priority, 16),
        "time": when or now_iso(),
        "epoch": time.time(),
    }


def state_key(alert):
    """``"TYPE NAME"`` of an instance or group alert; None for the others."""
    if alert.get("type") not in TRACKED_TYPES:
        return None
    return f"{alert['type']} {alert['name']}"


def keepalived_names(path):
    """{"INSTANCE name", "GROUP name"} that keepalived.conf at ``path``
    defines; None when it includes other files or cannot be read (then
    every recorded instance and group counts)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read(4 * 1024 * 1024)
    except OSError as exc:
        log(syslog.LOG_WARNING, f"cannot read {path} ({exc.strerror}); every instance counts")
        return None
    if _KEEPALIVED_INCLUDE_RE.search(text):
        return None
    kinds = {"vrrp_instance": "INSTANCE", "vrrp_sync_group": "GROUP"}
    return {f"{kinds[kind]} {clean(name, 128)}" for kind, name in _KEEPALIVED_NAME_RE.findall(text)}


def stop_detail(environ):
    """What the STOP alerts of --keepalived-stopped say about the stop, from
    the variables systemd gives ExecStopPost."""
    result = clean(environ.get("SERVICE_RESULT") or "unknown", 32)
    how = " ".join(
        clean(environ[key], 32) for key in ("EXIT_CODE", "EXIT_STATUS") if environ.get(key)
    )
    return (
        f"keepalived stopped before its notify hook had queued this alert (systemd: result "
        f"{result}, {how or 'no exit status'}); halb-notify queued it from keepalived.service's "
        "ExecStopPost."
    )


def summary(alert):
    """``<host>: <instance> is now <STATE> (priority N) at <time>``; for a
    backend, ``<host>: backend <name> has no UP server`` / ``is UP again``."""
    if alert.get("type") == "BACKEND":
        if alert["state"] == "DOWN":
            return (
                f"{alert['host']}: backend {alert['name']} has no UP server on the node "
                f"that holds the VIP, at {alert['time']}"
            )
        return (
            f"{alert['host']}: backend {alert['name']} is {alert['state']} again "
            f"({alert['priority']} servers UP) at {alert['time']}"
        )
    what = alert["name"] if alert.get("type") != "GROUP" else f"group {alert['name']}"
    return (
        f"{alert['host']}: {what} is now {alert['state']} (priority {alert['priority']}) "
        f"at {alert['time']}"
    )


def render(alert, cfg, sent_at=None):
    """(subject, body) of the mail for one alert."""
    line = summary(alert)
    backend = alert.get("type") == "BACKEND"
    label = {"GROUP": "Group", "BACKEND": "Backend"}.get(alert.get("type"), "Instance")
    body = [
        line,
        "",
        f"Host:      {alert['host']}",
        f"{label + ':':<10} {alert['name']}",
        f"State:     {alert['state']}",
        f"Servers:   {alert['priority']} UP" if backend else f"Priority:  {alert['priority']}",
        f"Time:      {alert['time']}",
        f"Event:     #{alert.get('seq', '?')} of {alert['host']} (numbered in order)",
    ]
    waited = (sent_at if sent_at is not None else time.time()) - float(alert.get("epoch", 0))
    if alert.get("epoch") and waited >= 60:
        body += ["", f"This alert waited {int(waited // 60)} min in the spool of {alert['host']}."]
    if alert.get("detail"):
        body += ["", _UNSAFE_TEXT.sub("?", str(alert["detail"]))[:400]]
    if alert.get("dropped_before"):
        body += [
            "",
            f"{alert['dropped_before']} older alert(s) were dropped: the spool of "
            f"{alert['host']} was full ({cfg['spool_max']} alerts).",
        ]
    if backend and alert["state"] == "DOWN":
        body += [
            "",
            f"HAProxy on {alert['host']} sees no UP server in {alert['name']}: clients "
            "reaching it get 503 until a server is UP again (a mail follows then). Had the "
            "other node been able to serve, the VIP would have moved there, unless the two "
            "could not hear each other: the VRRP alerts around this one tell.",
        ]
    body += [
        "",
        "-- ",
        f"halb-notify ({'HAProxy backend check' if backend else 'keepalived notify hook'}) "
        f"via {cfg['relay']}",
    ]
    return line, "\n".join(body) + "\n"


# --- sending -------------------------------------------------------------


def send_mail(cfg, subject, body, event_id=None, secrets=()):
    """One message through s-nail, killed after cfg["timeout"] seconds.
    Returns (ok, detail)."""
    argv = [cfg["mailer"], "-:u", "-s", subject]
    if event_id:
        argv += ["-C", f"X-Halb-Notify-Event: {event_id}"]
    argv += ["-.", *cfg["recipients"]]
    env = {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        # s-nail wants a HOME it can enter; it writes nothing there ("unset save").
        "HOME": cfg["spool_dir"],
        "MAILRC": cfg["mailrc"],
        "MAILX_NO_SYSTEM_RC": "1",
        "LC_ALL": "C.UTF-8",
    }
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
    except OSError as exc:
        return False, f"cannot run {cfg['mailer']}: {exc.strerror}"
    try:
        out, _err = proc.communicate(body.encode(), timeout=cfg["timeout"])
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.communicate(timeout=5)
        return False, f"no result from the relay within {cfg['timeout']}s"
    text = " ".join(out.decode(errors="replace").split())
    if proc.returncode == 0:
        return True, scrub(text, secrets)
    return False, scrub(text or f"{cfg['mailer']} exited {proc.returncode}", secrets)


def flush(cfg, spool):
    """Send the spool (at most three passes, so that an alert queued while
    another flush was finishing is not left behind). Returns the exit code."""
    secrets = _secrets(cfg["mailrc"])

    def send(alert):
        subject, body = render(alert, cfg)
        event_id = f"{alert['host']} {alert.get('seq', 0)}"
        ok, detail = send_mail(cfg, subject, body, event_id, secrets)
        if ok:
            log(
                syslog.LOG_INFO,
                f"sent alert #{alert.get('seq')} via {cfg['relay']}: {summary(alert)}",
            )
        return ok, detail

    for _round in range(3):
        sent, left, error = spool.flush(send, cfg["flush_budget"], cfg["max_tries"])
        if error == "busy":
            return 0
        stamp = now_iso()
        if error:
            spool.write_status(last_attempt=stamp, last_error=error, queued=left)
            log(
                syslog.LOG_WARNING,
                f"could not send via {cfg['relay']} ({error}); {left} alert(s) stay in "
                f"{spool.queue} for the next try",
            )
            return 1
        if sent:
            spool.write_status(last_attempt=stamp, last_success=stamp, last_error="", queued=0)
        if not spool.entries():
            return 0
    return 0


def _summary_or_none(alert):
    try:
        return summary(alert)
    except (KeyError, TypeError):
        return None


def dead_letter_status(spool):
    """What --status says about the alerts given up: how many, the oldest, why."""
    dead = spool.dead_letters()
    report = {"count": len(dead), "file": spool.dead_path}
    if dead:
        oldest = dead[0]
        alert = oldest.get("alert") if isinstance(oldest.get("alert"), dict) else {}
        report["oldest"] = {
            "seq": oldest.get("seq"),
            "dead_at": oldest.get("dead_at"),
            "time": alert.get("time"),
            "summary": _summary_or_none(alert),
        }
        report["why"] = oldest.get("why")
        report["reasons"] = sorted({str(r.get("why")) for r in dead})[:10]
    return report


# --- main ----------------------------------------------------------------

# keepalived runs the hook with STOP as it shuts down, and the hook gets
# SIGTERM when keepalived's VRRP process exits about a second later (measured
# with keepalived 2.2.7, also under KillMode=process; with the default
# KillMode=control-group systemd sends SIGTERM to what is left of
# keepalived.service as well). Queueing takes milliseconds, but on a busy host
# a hook that waits for the spool's lock or for fsync can still be running
# then, and it would die with its alert never queued. So the hook ignores these
# signals (systemd waits for it, up to TimeoutStopSec); --flush, --test and
# --status do not. Python itself may need that second to start: the shell
# front (files/halb-notify) ignores them first, and this is the second line.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


def outlive_keepalived():
    """Ignore the signals a stopping keepalived.service sends its leftovers."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


def parse(argv):
    parser = argparse.ArgumentParser(
        prog="halb-notify",
        description="E-mail alerts for keepalived state changes, spooled and sent in order.",
    )
    parser.add_argument("--config", default=os.environ.get("HALB_NOTIFY_CONFIG", DEFAULT_CONFIG))
    parser.add_argument("-v", "--verbose", action="store_true", help="log to stderr as well")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--flush", action="store_true", help="send what the spool holds")
    mode.add_argument("--test", action="store_true", help="send a test message now")
    mode.add_argument("--status", action="store_true", help="show the spool")
    mode.add_argument(
        "--keepalived-stopped",
        action="store_true",
        help="queue STOP for every instance whose hook did not (keepalived.service's ExecStopPost)",
    )
    parser.add_argument("--keepalived-config", default=DEFAULT_KEEPALIVED_CONFIG)
    parser.add_argument(
        "event", nargs="*", metavar="TYPE NAME STATE PRIORITY", help="keepalived's notify arguments"
    )
    args = parser.parse_args(argv)
    modes = args.flush or args.test or args.status or args.keepalived_stopped
    if modes and args.event:
        parser.error("--flush, --test, --status and --keepalived-stopped take no event arguments")
    if not modes and len(args.event) != 4:
        parser.error("expected TYPE NAME STATE PRIORITY (as keepalived's notify gives them)")
    return args


def main(argv=None, hook_ignores_stop=False):
    """``hook_ignores_stop``: when called by keepalived (TYPE NAME STATE
    PRIORITY), ignore SIGTERM, SIGHUP and SIGINT (see outlive_keepalived)."""
    global _verbose
    args = parse(sys.argv[1:] if argv is None else argv)
    if hook_ignores_stop and not (args.flush or args.test or args.status):
        outlive_keepalived()
    _verbose = args.verbose or args.test or args.status or sys.stderr.isatty()
    os.umask(0o077)
    syslog.openlog("halb-notify", syslog.LOG_PID, syslog.LOG_DAEMON)
    try:
        cfg = load_config(args.config)
        # Read as root: keepalived.conf holds the VRRP password (0600).
        names = keepalived_names(args.keepalived_config) if args.keepalived_stopped else None
        drop_privileges(cfg["user"])
        spool = Spool(cfg["spool_dir"], cfg["spool_max"])
        if args.status:
            status = dict(spool.read_status(), relay=cfg["relay"], spool=spool.queue)
            status["queued"] = len(spool.entries())
            status["dead_letter"] = dead_letter_status(spool)
            print(json.dumps(status, indent=2, sort_keys=True))
            return 0
        if args.test:
            alert = make_alert(cfg, "TEST", "halb-notify", "TEST", 0)
            subject = f"{alert['host']}: test message from halb-notify at {alert['time']}"
            body = (
                f"{subject}\n\nIf you read this, {alert['host']} can send its keepalived "
                f"alerts via {cfg['relay']} to {', '.join(cfg['recipients'])}.\n"
            )
            ok, detail = send_mail(cfg, subject, body, secrets=_secrets(cfg["mailrc"]))
            if ok:
                log(syslog.LOG_INFO, f"test message sent via {cfg['relay']}")
                return 0
            log(syslog.LOG_ERR, f"test message NOT sent via {cfg['relay']}: {detail}")
            return 1
        if args.flush:
            return flush(cfg, spool)
        if args.keepalived_stopped:
            queued = spool.stop_all(cfg, names, stop_detail(os.environ))
            for seq, alert in queued:
                log(
                    syslog.LOG_INFO,
                    f"queued alert #{seq} after keepalived stopped: {summary(alert)}",
                )
            if queued:
                spool.poke()
            return 0
        alert = make_alert(cfg, *args.event)
        known = BACKEND_STATES if alert["type"] == "BACKEND" else STATES
        if alert["state"] not in known:
            log(syslog.LOG_WARNING, f"unexpected state {alert['state']!r}; queued as given")
        seq, _dropped = spool.enqueue(alert)
        if seq is None:
            log(syslog.LOG_INFO, f"already queued after keepalived stopped: {summary(alert)}")
            return 0
        log(syslog.LOG_INFO, f"queued alert #{seq}: {summary(alert)}")
        try:
            spool.poke()
        except OSError as exc:
            log(syslog.LOG_WARNING, f"cannot touch {spool.trigger_path}: {exc.strerror}")
        return 0
    except NotifyError as exc:
        log(syslog.LOG_ERR, str(exc))
        return 1
    except OSError as exc:
        log(syslog.LOG_ERR, f"{exc.filename or ''}: {exc.strerror or exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main(hook_ignores_stop=True))
