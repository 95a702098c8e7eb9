#!/usr/bin/python3 -I
# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""halb-backends: can this node's HAProxy serve? (halb.cluster.keepalived)

A small service (halb-backends.service, as the notify user) that keepalived
reads through a track file, event driven:

    halb-backends --watch /usr/local/libexec/halb/halb-backends.json

It asks HAProxy itself, never the web servers: the haproxy role adds a
frontend on loopback (haproxy_health_port, 127.0.0.1:8405 by default) that
answers ``halb-health be_web=2 be_api=1``, the number of usable servers of
each tracked backend as HAProxy's own health checks see them (``nbsrv``).
Every ``interval`` seconds it asks, and it writes ``1`` into ``track_file``
(atomically) as soon as a tracked backend has no usable server, or HAProxy
has not answered twice in a row, and ``0`` once every one has one again.
keepalived tracks that file with a negative weight: the node's priority
drops, so it neither keeps nor retakes the VIP while its peer can serve.
When both nodes lose every server, both are lowered alike, the order is
kept and nothing moves. A long-running process rather than a vrrp_script:
a script started every second, starved of CPU past its timeout, counts as
failed at once and moves the VIP for nothing.

While the node holds a VIP and can serve, it repeats the VIP's gratuitous
ARP every ``garp_interval`` seconds (IPv4; the unit gives it CAP_NET_RAW):
after a partition heals, the clients that still name the other node's MAC
for the VIP are corrected within that time. Unlike keepalived's
vrrp_garp_master_refresh, it stays silent while the node cannot serve, so
an old master lowered during the partition does not pull the clients back.

Alerts (when the settings name a ``notify`` program, halb-notify): on the
node that holds one of ``vips``, a tracked backend with no UP server for
``alert_after`` seconds (long enough for the VIP to move to a peer that can
serve, which makes the alert moot) is queued as ``BACKEND <name> DOWN 0``
through the fail-over alerts' spool; once it has an UP server again, on the
node that sent the DOWN alert, ``BACKEND <name> UP <n>``. What was alerted
is kept in ``state_dir`` (backends.json), so a restart neither repeats nor
forgets an alert.

Without --watch it asks once and exits 0 (every tracked backend has a
server), 1 (one has none, or HAProxy does not answer) or 2 (bad settings):
a check for the operator. It rereads the settings when they change and
exits when its own program file changes (systemd starts the new one).
Settings (JSON, written by the role): url, backends, vips, notify,
alert_after, state_dir, timeout, track_file, interval, garp_interval. It logs changes
only, to syslog as ``halb-backends``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import struct
import subprocess
import sys
import syslog
import tempfile
import time

# name=count pairs after the marker word; backend names as HAProxy allows them.
_PAIR_RE = re.compile(r"^([A-Za-z0-9_.:-]{1,64})=([0-9]{1,9})$")
MARKER = "halb-health"
IP_PATHS = ("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip")


class CheckError(Exception):
    """Settings the program cannot use."""


def log(priority, message):
    try:
        syslog.syslog(priority, message)
    except OSError:
        pass
    if sys.stderr.isatty():
        print(f"halb-backends: {message}", file=sys.stderr)


def load_settings(path):
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise CheckError(f"{path}: cannot read the settings ({exc})") from None
    if not isinstance(data, dict):
        raise CheckError(f"{path}: expected a JSON object")
    url = data.get("url")
    if not isinstance(url, str) or split_url(url) is None:
        raise CheckError(f"{path}: url must be http://ADDRESS:PORT/")
    backends = data.get("backends")
    if not isinstance(backends, list) or not backends:
        raise CheckError(f"{path}: backends must be a non-empty list")
    for name in backends:
        if not isinstance(name, str) or not _PAIR_RE.fullmatch(f"{name}=0"):
            raise CheckError(f"{path}: {name!r} is not a backend name")
    vips = data.get("vips") or []
    notify = data.get("notify") or None
    if notify is not None and not (isinstance(notify, str) and notify.startswith("/")):
        raise CheckError(f"{path}: notify must be an absolute path")
    seconds = {}
    for key, default in (
        ("alert_after", 10),
        ("timeout", 0.8),
        ("interval", 0.5),
        ("garp_interval", 0),
    ):
        value = data.get(key, default)
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not 0 <= value <= 86400
        ):
            raise CheckError(f"{path}: {key} must be a number of seconds (0-86400), not {value!r}")
        seconds[key] = float(value)
    return {
        "url": url,
        "backends": list(backends),
        "vips": [str(v) for v in vips],
        "notify": notify,
        "state_dir": data.get("state_dir") or None,
        "track_file": data.get("track_file") or None,
        **seconds,
        "interval": max(0.1, seconds["interval"]),
    }


