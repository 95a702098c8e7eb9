# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every section of the HAProxy model shares: the error class, the
variable names messages start with, directives HAProxy removed, and the
typed readers of single values (words, passwords, paths, durations,
addresses). Each reader appends to ``errs`` and returns the clean value or
None; none raises, so one pass reports every problem.
"""

from __future__ import annotations

import re

from ansible_collections.halb.cluster.plugins.module_utils._typed import (
    CONTROL_RE,
    ConfigError,
    as_bool,
    as_choice,
    as_host,
    as_int,
    as_ip,
    as_path,
    as_str,
    as_unquoted,
    entry,
    is_int,
    mappings,
    show,
    unknown_keys,
)

# The public variable behind each section: messages name these.
VAR_NAMES = {
    "global": "haproxy_global",
    "defaults": "haproxy_defaults",
    "frontends": "haproxy_frontends",
    "backends": "haproxy_backends",
    "listens": "haproxy_listens",
    "userlists": "haproxy_userlists",
}

HEADER = "# Managed by Ansible (halb.cluster). Local changes will be overwritten.\n"
REDACTED = "********"

_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$")
_USER_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}\$?$")
_DURATION_RE = re.compile(r"^([0-9]+)(us|ms|s|m|h|d)?$")
_BAD_WORD = re.compile("[\\s\"'#\\\\\x00-\x1f\x7f-\x9f\u2028\u2029]")
_BAD_LABEL = re.compile("[\\[\\]\x00-\x1f\x7f-\x9f\u2028\u2029]")

_MODES = ("http", "tcp")
_TIMEOUTS = (
    "connect",
    "client",
    "server",
    "http_request",
    "http_keep_alive",
    "queue",
    "check",
    "tunnel",
    "client_fin",
    "server_fin",
)
_HTTP_REUSE = ("never", "safe", "aggressive", "always")
# ACLs HAProxy predefines (configuration manual, 7.4).
_PREDEFINED_ACLS = frozenset(
    (
        "FALSE",
        "HTTP",
        "HTTP_1.0",
        "HTTP_1.1",
        "HTTP_2.0",
        "HTTP_CONTENT",
        "HTTP_URL_ABS",
        "HTTP_URL_SLASH",
        "HTTP_URL_STAR",
        "LOCALHOST",
        "METH_CONNECT",
        "METH_DELETE",
        "METH_GET",
        "METH_HEAD",
        "METH_OPTIONS",
        "METH_POST",
        "METH_PUT",
        "METH_TRACE",
        "RDP_COOKIE",
        "REQ_CONTENT",
        "TRUE",
        "WAIT_END",
    )
)


_HDR_ADVICE = (
    "use http-request/http-response add-header, set-header, replace-header, "
    "del-header or deny instead"
)
# Directives that HAProxy 2.6 refuses, with their modern replacement.
_REMOVED = {
    "nbproc": "was removed in HAProxy 2.5; use nbthread (threads) instead",
    "bind-process": "was removed in HAProxy 2.5 together with nbproc; threads need no binding",
    "block": "was removed in HAProxy 2.1; use http-request deny instead",
    "redispatch": "was removed; use option redispatch instead",
    **{
        f"{prefix}{i}{verb}": f"was removed in HAProxy 2.1; {_HDR_ADVICE}"
        for prefix in ("req", "rsp")
        for i in ("", "i")
        for verb in ("add", "rep", "del", "allow", "deny", "pass", "tarpit")
        if not (i == "i" and verb == "add")
    },
}


def _unknown_keys(errs, where, item, allowed):
    """Keys outside ``allowed`` (with a did-you-mean); removed directives name
    their successor. A hostile key is shown cut (show())."""
    unknown_keys(errs, where, item, allowed, _REMOVED)


def _mappings(errs, where, value, expected, allowed, label=None):
    """The mappings of a list, as ``(at, entry)`` (_typed.mappings), with the
    directives HAProxy removed named as such."""
    return mappings(errs, where, value, expected, allowed, label, _REMOVED)


def _label(var, index, item, key="name"):
    """``var[name]`` for a list entry with a short printable name, else ``var[index]``."""
    name = item.get(key) if isinstance(item, dict) else None
    if is_int(name) and abs(name) < 10**9:
        name = str(name)
    if isinstance(name, str) and 0 < len(name) <= 64 and not _BAD_LABEL.search(name):
        return f"{var}[{name}]"
    return f"{var}[{index}]"


def _entry(errs, where, item, allowed, seen, what, pattern=None):
    """The common start of a named list entry: a mapping with known keys and a
    unique name. Returns (name or None, whether the entry can be read)."""
    return entry(
        errs,
        where,
        item,
        allowed,
        seen,
        lambda e, w, v: _as_word(e, w, v, pattern or _NAME_RE, what),
        _REMOVED,
    )


class HAProxyConfigError(ConfigError):
    """Invalid HAProxy data. ``errors`` lists every problem, each naming its variable."""


# --------------------------------------------------------------------------
# Small typed readers. Each appends to ``errs`` and returns the clean value or
# None; they never raise, so one pass reports every problem. Messages show a
# value cut to a few dozen characters (show()) and never a password.
# --------------------------------------------------------------------------


# The shared readers refuse containers and repeat a value only through show().
_as_int, _as_bool, _as_choice = as_int, as_bool, as_choice


def _as_word(errs, where, value, pattern=None, what="name", max_len=255):
    """A single word written unquoted into haproxy.cfg."""
    return as_unquoted(
        errs,
        where,
        value,
        _BAD_WORD,
        "white space, a quote, a backslash, # or a control character",
        "haproxy.cfg",
        pattern,
        what,
        max_len,
        numbers=True,
    )


def _as_secret(errs, where, value):
    """A password: a single word, never shown in a message."""
    if value is None:
        errs.append(f"{where}: required")
        return None
    if not isinstance(value, str) or not value:
        errs.append(f"{where}: expected a non-empty string (quote a password of digits in YAML)")
        return None
    if len(value) > 255:
        errs.append(f"{where}: the password is longer than 255 characters")
        return None
    if _BAD_WORD.search(value) or CONTROL_RE.search(value):
        errs.append(
            f"{where}: the password contains white space, a quote, a backslash, # or a control "
            "character, which haproxy.cfg cannot hold unquoted"
        )
        return None
    return value


def _as_path(errs, where, value, what="path", directory=False):
    """An absolute path (the shared grammar: letters, digits and _ . @ + - /)."""
    if (
        isinstance(value, str)
        and value
        and not value.startswith("/")
        and not CONTROL_RE.search(value)
    ):
        errs.append(f"{where}: {show(value)} is not an absolute path")
        return None
    return as_path(errs, where, value, what, directory=directory)


# HAProxy's timers are signed 32-bit milliseconds.
_MAX_MS = 2147483647
_UNIT_MS = {"us": 0.001, "ms": 1, "": 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000}


def _as_duration(errs, where, value, minimum=0):
    """An HAProxy time: milliseconds as a number, or a number with us, ms, s,
    m, h or d; at most 2147483647 ms (about 24.8 days)."""
    if value is None:
        return None
    if is_int(value) and value < 0:
        errs.append(f"{where}: {show(value)} is negative")
        return None
    text = str(value) if is_int(value) else value.strip() if isinstance(value, str) else None
    match = _DURATION_RE.fullmatch(text) if text is not None and len(text) <= 32 else None
    if match is None:
        errs.append(
            f"{where}: {show(value)} is not an HAProxy duration (milliseconds, or a number with "
            "us, ms, s, m, h or d, like 500ms, 5s, 1m)"
        )
        return None
    ms = int(match.group(1)) * _UNIT_MS[match.group(2) or ""]
    if ms > _MAX_MS:
        errs.append(
            f"{where}: {show(value)} is longer than HAProxy's timers allow (at most "
            f"{_MAX_MS} ms, about 24.8 days)"
        )
        return None
    if ms < minimum:
        errs.append(f"{where}: {show(value)} is too short (at least {minimum} ms)")
        return None
    return value if is_int(value) else text


# An IPv4/IPv6 address (canonical, no zone ID) or a DNS name.
_as_host = as_host


def _as_bind_address(errs, where, value):
    """An IP address (canonical, no zone ID), * or 0.0.0.0 (all), or empty."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value in ("*", "0.0.0.0"):
        return value
    text = as_str(errs, where, value, "bind address", 64)
    if text is None:
        return None
    if as_ip([], where, text) is None:
        errs.append(f"{where}: {show(value)} is not an IP address, * or empty (all)")
        return None
    return as_ip(errs, where, text)


def _clean(mapping):
    return {k: v for k, v in mapping.items() if v is not None and v != [] and v != {}}
