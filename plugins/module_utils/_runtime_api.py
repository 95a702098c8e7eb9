# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HAProxy's runtime API: the commands we send and what the answers mean.

Pure functions over text and plain dicts (standard library only, no I/O), so
that the modules that talk to the socket (haproxy_server, haproxy_info) and the
unit tests share one reading of HAProxy's answers. The socket itself is opened
by _runtime_client.py.

What HAProxy answers (2.6, the version in Debian 12; 3.0 in Debian 13 answers
these in the same forms):
- ``show info``: ``Key: value`` lines.
- ``show stat``: CSV whose first line is ``# pxname,svname,...``.
- ``show servers state``: a version line (``1``), a ``# be_id be_name ...``
  header and one space-separated line per server. ``srv_admin_state`` is a bit
  field: 0x01 forced maintenance (``set server ... state maint``), 0x02
  maintenance inherited from a tracked server, 0x04 ``disabled`` in the
  config, 0x08 forced drain, 0x10 drain inherited, 0x20 and 0x40 maintenance
  because of DNS resolution.
- ``set server B/S state|weight ...``: nothing on success, a sentence on error.
"""

from __future__ import annotations

import csv
import io
import re

STATES = ("ready", "drain", "maint")

ADMIN_FMAINT = 0x01
ADMIN_IMAINT = 0x02
ADMIN_CMAINT = 0x04
ADMIN_FDRAIN = 0x08
ADMIN_IDRAIN = 0x10
ADMIN_RMAINT = 0x20
ADMIN_HMAINT = 0x40
_MAINT_BITS = ADMIN_FMAINT | ADMIN_IMAINT | ADMIN_CMAINT | ADMIN_RMAINT | ADMIN_HMAINT
_DRAIN_BITS = ADMIN_FDRAIN | ADMIN_IDRAIN

OP_STATES = {0: "stopped", 1: "starting", 2: "running", 3: "stopping"}

MAX_WEIGHT = 256

# A name HAProxy accepts for a proxy or server, and nothing a CLI line could
# be split on (";" separates commands, spaces separate words).
_NAME = re.compile(r"^[A-Za-z0-9_.:-]+$")

# Check results in `show stat` that mean the last check failed.
_CHECK_FAILURES = (
    "L4TOUT",
    "L4CON",
    "L6TOUT",
    "L6RSP",
    "L7TOUT",
    "L7RSP",
    "L7STS",
    "SOCKERR",
    "PROCERR",
    "PROCTOUT",
)


class RuntimeApiError(Exception):
    """A value, a command or an answer we cannot accept; the text is for the user."""


# -- where the API listens ---------------------------------------------------


def parse_socket(value, var="socket"):
    """Return ('unix', path) or ('tcp', host, port) for a socket option.

    Accepts an absolute path (optionally prefixed ``unix@``) or
    ``tcp://HOST:PORT`` / ``ipv4@HOST:PORT`` / ``HOST:PORT`` with an IPv6 host
    in brackets.
    """
    if not isinstance(value, str) or not value.strip():
        raise RuntimeApiError(
            f"{var} must be a socket path such as /run/haproxy/admin.sock or tcp://HOST:PORT"
        )
    text = value.strip()
    if text.startswith("unix@"):
        text = text[len("unix@") :]
    if text.startswith("/"):
        return ("unix", text)
    for prefix in ("tcp://", "ipv4@", "ipv6@"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    match = re.match(r"^(?:\[([0-9A-Fa-f:.]+)\]|([^:\[\]/]+)):(\d+)$", text)
    if not match:
        raise RuntimeApiError(
            f"{var}={value!r} is neither an absolute socket path (such as /run/haproxy/admin.sock) "
            "nor tcp://HOST:PORT"
        )
    host = match.group(1) or match.group(2)
    port = int(match.group(3))
    if not 1 <= port <= 65535:
        raise RuntimeApiError(f"{var}={value!r}: the port must be 1-65535, got {port}")
    return ("tcp", host, port)


def describe_socket(address):
    """The address as a user would write it, for messages."""
    if address[0] == "unix":
        return address[1]
    host = address[1]
    return f"tcp://[{host}]:{address[2]}" if ":" in host else f"tcp://{host}:{address[2]}"


# -- reading answers ---------------------------------------------------------


def _number(text):
    """int or float for numeric text, None for empty text, the text otherwise."""
    if text == "":
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _refuse_error_answer(command, text):
    # The CLI answers unknown commands with its help ("Unknown command..."),
    # and a socket without admin level with "Permission denied".
    first = text.strip().splitlines()[0] if text.strip() else ""
    if first.startswith("Unknown command") or "Permission denied" in first:
        raise RuntimeApiError(f"HAProxy refused {command!r}: {first}")


def parse_info(text):
    """``show info`` as a dict; numeric values become numbers."""
    _refuse_error_answer("show info", text)
    info = {}
    for line in text.splitlines():
        if ": " not in line:
            continue
        key, value = line.split(": ", 1)
        info[key.strip()] = _number(value.strip())
    if "Version" not in info:
        raise RuntimeApiError(
            "the answer to 'show info' has no Version line: is this HAProxy's runtime API?"
        )
    return info


def parse_stat(text):
    """``show stat`` as a list of dicts keyed by the CSV header's names."""
    _refuse_error_answer("show stat", text)
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].startswith("# "):
        raise RuntimeApiError("the answer to 'show stat' has no '# pxname,svname,...' header")
    header = lines[0][2:].split(",")
    rows = []
    for record in csv.reader(io.StringIO("\n".join(lines[1:]))):
        row = {
            name: _number(value)
            for name, value in zip(header, record, strict=False)
            if name not in ("", "-")
        }
        rows.append(row)
    return rows