def parse_counts(text):
    """``{backend: usable servers}`` from the health frontend's answer, or
    None when the answer is not one (another service on the port)."""
    words = text.split()
    if not words or words[0] != MARKER:
        return None
    counts = {}
    for word in words[1:]:
        match = _PAIR_RE.fullmatch(word)
        if match:
            counts[match.group(1)] = int(match.group(2))
    return counts


_URL_RE = re.compile(r"^http://(\[[0-9A-Fa-f:.]+\]|[0-9.]+|localhost):([0-9]{1,5})(/[!-~]*)?$")


def split_url(url):
    """(host, port, path) of an http:// URL on an address, or None."""
    match = _URL_RE.fullmatch(url)
    if not match:
        return None
    return match.group(1).strip("[]"), int(match.group(2)), match.group(3) or "/"


def empty(counts, backends):
    """The tracked backends with no usable server in HAProxy's answer (a
    backend missing from it has none)."""
    return [b for b in backends if counts.get(b, 0) < 1]


def counts_text(counts, backends):
    """``be_web=2 be_api=0``: what HAProxy said of the tracked backends."""
    return " ".join(f"{b}={counts.get(b, 0)}" for b in backends)


def ask_haproxy(url, timeout):
    """HAProxy's counts, or None when it does not answer as expected.

    One HTTP/1.0 request on a plain socket: this runs every second, and the
    http.client and email modules urllib needs cost more than the check."""
    where = split_url(url)
    if where is None:
        return None
    host, port, path = where
    try:
        with socket.create_connection((host, port), timeout=timeout) as conn:
            conn.sendall(f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode("ascii"))
            data = b""
            deadline = time.monotonic() + timeout
            while len(data) < 8192 and time.monotonic() < deadline:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None
    head, _sep, body = data.decode("ascii", "replace").partition("\r\n\r\n")
    if not head.startswith("HTTP/1.") or head.split(" ", 2)[1:2] != ["200"]:
        return None
    return parse_counts(body)


def held_addresses(output):
    """``{address: interface}`` from ``ip -o addr show`` output."""
    found = {}
    for line in output.splitlines():
        words = line.split()
        for i, word in enumerate(words[:-1]):
            if word in ("inet", "inet6") and len(words) > 1:
                found[words[i + 1].split("/")[0].lower()] = words[1].split("@")[0]
    return found


def addresses():
    """This node's addresses (``{address: interface}``), or {} when ``ip`` fails."""
    for path in IP_PATHS:
        if os.path.exists(path):
            try:
                out = subprocess.run(
                    [path, "-o", "addr", "show"],
                    capture_output=True,
                    text=True,
                    timeout=2,
                    check=False,
                ).stdout
            except (OSError, subprocess.SubprocessError):
                return {}
            return held_addresses(out)
    return {}


def held_vips(vips, held):
    """``[(interface, vip)]`` of the VIPs this node holds."""
    return [(held[v.lower()], v) for v in vips if v.lower() in held]


def holds_vip(vips):
    return bool(vips) and bool(held_vips(vips, addresses()))


def arp_frame(mac, address):
    """A gratuitous ARP (a broadcast request for ``address`` from itself), as
    keepalived sends it: every host on the segment that knows the address
    takes ``mac`` for it."""
    ip = socket.inet_aton(address)
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac + ip + b"\x00" * 6 + ip
    return b"\xff" * 6 + mac + b"\x08\x06" + arp


