# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is anything receiving HAProxy's logs? The judgement, over text.

HAProxy sends syslog over UDP (or to a unix datagram socket) and never waits:
when nothing is bound to the target, or the receiver cannot write, every line
is lost and HAProxy says nothing. This helper reads what haproxy_info needs to
say so, as pure functions (standard library only, no I/O; the module reads the
files and calls statvfs and connect):

- ``log_targets(config_text)``: the ``log`` lines of a haproxy.cfg (every
  section; ``log global`` and ``no log`` name no target) and the ``chroot``
  of its global section, with each target classified: a UDP address (IPv4 or
  IPv6, port 514 when none is given), a unix socket path, or something this
  check does not look at (a host name, a ring, stdout, fd@...).
- ``parse_proc_udp(text, family, byteorder)``: ``/proc/net/udp`` or
  ``/proc/net/udp6``: the kernel writes each 32-bit word of an address in the
  host's byte order as 8 hex digits, and the port as 4 hex digits.
- ``receivers(host, port, sockets)``: the sockets that get a datagram sent to
  host:port: bound to that address or to the family's wildcard (and, for an
  IPv4 target, the IPv6 wildcard or the IPv4-mapped address: a dual-stack
  socket), unconnected.
- ``unix_receiver(...)``: what a ``stat`` and a datagram ``connect`` of a
  socket path said.
- ``parse_min_free(text)`` and ``disk_space(...)``: free space (and inodes)
  of the log directory against a threshold.
- ``report(...)``: all of it as haproxy_info returns it, with the problems
  in plain sentences.