def admin_state(bits):
    """The administrative state (ready, drain, maint) of srv_admin_state bits."""
    if bits & _MAINT_BITS:
        return "maint"
    if bits & _DRAIN_BITS:
        return "drain"
    return "ready"


def parse_servers_state(text):
    """``show servers state`` as a list of dicts, with admin_state / op_state names added."""
    _refuse_error_answer("show servers state", text)
    lines = [line for line in text.splitlines() if line.strip()]
    header = None
    rows = []
    for line in lines:
        if line.startswith("#"):
            header = line.lstrip("#").split()
            continue
        if header is None:
            continue  # the format version line
        values = line.split()
        row = {name: _number(value) for name, value in zip(header, values, strict=False)}
        bits = row.get("srv_admin_state")
        if isinstance(bits, int):
            row["admin_state"] = admin_state(bits)
            row["admin_flags"] = admin_flags(bits)
        op = row.get("srv_op_state")
        if isinstance(op, int):
            row["op_state"] = OP_STATES.get(op, str(op))
        rows.append(row)
    if header is None:
        raise RuntimeApiError(
            "the answer to 'show servers state' has no '# be_id be_name ...' header"
        )
    return rows


def admin_flags(bits):
    """Names of the srv_admin_state bits that are set (for users reading the facts)."""
    names = (
        (ADMIN_FMAINT, "forced_maint"),
        (ADMIN_IMAINT, "inherited_maint"),
        (ADMIN_CMAINT, "config_disabled"),
        (ADMIN_FDRAIN, "forced_drain"),
        (ADMIN_IDRAIN, "inherited_drain"),
        (ADMIN_RMAINT, "resolution_maint"),
        (ADMIN_HMAINT, "hostname_maint"),
    )
    return [name for bit, name in names if bits & bit]