def send_garp(interface, address):
    """One gratuitous ARP for an IPv4 ``address`` on ``interface`` (needs
    CAP_NET_RAW, which the unit gives); False when it could not be sent."""
    try:
        with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as raw:
            raw.bind((interface, 0))
            mac = raw.getsockname()[4][:6]
            raw.send(arp_frame(mac, address))
        return True
    except (OSError, ValueError):
        return False


def normal_state(state):
    """``{"alerted": {...}, "down_since": {...}}`` from what was kept (anything)."""
    state = state if isinstance(state, dict) else {}
    return {
        key: dict(state[key]) if isinstance(state.get(key), dict) else {}
        for key in ("alerted", "down_since")
    }


def decide(state, counts, backends, holds, now, alert_after):
    """The alerts to send and the new state (pure: the tests drive it).

    ``state``: {"alerted": {name: epoch}, "down_since": {name: epoch}};
    ``counts``: HAProxy's answer (None when it gave none: nothing changes).
    """
    state = normal_state(state)
    alerted, since = state["alerted"], state["down_since"]
    alerts = []
    if counts is None:
        return alerts, {"alerted": alerted, "down_since": since}
    for name in backends:
        usable = counts.get(name, 0)
        if usable > 0:
            since.pop(name, None)
            if name in alerted:
                alerts.append((name, "UP", usable))
                del alerted[name]
        elif name in alerted:
            continue
        elif holds:
            first = since.setdefault(name, now)
            if now - first >= alert_after:
                alerts.append((name, "DOWN", 0))
                alerted[name] = now
                del since[name]
        else:
            since.pop(name, None)
    return alerts, {"alerted": alerted, "down_since": since}


def load_state(state_dir):
    try:
        with open(os.path.join(state_dir, "backends.json"), encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}


def replace_file(path, text, mode=0o600):
    """``text`` into ``path`` atomically: a temporary file beside it, renamed
    over it (keepalived watches the track file with inotify)."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".halb-backends.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def save_state(state_dir, state):
    replace_file(os.path.join(state_dir, "backends.json"), json.dumps(state, sort_keys=True))


def write_track(path, down):
    """``1`` (cannot serve) or ``0`` into the track file."""
    replace_file(path, "1\n" if down else "0\n", 0o644)


class Checker:
    """One node's view: HAProxy's counts, the track file, the alerts."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.misses = 0
        self.down = None
        self.state = normal_state(load_state(cfg["state_dir"]) if cfg["state_dir"] else {})
        self.garp_at = None
        self.garp_failed = False

    def refresh_arp(self, now):
        """While this node holds a VIP and can serve, repeat its gratuitous ARP
        every ``garp_interval`` seconds (IPv4 VIPs). keepalived's own refresh
        (vrrp_garp_master_refresh) would go on while the node cannot serve:
        after a partition heals, the old master, still MASTER for up to an
        advert interval and lowered because its servers went DOWN meanwhile,
        would pull the clients away from the peer that serves. Returns the
        VIPs announced."""
        interval = self.cfg["garp_interval"]
        if interval <= 0 or self.down is not False:
            self.garp_at = None
            return []
        if self.garp_at is not None and now - self.garp_at < interval:
            return []
        self.garp_at = now
        sent = []
        for interface, vip in held_vips(self.cfg["vips"], addresses()):
            if ":" in vip:
                continue  # IPv6: keepalived's own unsolicited NAs
            if send_garp(interface, vip):
                sent.append(vip)
            elif not self.garp_failed:
                self.garp_failed = True
                log(syslog.LOG_ERR, f"cannot send a gratuitous ARP for {vip} on {interface}")
        return sent

    def step(self, now):
        """Ask HAProxy once; return whether this node cannot serve (None: not known yet)."""
        cfg = self.cfg
        counts = ask_haproxy(cfg["url"], cfg["timeout"])
        self.misses = 0 if counts is not None else self.misses + 1
        if counts is None:
            down = True if self.misses >= 2 else self.down
        else:
            down = bool(empty(counts, cfg["backends"]))
        if down is not None and down != self.down and cfg["track_file"]:
            try:
                write_track(cfg["track_file"], down)
            except OSError as exc:
                log(syslog.LOG_ERR, f"cannot write {cfg['track_file']}: {exc}")
                return down
            if counts is None:
                detail = "HAProxy does not answer"
            else:
                detail = counts_text(counts, cfg["backends"])
            log(
                syslog.LOG_WARNING if down else syslog.LOG_NOTICE,
                f"{'cannot' if down else 'can'} serve ({detail})",
            )
        self.down = down
        self.refresh_arp(now)
        if cfg["notify"] and cfg["state_dir"] and counts is not None:
            self.alert(counts, now)
        return down

    def alert(self, counts, now):
        cfg = self.cfg
        asked = empty(counts, cfg["backends"]) or self.state["alerted"]
        holds = holds_vip(cfg["vips"]) if asked else False
        alerts, new = decide(self.state, counts, cfg["backends"], holds, now, cfg["alert_after"])
        for name, what, usable in alerts:
            log(
                syslog.LOG_WARNING if what == "DOWN" else syslog.LOG_NOTICE,
                f"backend {name}: "
                + ("no UP server on the VIP holder" if what == "DOWN" else f"{usable} UP again"),
            )
            try:
                subprocess.run(
                    [cfg["notify"], "BACKEND", name, what, str(usable)], timeout=10, check=False
                )
            except (OSError, subprocess.SubprocessError) as exc:
                log(syslog.LOG_ERR, f"cannot run {cfg['notify']}: {exc}")
        changed, self.state = new != self.state, new
        if changed:
            try:
                save_state(cfg["state_dir"], new)
            except OSError as exc:
                log(syslog.LOG_ERR, f"cannot keep the alert state in {cfg['state_dir']}: {exc}")