"""

from __future__ import annotations

import errno as _errno
import ipaddress
import re

DEFAULT_LOG_PORT = 514

# Sections of a haproxy.cfg (HAProxy 2.6 to 3.x); a line whose first word is
# one of these starts a new section.
_SECTIONS = frozenset(
    (
        "global",
        "defaults",
        "frontend",
        "backend",
        "listen",
        "userlist",
        "peers",
        "resolvers",
        "mailers",
        "program",
        "http-errors",
        "ring",
        "log-forward",
        "cache",
        "fcgi-app",
        "crt-store",
        "traces",
        "acme",
    )
)

# Words of a log line between the target and the facility, each with one argument.
_LOG_OPTIONS = frozenset(("len", "format", "sample", "profile"))

# /proc/net/udp: the state of an unconnected (bound or unbound) UDP socket is
# TCP_CLOSE (07); a connected one is TCP_ESTABLISHED (01) and only receives
# from its peer.
_UNCONNECTED = 0x07

_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$", re.IGNORECASE)
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)\s*%$")
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}

# With a size threshold, inodes are called low under this share.
INODES_LOW_PERCENT = 1.0


class LogLinkError(ValueError):
    """A text this helper cannot read (a /proc line, a threshold)."""


# --- haproxy.cfg ------------------------------------------------------------


def _words(line):
    """HAProxy's words of one config line: a ``#`` outside quotes ends it,
    single quotes are literal, double quotes and a backslash escape. Returns
    (words, whether an environment variable is used)."""
    words, word, quote, env, started = [], [], None, False, False
    i = 0
    while i < len(line):
        c = line[i]
        if quote == "'":
            if c == "'":
                quote = None
            else:
                word.append(c)
        elif c == "\\" and i + 1 < len(line):
            i += 1
            word.append({"n": "\n", "r": "\r", "t": "\t"}.get(line[i], line[i]))
            started = True
        elif quote == '"':
            if c == '"':
                quote = None
            else:
                env = env or c == "$"
                word.append(c)
        elif c in "'\"":
            quote, started = c, True
        elif c == "#":
            break
        elif c.isspace():
            if started:
                words.append("".join(word))
                word, started = [], False
        else:
            env = env or c == "$"
            word.append(c)
            started = True
        i += 1
    if started:
        words.append("".join(word))
    return words, env


def _ip(text):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _host_port(text, family=None):
    """(host, port) of ``HOST[:PORT]``, ``IPV6:[PORT]`` or ``[IPV6]:PORT``;
    port 514 when none is given, None when it is not a port. Like HAProxy,
    an address with more than one colon (or of an ipv6@ or udp6@ prefix) is
    split at its last colon: ``::1:514`` and ``::1:`` are ::1 port 514."""
    if text.startswith("["):
        host, rest = text[1:].partition("]")[::2]
        port = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") > 1 or family == 6:
        host, port = text.rpartition(":")[::2]
    else:
        host, port = text.partition(":")[::2]
    if port and (not port.isdigit() or not 0 < int(port) < 65536):
        return host, None
    return host, int(port) if port else DEFAULT_LOG_PORT


def classify(address):
    """What a log target is, as a dict: ``kind`` udp (``host``, ``port``,
    ``family`` 4 or 6, ``loopback``), unix (``path``), or other; ``checked``
    says whether this helper can tell if something receives there, and
    ``reason`` why not."""
    prefix, at, rest = address.partition("@")
    if not at:
        prefix, rest = "", address
    prefix = prefix.lower()
    if address in ("stdout", "stderr") or prefix == "fd":
        return {"kind": "other", "checked": False, "reason": "a file descriptor of HAProxy's"}
    if prefix == "ring":
        return {"kind": "other", "checked": False, "reason": "a ring buffer of HAProxy's"}
    if prefix in ("tcp", "tcp4", "tcp6"):
        return {"kind": "other", "checked": False, "reason": "a TCP target (through a ring)"}
    if prefix == "abns":
        return {"kind": "other", "checked": False, "reason": "an abstract unix socket"}
    if prefix == "unix" or (not prefix and rest.startswith("/")):
        return {"kind": "unix", "path": rest, "checked": True}
    if prefix not in ("", "udp", "udp4", "udp6", "ipv4", "ipv6"):
        return {"kind": "other", "checked": False, "reason": f"an address of kind {prefix}@"}
    family = 6 if prefix in ("udp6", "ipv6") else None
    host, port = _host_port(rest, family)
    ip = _ip(host)
    if port is None:
        return {"kind": "other", "checked": False, "reason": "a port this check cannot read"}
    if ip is None:
        return {
            "kind": "udp",
            "host": host,
            "port": port,
            "checked": False,
            "reason": "a host name (only loopback addresses and unix sockets are checked)",
        }
    loopback = ip.is_loopback
    out = {
        "kind": "udp",
        "host": str(ip),
        "port": port,
        "family": ip.version,
        "loopback": loopback,
        "checked": loopback,
    }
    if not loopback:
        out["reason"] = "not a loopback address (only the local receiver is checked)"
    return out


def log_targets(config_text):
    """The log targets of a haproxy.cfg and its chroot: ``{"chroot": str or
    None, "targets": [...]}``, one target per address (in the order they
    first appear) with ``address`` as written, ``sections`` (``global``,
    ``defaults``, ``frontend fe_web`` ...), ``facilities`` and what
    ``classify`` says of it."""
    chroot = None
    section = None
    targets = {}
    for line in config_text.splitlines():
        words, env = _words(line)
        if not words:
            continue
        key = words[0].lower()
        if key in _SECTIONS:
            section = " ".join([key, *words[1:2]])
            continue
        if section == "global" and key == "chroot" and len(words) > 1:
            chroot = words[1]
            continue
        if key != "log" or len(words) < 2 or words[1].lower() == "global":
            continue
        address = words[1]
        rest = words[2:]
        while len(rest) > 1 and rest[0].lower() in _LOG_OPTIONS:
            rest = rest[2:]
        target = targets.get(address)
        if target is None:
            if env:
                found = {"kind": "other", "checked": False, "reason": "an environment variable"}
            else:
                found = classify(address)
            target = targets[address] = {
                "address": address,
                "sections": [],
                "facilities": [],
                **found,
            }
        if section is not None and section not in target["sections"]:
            target["sections"].append(section)
        if rest and rest[0] not in target["facilities"]:
            target["facilities"].append(rest[0])
    return {"chroot": chroot, "targets": list(targets.values())}


def in_chroot(chroot, path):
    """Where a unix log socket is for a HAProxy that chroots: HAProxy sends
    to the path after its chroot, so ``/dev/log`` is ``<chroot>/dev/log``."""
    if not chroot or chroot == "/":
        return path
    return chroot.rstrip("/") + "/" + path.lstrip("/")


# --- /proc/net/udp -----------------------------------------------------------


def _address(hex_text, family, byteorder):
    words = len(hex_text) // 8
    if len(hex_text) % 8 or words != (1 if family == 4 else 4):
        raise LogLinkError(f"{hex_text!r} is not an IPv{family} address of /proc/net/udp")
    raw = b"".join(
        int(hex_text[8 * i : 8 * i + 8], 16).to_bytes(4, byteorder) for i in range(words)
    )
    ip = ipaddress.ip_address(raw)
    if getattr(ip, "ipv4_mapped", None):
        # One spelling on every Python (3.13 changed str() of these).
        return f"::ffff:{ip.ipv4_mapped}"
    return str(ip)


def _endpoint(text, family, byteorder, where):
    host, colon, port = text.partition(":")
    if not colon or len(port) != 4:
        raise LogLinkError(f"{where}: {text!r} is not ADDRESS:PORT")
    try:
        return _address(host, family, byteorder), int(port, 16)
    except ValueError as exc:
        raise LogLinkError(f"{where}: {text!r}: {exc}") from None


def parse_proc_udp(text, family=4, byteorder="little"):
    """The sockets of ``/proc/net/udp`` (``family`` 4) or ``/proc/net/udp6``
    (6), each as ``{address, port, remote_address, remote_port, state,
    rx_queue, inode, drops}`` with addresses as text (``127.0.0.1``,
    ``::1``, ``::ffff:127.0.0.1``) and numbers as numbers. ``byteorder`` is
    the host's (``sys.byteorder``)."""
    if family not in (4, 6):
        raise LogLinkError(f"family {family!r} is not 4 or 6")
    sockets = []
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields or fields[0] == "sl":
            continue
        where = f"line {number}"
        if len(fields) < 10 or not fields[0].endswith(":"):
            raise LogLinkError(f"{where}: {line.strip()!r} is not a socket line")
        address, port = _endpoint(fields[1], family, byteorder, where)
        remote, remote_port = _endpoint(fields[2], family, byteorder, where)
        try:
            state = int(fields[3], 16)
            rx_queue = int(fields[4].partition(":")[2] or "0", 16)
            inode = int(fields[9])
            drops = int(fields[12]) if len(fields) > 12 else None
        except ValueError:
            raise LogLinkError(f"{where}: {line.strip()!r} is not a socket line") from None
        sockets.append(
            {
                "address": address,
                "port": port,
                "remote_address": remote,
                "remote_port": remote_port,
                "state": state,
                "rx_queue": rx_queue,
                "inode": inode,
                "drops": drops,
            }
        )
    return sockets