def summarize(stat_rows, state_rows):
    """Backends with their servers: one dict users can index, from both answers.

    {backend: {"status": ..., "sessions": ..., "servers": {server: {...}}}}
    """
    backends = {}
    for row in stat_rows:
        px, sv = row.get("pxname"), row.get("svname")
        if sv == "BACKEND":
            entry = backends.setdefault(px, {"servers": {}})
            entry.update({"status": row.get("status"), "sessions": row.get("scur")})
    for row in stat_rows:
        px, sv = row.get("pxname"), row.get("svname")
        if px in backends and sv not in ("BACKEND", "FRONTEND"):
            backends[px]["servers"][str(sv)] = {
                "status": row.get("status"),
                "weight": row.get("weight"),
                "sessions": row.get("scur"),
                "check_status": row.get("check_status"),
            }
    for row in state_rows:
        server = (
            backends.get(row.get("be_name"), {}).get("servers", {}).get(str(row.get("srv_name")))
        )
        if server is not None:
            server["admin_state"] = row.get("admin_state")
            server["address"] = row.get("srv_addr")
            server["port"] = row.get("srv_port")
    return backends


# -- what the user asked for -------------------------------------------------


def check_request(names, backend, state, weight):
    """Validate haproxy_server's options; return the names as (backend or None, server)."""
    if state is None and weight is None:
        raise RuntimeApiError("give state (one of: ready, drain, maint) and/or weight")
    if state is not None and state not in STATES:
        raise RuntimeApiError(f"state={state!r} is not one of: {', '.join(STATES)}")
    if weight is not None and (
        isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= MAX_WEIGHT
    ):
        raise RuntimeApiError(f"weight={weight!r} must be an integer from 0 to {MAX_WEIGHT}")
    if backend is not None and not _NAME.match(backend):
        raise RuntimeApiError(
            f"backend={backend!r} is not a valid HAProxy backend name (letters, digits, _ . : -)"
        )
    if not names:
        raise RuntimeApiError("name must list at least one server (web1, or be_web/web1)")
    parsed = []
    for name in names:
        text = str(name).strip()
        if "/" in text:
            be, _sep, sv = text.partition("/")
            if backend is not None and be != backend:
                raise RuntimeApiError(
                    f"name={text!r} names backend {be!r}, but backend={backend!r} was given"
                )
        else:
            be, sv = backend, text
        for label, value in (("backend", be), ("server", sv)):
            if value is not None and not _NAME.match(value):
                raise RuntimeApiError(
                    f"name={text!r}: {value!r} is not a valid HAProxy {label} name (letters, digits, _ . : -)"
                )
        parsed.append((be, sv))
    return parsed


def resolve(parsed, state_rows):
    """Turn (backend or None, server) pairs into the (backend, server) pairs that exist.

    A bare server name means that server in every backend that has it. Unknown
    backends and servers are errors that list what exists.
    """
    servers_by_backend = {}
    for row in state_rows:
        servers_by_backend.setdefault(str(row["be_name"]), []).append(str(row["srv_name"]))
    targets = []
    for be, sv in parsed:
        if be is not None:
            if be not in servers_by_backend:
                known = ", ".join(sorted(servers_by_backend)) or "none"
                raise RuntimeApiError(
                    f"backend {be!r} does not exist in this HAProxy (backends with servers: {known})"
                )
            if sv not in servers_by_backend[be]:
                known = ", ".join(servers_by_backend[be])
                raise RuntimeApiError(
                    f"server {sv!r} does not exist in backend {be!r} (its servers: {known})"
                )
            found = [(be, sv)]
        else:
            found = [(b, sv) for b, names in servers_by_backend.items() if sv in names]
            if not found:
                known = (
                    ", ".join(
                        sorted({name for names in servers_by_backend.values() for name in names})
                    )
                    or "none"
                )
                raise RuntimeApiError(
                    f"server {sv!r} is in no backend of this HAProxy (servers: {known})"
                )
        for target in found:
            if target not in targets:
                targets.append(target)
    return targets