def _mtime(path):
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def watch(path, limit=None):
    """Ask every ``interval`` seconds until stopped (or ``limit`` rounds, for
    the tests); reread the settings when they change; return 0 when the
    program file changed (systemd starts the new one)."""
    cfg = load_settings(path)
    checker = Checker(cfg)
    me = os.path.abspath(__file__)
    seen, program = _mtime(path), _mtime(me)
    log(syslog.LOG_INFO, f"watching {', '.join(cfg['backends'])} at {cfg['url']}")
    rounds = 0
    while limit is None or rounds < limit:
        rounds += 1
        checker.step(time.time())
        time.sleep(cfg["interval"])
        if _mtime(me) != program:
            log(syslog.LOG_INFO, "the program changed: exiting for the new one")
            return 0
        if _mtime(path) != seen:
            seen = _mtime(path)
            try:
                cfg = load_settings(path)
            except CheckError as exc:
                log(syslog.LOG_ERR, f"{exc}; keeping the settings read before")
                continue
            checker.cfg = cfg
            checker.down = None  # write the track file again under the new settings
            log(syslog.LOG_INFO, f"settings reread: {', '.join(cfg['backends'])}")
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    syslog.openlog("halb-backends", syslog.LOG_PID, syslog.LOG_DAEMON)
    watching = bool(argv) and argv[0] == "--watch"
    args = argv[1:] if watching else argv
    if len(args) != 1:
        log(syslog.LOG_ERR, "usage: halb-backends [--watch] SETTINGS.json")
        return 2
    try:
        if watching:
            return watch(args[0])
        cfg = load_settings(args[0])
    except CheckError as exc:
        log(syslog.LOG_ERR, str(exc))
        return 2
    counts = ask_haproxy(cfg["url"], cfg["timeout"])
    if counts is None:
        print(f"HAProxy does not answer at {cfg['url']}")
        return 1
    print(counts_text(counts, cfg["backends"]))
    return 1 if empty(counts, cfg["backends"]) else 0


if __name__ == "__main__":
    sys.exit(main())