def receivers(host, port, sockets):
    """The sockets (of ``parse_proc_udp``, both families together) that a
    datagram to host:port reaches: unconnected, bound to that port and to
    the address, the family's wildcard, or (for an IPv4 host) the IPv6
    wildcard of a dual-stack socket or the IPv4-mapped address. An IPv6
    wildcard socket with IPV6_V6ONLY set does not get IPv4 datagrams; the
    kernel does not show that flag here, so it counts."""
    ip = ipaddress.ip_address(host)
    if ip.version == 4:
        wanted = {str(ip), "0.0.0.0", "::", f"::ffff:{ip}"}
    else:
        wanted = {str(ip), "::"}
    return [
        s
        for s in sockets
        if s["port"] == port
        and s["state"] == _UNCONNECTED
        and s["remote_port"] == 0
        and s["address"] in wanted
    ]


# --- unix sockets --------------------------------------------------------------


def unix_receiver(exists, is_socket, connect_errno):
    """(listening, reason) for a unix log socket from what the module saw:
    whether the path exists, whether it is a socket, and the errno of a
    datagram ``connect`` to it (0: something is bound; None: not tried).
    ``listening`` is None when it cannot be told."""
    if not exists:
        return False, "no such file"
    if not is_socket:
        return False, "not a socket"
    if connect_errno is None:
        return None, "a socket; whether anything is bound to it was not checked"
    if connect_errno == 0:
        return True, None
    if connect_errno == _errno.ECONNREFUSED:
        return False, "a socket file that nothing is bound to (its receiver stopped)"
    if connect_errno == _errno.EPROTOTYPE:
        return False, "a stream socket: HAProxy sends datagrams"
    if connect_errno in (_errno.EACCES, _errno.EPERM):
        return None, "not allowed to connect (run as root or as HAProxy's user)"
    return None, f"connect failed: {_errno.errorcode.get(connect_errno, connect_errno)}"


# --- free space ----------------------------------------------------------------


def parse_min_free(text):
    """A threshold: ``5%`` (of the file system), or a size in bytes with an
    optional binary unit (``512M``, ``1G``, ``1048576``). Returns
    ``("percent", float)`` or ``("bytes", int)``."""
    value = str(text).strip()
    match = _PERCENT.match(value)
    if match:
        percent = float(match.group(1))
        if percent > 100:
            raise LogLinkError(f"{text!r}: a share over 100%")
        return "percent", percent
    match = _SIZE.match(value)
    if match:
        return "bytes", int(float(match.group(1)) * _UNITS[match.group(2).upper()])
    raise LogLinkError(f"{text!r} is neither a share (5%) nor a size (512M, 1G, 1048576)")