def _find(rows, keys, backend, server, answer):
    """The row of backend/server in one answer (``keys``: its backend and server columns)."""
    for row in rows:
        if str(row.get(keys[0])) == backend and str(row.get(keys[1])) == server:
            return row
    raise RuntimeApiError(f"server {backend}/{server} is not in '{answer}'")


def current(state_rows, backend, server):
    """The ``show servers state`` row of backend/server."""
    return _find(state_rows, ("be_name", "srv_name"), backend, server, "show servers state")


def plan(targets, state_rows, state, weight):
    """What to change: a list of {backend, server, before, after, commands}."""
    changes = []
    for be, sv in targets:
        row = current(state_rows, be, sv)
        before = {"state": row.get("admin_state"), "weight": row.get("srv_uweight")}
        after = dict(before)
        commands = []
        if state is not None and before["state"] != state:
            after["state"] = state
            commands.append(f"set server {be}/{sv} state {state}")
        if weight is not None and before["weight"] != weight:
            after["weight"] = weight
            commands.append(f"set server {be}/{sv} weight {weight}")
        changes.append(
            {"backend": be, "server": sv, "before": before, "after": after, "commands": commands}
        )
    return changes


def check_set_answer(command, answer):
    """``set server`` and ``shutdown sessions`` answer nothing on success; anything else
    is HAProxy's error."""
    text = answer.strip()
    if text:
        raise RuntimeApiError(f"HAProxy refused {command!r}: {text}")


def diff_lines(changes):
    """before/after texts for Ansible's diff: one line per server."""

    def line(change, key):
        values = change[key]
        return f"{change['backend']}/{change['server']}: state={values['state']} weight={values['weight']}\n"

    return {
        "before": "".join(line(c, "before") for c in changes),
        "after": "".join(line(c, "after") for c in changes),
    }


# -- waiting -----------------------------------------------------------------


def stat_row(stat_rows, backend, server):
    """The ``show stat`` row of backend/server."""
    return _find(stat_rows, ("pxname", "svname"), backend, server, "show stat")


def wait_verdict(goal, row, start_row):
    """Decide one poll of a wait: ('done'|'wait'|'fail', reason).

    goal "sessions": the server has no session left (drain, maint).
    goal "up": the server is UP again (ready). A server whose health check has
    failed since the wait began is DOWN and is not waited for: that is a
    failure at once, with the check's result, not a timeout.
    """
    status = str(row.get("status") or "")
    if goal == "sessions":
        sessions = row.get("scur") or 0
        if sessions == 0:
            return "done", "no session left"
        return "wait", f"{sessions} session(s) left"
    # "UP 1/2" is not UP yet: right after leaving maintenance HAProxy shows it
    # until the first check, also for a server whose check then fails.
    # "DRAIN" is a ready server with weight 0.
    if status in ("UP", "no check", "DRAIN"):
        return "done", status
    if status.startswith("MAINT"):
        return "fail", f"status {status}: the server is in maintenance"
    failed_checks = (row.get("chkfail") or 0) - (start_row.get("chkfail") or 0)
    check = str(row.get("check_status") or "").lstrip("* ")
    if status == "DOWN" and failed_checks > 0 and check in _CHECK_FAILURES:
        return "fail", f"status DOWN: its health check failed ({check}) after it was set ready"
    return "wait", status or "unknown"


def servers_up(stat_rows):
    """``backend/server`` of every server that takes traffic now (UP, or not checked)."""
    return [
        f"{row.get('pxname')}/{row.get('svname')}"
        for row in stat_rows
        if row.get("svname") not in ("FRONTEND", "BACKEND")
        and row.get("type") in (2, None)
        and (str(row.get("status") or "").startswith("UP") or row.get("status") == "no check")
    ]


def frontend_sessions(stat_rows):
    """Sessions open on all frontends together (what a restart would cut)."""
    return sum(row.get("scur") or 0 for row in stat_rows if row.get("svname") == "FRONTEND")