def _human(size):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"


def disk_space(frsize, blocks, bavail, files, favail, min_free):
    """Free space of the log directory's file system from statvfs (block
    size, blocks, blocks available to non-root, inodes, inodes available)
    against ``min_free`` (of ``parse_min_free``): ``{free_bytes,
    free_percent, free_inodes_percent, low, inodes_low}``. A file system
    that has no inode count (``files`` 0) is never low on inodes."""
    kind, limit = min_free
    free_bytes = bavail * frsize
    free_percent = round(100.0 * bavail / blocks, 2) if blocks else 0.0
    inodes_percent = round(100.0 * favail / files, 2) if files else None
    if kind == "percent":
        low = free_percent < limit
        inode_limit = limit
    else:
        low = free_bytes < limit
        inode_limit = INODES_LOW_PERCENT
    return {
        "free_bytes": free_bytes,
        "free_percent": free_percent,
        "free_inodes_percent": inodes_percent,
        "low": bool(low or bavail == 0),
        "inodes_low": bool(files) and (favail == 0 or inodes_percent < inode_limit),
    }


# --- the report ----------------------------------------------------------------


def report(parsed, udp_sockets, unix_probes, log_dir, dropped_logs=None, udp_error=None):
    """haproxy_info's ``logs`` and the problems, from ``log_targets``'s
    result, the sockets of both /proc files (None: they could not be read,
    ``udp_error`` says why), ``{checked path: (exists, is_socket,
    connect_errno)}`` for the unix targets, the log directory (``{path,
    checked_path, exists, min_free}`` and what ``disk_space`` said, or
    ``error``) and HAProxy's DroppedLogs counter when known. Returns (logs,
    problems)."""
    problems = []
    targets = []
    for found in parsed["targets"]:
        target = dict(found)
        target["listening"] = None
        if target["kind"] == "unix":
            path = in_chroot(parsed["chroot"], target["path"])
            target["checked_path"] = path
            listening, reason = unix_receiver(*unix_probes.get(path, (False, False, None)))
            target["listening"] = listening
            if reason:
                target["reason"] = reason
            if listening is False:
                problems.append(
                    f"nothing receives HAProxy's logs at {target['address']} "
                    f"({path}: {reason}): every line sent there is lost (is rsyslog "
                    "or journald running, and does it listen there?)"
                )
        elif target["checked"]:
            if udp_sockets is None:
                target["reason"] = udp_error or "/proc/net/udp could not be read"
            else:
                found_receivers = receivers(target["host"], target["port"], udp_sockets)
                target["listening"] = bool(found_receivers)
                target["receivers"] = [
                    {
                        "address": r["address"],
                        "port": r["port"],
                        "inode": r["inode"],
                        "rx_queue": r["rx_queue"],
                        "drops": r["drops"],
                    }
                    for r in found_receivers
                ]
                target["drops"] = sum(r["drops"] or 0 for r in found_receivers)
                if not found_receivers:
                    target["reason"] = "no UDP socket is bound to this address and port"
                    problems.append(
                        f"nothing receives HAProxy's logs at {target['address']} (no UDP "
                        f"socket bound to {target['host']} port {target['port']}): every line "
                        "sent there is lost (is rsyslog running?)"
                    )
        targets.append(target)
    checked = [t["listening"] for t in targets if t["listening"] is not None]
    logs = {
        "targets": targets,
        "chroot": parsed["chroot"],
        "receiving": all(checked) if checked else None,
        "log_dir": log_dir,
    }
    if dropped_logs is not None:
        logs["dropped_logs"] = dropped_logs
    where = log_dir.get("checked_path")
    if log_dir.get("low"):
        problems.append(
            f"{where} has {_human(log_dir['free_bytes'])} ({log_dir['free_percent']}%) free, "
            f"below {log_dir['min_free']}: rsyslog cannot write HAProxy's logs when it "
            "is full, and they are lost"
        )
    if log_dir.get("inodes_low"):
        problems.append(
            f"{where} has {log_dir['free_inodes_percent']}% of its inodes free: "
            "no new log file can be made when none is left"
        )
    logs["problems"] = problems
    logs["ok"] = not problems and logs["receiving"] is not False
    return logs, problems
