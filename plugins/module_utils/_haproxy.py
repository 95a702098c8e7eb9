# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed HAProxy configuration: checks and rendering of haproxy.cfg (HAProxy 2.6+).

Pure functions over plain dicts, standard library only, no I/O, so that a
module (on the target) and the ``to_haproxy_cfg`` filter (on the controller)
share one implementation and can never disagree.

The data model (every key optional unless marked *required*)::

    global:    log: [{address*, facility*, level}], maxconn, user, group, daemon,
               master_worker, nbthread, pidfile,
               stats_socket: {path*, mode, level, user, group},
               server_state_file, hard_stop_after, ssl_default_bind_ciphers,
               ssl_default_bind_options, tune_ssl_default_dh_param, extra: [line]
    defaults:  mode, log (global), retries, options: [name], timeouts: {...},
               maxconn, http_reuse, load_server_state_from_file, extra
    userlists: [{name*, users: [{name*, password*}]}]
    frontends: [{name*, mode, binds*: [{address, port*, ssl, crt, alpn: [proto]}],
                 acls: [{name*, criterion*}],
                 http_request: [{action*, args, cond}],
                 redirects: [{scheme, code, cond}],
                 use_backends: [{backend*, cond*}], default_backend,
                 options, maxconn, timeouts, extra}]
    backends:  [{name*, mode, balance, httpchk: {method, uri, version, host},
                 http_check_expect, cookie: {name*, mode, indirect, nocache},
                 servers: [{name*, address*, port*, check, inter, rise, fall,
                            weight, maxconn, cookie, backup, ssl, verify,
                            ca_file, sni, check_ssl}],
                 options, timeouts, http_reuse, extra}]
    listens:   [frontend and backend keys in one, plus
                stats: {enable, uri, realm, refresh, hide_version,
                        auth: [{user*, password*}], admin_cond}]

    timeouts:  connect, client, server, http_request, http_keep_alive, queue,
               check, tunnel, client_fin, server_fin (milliseconds or "5s", "1m" ...)

``normalize()`` returns ``(config, warnings)``. Every problem found is reported
at once in a :class:`HAProxyConfigError` whose messages each start with the
variable they are about, for example
``haproxy_backends[web].servers[web1].port: 70000 is out of range 1-65535``.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.halb.cluster.plugins.module_utils._typed import (
    CONTROL_RE,
    MAX_TEXT,
    ConfigError,
    as_bool,
    as_choice,
    as_dict as _as_dict,
    as_host,
    as_int,
    as_ip,
    as_list as _as_list,
    as_network,
    as_path,
    as_str,
    as_text,
    check_secret,
    did_you_mean,
    is_int,
    only_config_errors,
    show,
)

__all__ = [
    "HAProxyConfigError",
    "bind_ports",
    "check",
    "normalize",
    "render",
    "redact",
    "secrets",
    "VAR_NAMES",
]

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
_ACTION_RE = re.compile(r"^[a-z][a-z0-9-]*(\([A-Za-z0-9_.]+\))?$")
_OCTAL_RE = re.compile(r"^0?[0-7]{3}$")
_BAD_WORD = re.compile("[\\s\"'#\\\\\x00-\x1f\x7f-\x9f\u2028\u2029]")
_BAD_LABEL = re.compile("[\\[\\]\x00-\x1f\x7f-\x9f\u2028\u2029]")
_URI_RE = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$")
_CIPHERS_RE = re.compile(r"^[A-Za-z0-9_.:+!@=-]+$")
_SSL_OPTION_RE = re.compile(r"^[A-Za-z0-9_.-]+$")

_MODES = ("http", "tcp")
_FACILITIES = (
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "auth2",
    "ftp",
    "ntp",
    "audit",
    "alert",
    "cron2",
    *(f"local{n}" for n in range(8)),
)
_LEVELS = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
_OPTIONS = (
    "httplog",
    "tcplog",
    "dontlognull",
    "redispatch",
    "forwardfor",
    "http-server-close",
    "httpclose",
    "http-keep-alive",
    "abortonclose",
    "log-health-checks",
    "idle-close-on-response",
)
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
# Timeouts that only act on the client side / the server side of a proxy.
_FRONT_ONLY_TIMEOUTS = ("client", "client_fin")
_BACK_ONLY_TIMEOUTS = ("connect", "server", "server_fin", "queue", "check", "tunnel")
_BALANCE = ("roundrobin", "leastconn", "source", "first", "static-rr", "uri", "random")
_HTTP_REUSE = ("never", "safe", "aggressive", "always")
_STATE_FILE = ("global", "local", "none")
_STATS_LEVELS = ("user", "operator", "admin")
_CHECK_METHODS = ("GET", "HEAD", "OPTIONS")
_CHECK_VERSIONS = ("HTTP/1.0", "HTTP/1.1")
_COOKIE_MODES = ("insert", "rewrite", "prefix")
_REDIRECT_CODES = (301, 302, 303, 307, 308)
_VERIFY = ("required", "none")
_EXPECT_KINDS = ("status", "rstatus", "string", "rstring", "hdr", "fhdr")
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
    for key in item:
        if key in allowed:
            continue
        if isinstance(key, str) and key in _REMOVED:
            errs.append(f"{where}.{key}: {key} {_REMOVED[key]}")
            continue
        hint = did_you_mean(key, allowed) if isinstance(key, str) and len(key) <= 64 else ""
        errs.append(
            f"{where}: unknown key {show(key)}{hint} (allowed: {', '.join(sorted(allowed))})"
        )


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
    if not isinstance(item, dict):
        errs.append(f"{where}: expected a mapping with at least a name")
        return None, False
    _unknown_keys(errs, where, item, allowed)
    if item.get("name") is None:
        errs.append(f"{where}.name: required")
    name = _as_word(errs, f"{where}.name", item.get("name"), pattern or _NAME_RE, what)
    if name is not None and name in seen:
        errs.append(f"{where}.name: {name!r} is defined twice")
    seen.add(name)
    return name, True


_REMOVED_OPTIONS = {
    "forceclose": "was removed in HAProxy 2.0; use option httpclose (or better, keep the "
    "default keep-alive mode)",
    "http-tunnel": "was removed in HAProxy 2.1; keep-alive (the default) replaces it",
}
_HTTPCLOSE_WARNING = (
    "option httpclose closes every connection after one request; keep-alive "
    "(option http-keep-alive) is the default and is usually faster"
)
# Options HAProxy still takes but its manual advises against (written in extra).
_DISCOURAGED_OPTIONS = {
    "httpclose": _HTTPCLOSE_WARNING,
    "accept-invalid-http-request": "option accept-invalid-http-request lets requests that "
    "break HTTP through (request smuggling); fix the client instead",
    "accept-invalid-http-response": "option accept-invalid-http-response lets responses that "
    "break HTTP through; fix the server instead",
    "nolinger": "option nolinger drops unsent data at close and leaves clients with truncated "
    "responses; HAProxy's manual advises against it",
}


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
    text = as_str(errs, where, value, what, max_len, numbers=True)
    if text is None:
        return None
    if _BAD_WORD.search(text):
        errs.append(
            f"{where}: {show(text)} contains white space, a quote, a backslash, # or a control "
            f"character, which haproxy.cfg cannot hold in a {what}"
        )
        return None
    if pattern is not None and not pattern.fullmatch(text):
        errs.append(f"{where}: {show(text)} is not a valid {what}")
        return None
    return text


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


# A crypt(3) hash as `password` takes it: $id$[params$]salt$hash.
_CRYPT_RE = re.compile(r"^\$[0-9a-z]{1,8}\$[A-Za-z0-9./=,$-]{2,250}$")


def _scan(text):
    """Split ``text`` into words the way HAProxy's parse_line() reads a
    configuration line: outside quotes a backslash escapes the next character
    and # starts a comment; inside double quotes a backslash escapes and $
    starts an environment variable; inside single quotes nothing is special
    but the closing quote.

    Returns ``(words, problem)``: ``problem`` is None, or a short reason why
    HAProxy would not read ``text`` as written (a comment, an unbalanced
    quote, a bad escape or variable name).
    """
    words = []
    word = []
    started = False
    quote = None
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if quote == "'":
            if char == "'":
                quote = None
            else:
                word.append(char)
            i += 1
            continue
        if char == "#" and quote is None:
            return words + (["".join(word)] if started else []), "comment"
        if char == '"':
            quote = None if quote == '"' else '"'
            started = True
            i += 1
            continue
        if char == "'" and quote is None:
            quote = "'"
            started = True
            i += 1
            continue
        if char == "\\":
            nxt = text[i + 1] if i + 1 < n else ""
            started = True
            if nxt == "x":
                if not re.fullmatch(r"[0-9A-Fa-f]{2}", text[i + 2 : i + 4]):
                    return words, "a \\x escape without two hexadecimal digits"
                word.append(chr(int(text[i + 2 : i + 4], 16)))
                i += 4
                continue
            if nxt and (nxt in " \\#'\"tnr" or (nxt == "$" and quote == '"')):
                word.append({"t": "\t", "n": "\n", "r": "\r"}.get(nxt, nxt))
                i += 2
                continue
            word.append(char)
            i += 1
            continue
        if char in " \t\v\f" and quote is None:
            if started:
                words.append("".join(word))
                word = []
                started = False
            i += 1
            continue
        if char == "$" and quote == '"':
            match = _ENV_RE.match(text, i)
            if not match:
                return (
                    words,
                    "a $ inside double quotes that does not start an environment variable (escape it: \\$)",
                )
        word.append(char)
        started = True
        i += 1
    if quote:
        return words, "an unbalanced quote"
    if started:
        words.append("".join(word))
    return words, None


_ENV_RE = re.compile(r"\$(\{[A-Za-z_.][A-Za-z0-9_]*(-[^}]*)?\}|[A-Za-z_.][A-Za-z0-9_]*)")
# HAProxy reads at most 64 words on a line (MAX_LINE_ARGS) of at most 2047 bytes.
_MAX_WORDS = 63
_MAX_LINE = 2047


def _quote(text):
    """One HAProxy word for ``text``: as is when it holds nothing special,
    else in single quotes (where HAProxy reads nothing specially but the
    closing quote; a quote in the text is closed, escaped and reopened)."""
    text = str(text)
    if text and _PLAIN_WORD.fullmatch(text):
        return text
    return "'" + text.replace("'", "'\\''") + "'"


_PLAIN_WORD = re.compile("[^\\s'\"\\\\#$\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def _as_raw(errs, where, value, what="value"):
    """Free text written as is after a keyword (an ACL criterion, a condition,
    a line): it must read as words in HAProxy's grammar, without a comment,
    an unbalanced quote or a line break."""
    if value is None:
        return None
    if is_int(value):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        errs.append(f"{where}: {show(value)} is not a non-empty string")
        return None
    if CONTROL_RE.search(value):
        errs.append(
            f"{where}: a {what} may not contain line breaks or control characters "
            f"(found {show(CONTROL_RE.search(value).group())}); they would end the line in "
            "haproxy.cfg"
        )
        return None
    if len(value) > MAX_TEXT:
        errs.append(
            f"{where}: {len(value)} characters is too long for a {what} (at most {MAX_TEXT})"
        )
        return None
    words, problem = _scan(value)
    if problem == "comment":
        errs.append(
            f"{where}: {show(value)} contains a # outside quotes, which would start a comment "
            "in haproxy.cfg; quote or escape it (\\#)"
        )
        return None
    if problem:
        errs.append(f"{where}: {show(value)} has {problem}, which HAProxy refuses")
        return None
    if len(words) > _MAX_WORDS:
        errs.append(f"{where}: {len(words)} words; HAProxy reads at most {_MAX_WORDS} on a line")
        return None
    return value.strip()


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


def _as_host(errs, where, value, what="address"):
    """An IPv4/IPv6 address (canonical, no zone ID) or a DNS name."""
    return as_host(errs, where, value, what)


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


def _removed_line(errs, warns, where, line, allow_weak=False):
    """Refuse directives HAProxy 2.6 no longer knows; warn about discouraged
    ones; hold stats auth lines to the password rules."""
    words, _problem = _scan(line)
    if not words:
        return
    first = words[0].lower()
    if first in _REMOVED:
        errs.append(f"{where}: {first} {_REMOVED[first]}")
        return
    if first in ("option", "no") and len(words) > 1:
        opt = words[-1].lower() if first == "no" else words[1].lower()
        if opt in _REMOVED_OPTIONS:
            errs.append(f"{where}: option {opt} {_REMOVED_OPTIONS[opt]}")
        elif opt in _DISCOURAGED_OPTIONS and first == "option":
            warns.append(f"{where}: {_DISCOURAGED_OPTIONS[opt]}")
    if first == "stats" and len(words) > 2 and words[1].lower() == "auth":
        password = words[2].partition(":")[2]
        check_secret(errs, warns, where, password, allow_weak)
    if first == "stats" and len(words) > 3 and words[1].lower() == "admin":
        if words[2] == "if" and words[3:] == ["TRUE"]:
            warns.append(f"{where}: {_ADMIN_TRUE_WARNING}")
    if first in ("acl", "use_backend", "http-request", "http-response", "stats", "redirect"):
        _host_wildcards(warns, where, words)


_ADMIN_TRUE_WARNING = (
    "TRUE lets anyone who reaches the page set servers to MAINT or DRAIN; restrict it "
    "(LOCALHOST, or {{ src 10.0.0.0/8 }})"
)

# Fetches that compare the Host header literally (hdr_reg matches a regex).
_HOST_FETCH_RE = re.compile(
    r"^!?(?:req\.)?hdr(_dom|_end|_beg|_sub|_dir|_reg|_len|_cnt|_ip|_val)?\(\s*host\s*(?:,[^)]*)?\)",
    re.IGNORECASE,
)


def _host_wildcards(warns, where, words):
    """Warn about ``*`` in a literal Host match (``hdr_dom(host) -i *.example.com``):
    HAProxy compares it character by character, so it matches no host."""
    for start, word in enumerate(words):
        match = _HOST_FETCH_RE.match(word.lstrip("{"))
        if not match or (match.group(1) or "").lower() in ("_reg", "_len", "_cnt", "_ip", "_val"):
            continue
        rest = []
        for token in words[start + 1 :]:
            if token in ("}", "or", "||") or _HOST_FETCH_RE.match(token):
                break
            rest.append(token)
        if "reg" in rest or "regex" in rest or "-f" in rest:
            continue
        for token in rest:
            if "*" in token and not token.startswith("-"):
                warns.append(
                    f"{where}: {show(token)}: {word.split('(')[0]}(host) compares literally, "
                    "so a * matches no host; to match every subdomain of example.com use "
                    "hdr_end(host) -i .example.com (or hdr_dom(host) -i example.com)"
                )
                return


def _extra(errs, warns, where, value, allow_weak=False):
    out = []
    for j, line in enumerate(_as_list(errs, where, value)):
        text = _as_raw(errs, f"{where}[{j}]", line, "line")
        if text is None:
            continue
        _removed_line(errs, warns, f"{where}[{j}]", text, allow_weak)
        out.append(text)
    return out


def _options(errs, warns, where, value):
    out = []
    for j, opt in enumerate(_as_list(errs, where, value)):
        at = f"{where}[{j}]"
        if not isinstance(opt, str) or len(opt) > 64:
            errs.append(f"{at}: {show(opt)} is not an option name")
            continue
        if opt in _REMOVED_OPTIONS:
            errs.append(f"{at}: option {opt} {_REMOVED_OPTIONS[opt]}")
            continue
        if opt not in _OPTIONS:
            errs.append(
                f"{at}: unknown option {show(opt)}{did_you_mean(opt, _OPTIONS)} "
                f"(allowed: {', '.join(_OPTIONS)}; "
                "write others in extra)"
            )
            continue
        if opt in out:
            errs.append(f"{at}: option {opt!r} is listed twice")
            continue
        if opt in _DISCOURAGED_OPTIONS:
            warns.append(f"{at}: {_DISCOURAGED_OPTIONS[opt]}")
        out.append(opt)
    return out


def _timeouts(errs, where, value, kind):
    data = _as_dict(errs, where, value)
    if data is None:
        return {}
    _unknown_keys(errs, where, data, _TIMEOUTS)
    out = {}
    for key in _TIMEOUTS:
        if data.get(key) is None:
            continue
        name = key.replace("_", "-")
        if kind == "frontend" and key in _BACK_ONLY_TIMEOUTS:
            errs.append(
                f"{where}.{key}: timeout {name} has no effect in a frontend; set it on the "
                "backend or in haproxy_defaults"
            )
            continue
        if kind == "backend" and key in _FRONT_ONLY_TIMEOUTS:
            errs.append(
                f"{where}.{key}: timeout {name} has no effect in a backend; set it on the "
                "frontend or in haproxy_defaults"
            )
            continue
        duration = _as_duration(errs, f"{where}.{key}", data[key])
        if duration is not None:
            out[key] = duration
    return out


def _condition(errs, warns, where, value, acls):
    """A condition written after ``if`` (or a full ``if``/``unless`` clause)."""
    cond = _as_raw(errs, where, value, "condition")
    if cond is None:
        return None
    words, _problem = _scan(cond)
    body = words[1:] if words and words[0] in ("if", "unless") else words
    if not body:
        errs.append(f"{where}: {show(value)} is an empty condition")
        return None
    depth = 0
    for token in body:
        bare = token.lstrip("!")
        if bare == "{":
            depth += 1
            continue
        if token == "}":
            depth = max(0, depth - 1)
            continue
        if depth or not bare or token in ("or", "||"):
            continue
        if acls is not None and bare not in acls and bare not in _PREDEFINED_ACLS:
            hint = did_you_mean(bare, sorted(acls) + sorted(_PREDEFINED_ACLS))
            errs.append(
                f"{where}: ACL {show(bare)} is not defined in this section{hint} "
                "(define it in acls, or write an anonymous ACL in braces: { ... })"
            )
    _host_wildcards(warns, where, body)
    return cond


# --------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------

_GLOBAL_KEYS = (
    "log",
    "maxconn",
    "user",
    "group",
    "daemon",
    "master_worker",
    "nbthread",
    "pidfile",
    "stats_socket",
    "server_state_file",
    "hard_stop_after",
    "ssl_default_bind_ciphers",
    "ssl_default_bind_options",
    "tune_ssl_default_dh_param",
    "extra",
)


def _log_target(errs, at, value):
    """A log target: a socket path, stdout/stderr, or an IPv4 address or host
    name with an optional port; re-emitted canonically."""
    text = as_str(errs, at, value, "log target", 255)
    if text is None:
        return None
    text = text.strip()
    if text.startswith("/"):
        return _as_path(errs, at, text, "log socket path")
    if text.count(":") > 1:
        errs.append(
            f"{at}: {show(text)}: IPv6 log targets are ambiguous with a port; "
            "use an IPv4 address, a host name or a socket path such as /dev/log"
        )
        return None
    host, _sep, port = text.partition(":")
    if port and _as_int(errs, at, port, 1, 65535) is None:
        return None
    if host in ("stdout", "stderr") and not port:
        return host
    host = _as_host(errs, at, host, "log target")
    if host is None:
        return None
    return f"{host}:{int(port)}" if port else host


def _log_targets(errs, where, value):
    out = []
    for j, item in enumerate(_as_list(errs, where, value)):
        at = f"{where}[{j}]"
        if not isinstance(item, dict):
            errs.append(f"{at}: expected a mapping with address and facility")
            continue
        _unknown_keys(errs, at, item, ("address", "facility", "level"))
        for key in ("address", "facility"):
            if item.get(key) is None:
                errs.append(f"{at}.{key}: required")
        address = _log_target(errs, f"{at}.address", item.get("address"))
        facility = _as_choice(errs, f"{at}.facility", item.get("facility"), _FACILITIES)
        level = _as_choice(errs, f"{at}.level", item.get("level"), _LEVELS)
        if address and facility:
            out.append(_clean({"address": address, "facility": facility, "level": level}))
    return out


def _stats_socket(errs, where, value):
    data = _as_dict(errs, where, value)
    if not data:
        return None
    _unknown_keys(errs, where, data, ("path", "mode", "level", "user", "group"))
    if data.get("path") is None:
        errs.append(f"{where}.path: required")
    mode = data.get("mode")
    if mode is not None and not isinstance(mode, str):
        errs.append(
            f"{where}.mode: {show(mode)} is a number; quote the mode, like '660' (YAML reads "
            "0660 as an octal number)"
        )
        mode = None
    elif mode is not None:
        if not _OCTAL_RE.fullmatch(mode):
            errs.append(f"{where}.mode: {show(mode)} is not an octal file mode like '660'")
            mode = None
    return _clean(
        {
            "path": _as_path(errs, f"{where}.path", data.get("path")),
            "mode": mode,
            "level": _as_choice(errs, f"{where}.level", data.get("level"), _STATS_LEVELS),
            "user": _as_word(errs, f"{where}.user", data.get("user"), _USER_RE, "user name"),
            "group": _as_word(errs, f"{where}.group", data.get("group"), _USER_RE, "group name"),
        }
    )


def _ssl_options(errs, where, value):
    """TLS bind options: words of letters, digits, _ . - (a list or one string)."""
    if value is None:
        return None
    items = value if isinstance(value, (list, tuple)) else [value]
    words = []
    for j, item in enumerate(items):
        at = f"{where}[{j}]" if isinstance(value, (list, tuple)) else where
        text = as_str(errs, at, item, "TLS option list", 500)
        if text is None:
            return None
        for word in text.split():
            if not _SSL_OPTION_RE.fullmatch(word):
                errs.append(
                    f"{at}: {show(word)} is not a TLS bind option (letters, digits, _ . -, "
                    "like ssl-min-ver TLSv1.2 no-tls-tickets)"
                )
                return None
            words.append(word)
    return " ".join(words) or None


def _global(errs, warns, data, allow_weak=False):
    var = VAR_NAMES["global"]
    data = _as_dict(errs, var, data)
    if data is None:
        return {}
    _unknown_keys(errs, var, data, _GLOBAL_KEYS)
    return _clean(
        {
            "log": _log_targets(errs, f"{var}.log", data.get("log")),
            "maxconn": _as_int(errs, f"{var}.maxconn", data.get("maxconn"), 1, 10000000),
            "user": _as_word(errs, f"{var}.user", data.get("user"), _USER_RE, "user name"),
            "group": _as_word(errs, f"{var}.group", data.get("group"), _USER_RE, "group name"),
            "daemon": _as_bool(errs, f"{var}.daemon", data.get("daemon")),
            "master_worker": _as_bool(errs, f"{var}.master_worker", data.get("master_worker")),
            "nbthread": _as_int(errs, f"{var}.nbthread", data.get("nbthread"), 1, 64),
            "pidfile": _as_path(errs, f"{var}.pidfile", data.get("pidfile")),
            "stats_socket": _stats_socket(errs, f"{var}.stats_socket", data.get("stats_socket")),
            "server_state_file": _as_path(
                errs, f"{var}.server_state_file", data.get("server_state_file")
            ),
            "hard_stop_after": _as_duration(
                errs, f"{var}.hard_stop_after", data.get("hard_stop_after")
            ),
            "ssl_default_bind_ciphers": _as_word(
                errs,
                f"{var}.ssl_default_bind_ciphers",
                data.get("ssl_default_bind_ciphers"),
                _CIPHERS_RE,
                "cipher list",
                max_len=1000,
            ),
            "ssl_default_bind_options": _ssl_options(
                errs, f"{var}.ssl_default_bind_options", data.get("ssl_default_bind_options")
            ),
            "tune_ssl_default_dh_param": _as_int(
                errs,
                f"{var}.tune_ssl_default_dh_param",
                data.get("tune_ssl_default_dh_param"),
                1024,
                16384,
                " bits",
            ),
            "extra": _extra(errs, warns, f"{var}.extra", data.get("extra"), allow_weak),
        }
    )


_DEFAULTS_KEYS = (
    "mode",
    "log",
    "retries",
    "options",
    "timeouts",
    "maxconn",
    "http_reuse",
    "load_server_state_from_file",
    "extra",
)


def _defaults(errs, warns, data, allow_weak=False):
    var = VAR_NAMES["defaults"]
    data = _as_dict(errs, var, data)
    if data is None:
        return {}
    _unknown_keys(errs, var, data, _DEFAULTS_KEYS)
    return _clean(
        {
            "mode": _as_choice(errs, f"{var}.mode", data.get("mode"), _MODES),
            "log": _as_choice(errs, f"{var}.log", data.get("log"), ("global",)),
            "retries": _as_int(errs, f"{var}.retries", data.get("retries"), 0, 100),
            "options": _options(errs, warns, f"{var}.options", data.get("options")),
            "timeouts": _timeouts(errs, f"{var}.timeouts", data.get("timeouts"), "defaults"),
            "maxconn": _as_int(errs, f"{var}.maxconn", data.get("maxconn"), 1, 10000000),
            "http_reuse": _as_choice(
                errs, f"{var}.http_reuse", data.get("http_reuse"), _HTTP_REUSE
            ),
            "load_server_state_from_file": _as_choice(
                errs,
                f"{var}.load_server_state_from_file",
                data.get("load_server_state_from_file"),
                _STATE_FILE,
            ),
            "extra": _extra(errs, warns, f"{var}.extra", data.get("extra"), allow_weak),
        }
    )


def _userlists(errs, warns, data, allow_weak=False):
    var = VAR_NAMES["userlists"]
    out = []
    seen = set()
    for i, item in enumerate(_as_list(errs, var, data)):
        where = _label(var, i, item)
        name, readable = _entry(errs, where, item, ("name", "users"), seen, "userlist name")
        if not readable:
            continue
        users = []
        names = set()
        for j, user in enumerate(_as_list(errs, f"{where}.users", item.get("users"))):
            at = _label(f"{where}.users", j, user)
            uname, ok = _entry(errs, at, user, ("name", "password"), names, "user name")
            if not ok:
                continue
            password = _as_secret(errs, f"{at}.password", user.get("password"))
            if password is not None and password.startswith("$"):
                if not _CRYPT_RE.fullmatch(password):
                    errs.append(
                        f"{at}.password: starts with $ but is not a crypt hash ($id$salt$hash, "
                        "as mkpasswd -m sha-512 prints it); a clear-text password may not start "
                        "with $"
                    )
                    password = None
            elif password is not None:
                before = len(errs)
                check_secret(errs, warns, f"{at}.password", password, allow_weak)
                if len(errs) > before:
                    password = None
            if uname and password:
                if not password.startswith("$"):
                    warns.append(
                        f"{at}.password: not a crypt hash, so it is written as insecure-password "
                        "in clear text; store a hash (mkpasswd -m sha-512) instead"
                    )
                users.append({"name": uname, "password": password})
        if not item.get("users"):
            errs.append(f"{where}.users: is empty; define at least one user")
        out.append({"name": name, "users": users})
    return out


_COMMON_KEYS = ("name", "mode", "options", "timeouts", "extra")
_FRONT_KEYS = (
    "binds",
    "acls",
    "http_request",
    "redirects",
    "use_backends",
    "default_backend",
    "maxconn",
)
_BACK_KEYS = (
    "balance",
    "httpchk",
    "http_check_expect",
    "cookie",
    "servers",
    "http_reuse",
)
_KEYS = {
    "frontends": _COMMON_KEYS + _FRONT_KEYS,
    "backends": _COMMON_KEYS + _BACK_KEYS,
    "listens": _COMMON_KEYS + _FRONT_KEYS + _BACK_KEYS + ("stats",),
}


def _binds(errs, where, value, ports_seen):
    out = []
    items = _as_list(errs, where, value)
    if value is not None and not items:
        errs.append(f"{where}: is empty; define at least one bind (address and port)")
    for j, item in enumerate(items):
        at = f"{where}[{j}]"
        if not isinstance(item, dict):
            errs.append(f"{at}: expected a mapping with at least port")
            continue
        _unknown_keys(errs, at, item, ("address", "port", "ssl", "crt", "alpn"))
        if item.get("port") is None:
            errs.append(f"{at}.port: required")
        port = _as_int(errs, f"{at}.port", item.get("port"), 1, 65535)
        address = _as_bind_address(errs, f"{at}.address", item.get("address"))
        ssl = _as_bool(errs, f"{at}.ssl", item.get("ssl"))
        crt = _as_path(errs, f"{at}.crt", item.get("crt"), "certificate path", directory=True)
        alpn = []
        for k, proto in enumerate(_as_list(errs, f"{at}.alpn", item.get("alpn"))):
            word = _as_word(
                errs, f"{at}.alpn[{k}]", proto, re.compile(r"^[A-Za-z0-9/._-]{1,32}$"), "protocol"
            )
            if word is not None:
                alpn.append(word)
        if ssl and item.get("crt") is None:
            errs.append(
                f"{at}.crt: required with ssl (a PEM file holding the certificate and its key, "
                "or a directory of them)"
            )
        if not ssl and (item.get("crt") is not None or alpn):
            errs.append(f"{at}: crt and alpn need ssl: true")
        if port is not None:
            key = (address if address not in (None, "*", "0.0.0.0") else "*", port)
            if key in ports_seen:
                errs.append(
                    f"{at}: {key[0]}:{port} is already bound by {ports_seen[key]}; "
                    "two sections cannot listen on the same address and port"
                )
            else:
                ports_seen[key] = where.rsplit(".", 1)[0]
            out.append(
                _clean({"address": address, "port": port, "ssl": ssl, "crt": crt, "alpn": alpn})
            )
    return out


def _acls(errs, warns, where, value, names):
    """ACL lines; ``names`` collects every readable name (also of a line with a
    bad criterion, so that conditions using it are not reported twice)."""
    out = []
    for j, item in enumerate(_as_list(errs, where, value)):
        at = _label(where, j, item)
        if not isinstance(item, dict):
            errs.append(f"{at}: expected a mapping with name and criterion")
            continue
        _unknown_keys(errs, at, item, ("name", "criterion"))
        for key in ("name", "criterion"):
            if item.get(key) is None:
                errs.append(f"{at}.{key}: required")
        name = _as_word(errs, f"{at}.name", item.get("name"), _NAME_RE, "ACL name")
        if name in _PREDEFINED_ACLS:
            errs.append(f"{at}.name: {name!r} is an ACL HAProxy predefines; choose another name")
            name = None
        if name:
            names.add(name)
        criterion = _as_raw(errs, f"{at}.criterion", item.get("criterion"), "criterion")
        if criterion:
            _host_wildcards(warns, f"{at}.criterion", _scan(criterion)[0])
        if name and criterion:
            # Several lines with one name are OR-ed by HAProxy: allowed.
            out.append({"name": name, "criterion": criterion})
    return out


def _http_request(errs, warns, where, value, acls):
    out = []
    for j, item in enumerate(_as_list(errs, where, value)):
        at = f"{where}[{j}]"
        if not isinstance(item, dict):
            errs.append(f"{at}: expected a mapping with action, args and cond")
            continue
        _unknown_keys(errs, at, item, ("action", "args", "cond"))
        if item.get("action") is None:
            errs.append(f"{at}.action: required (for example set-header, deny, redirect)")
        action = _as_word(errs, f"{at}.action", item.get("action"), _ACTION_RE, "action")
        args = _as_raw(errs, f"{at}.args", item.get("args"), "value")
        cond = _condition(errs, warns, f"{at}.cond", item.get("cond"), acls)
        if action:
            out.append(_clean({"action": action, "args": args, "cond": cond}))
    return out


def _redirects(errs, warns, where, value, acls, has_ssl):
    out = []
    for j, item in enumerate(_as_list(errs, where, value)):
        at = f"{where}[{j}]"
        if not isinstance(item, dict):
            errs.append(f"{at}: expected a mapping with scheme, code and cond")
            continue
        _unknown_keys(errs, at, item, ("scheme", "code", "cond"))
        scheme = _as_choice(errs, f"{at}.scheme", item.get("scheme", "https"), ("https", "http"))
        code = _as_choice(errs, f"{at}.code", item.get("code", 301), _REDIRECT_CODES)
        cond = _condition(errs, warns, f"{at}.cond", item.get("cond"), acls)
        if item.get("cond") is None and has_ssl and scheme == "https":
            errs.append(
                f"{at}.cond: required here: this section also binds with ssl, so an "
                "unconditional redirect to https would loop; use cond: '!{{ ssl_fc }}'"
            )
        if scheme and code:
            out.append(_clean({"scheme": scheme, "code": code, "cond": cond}))
    return out


def _use_backends(errs, warns, where, value, acls):
    out = []
    for j, item in enumerate(_as_list(errs, where, value)):
        at = f"{where}[{j}]"
        if not isinstance(item, dict):
            errs.append(f"{at}: expected a mapping with backend and cond")
            continue
        _unknown_keys(errs, at, item, ("backend", "cond"))
        for key in ("backend", "cond"):
            if item.get(key) is None:
                errs.append(
                    f"{at}.{key}: required"
                    + (" (without a condition, use default_backend)" if key == "cond" else "")
                )
        backend = _as_word(errs, f"{at}.backend", item.get("backend"), _NAME_RE, "backend name")
        cond = _condition(errs, warns, f"{at}.cond", item.get("cond"), acls)
        if backend and cond:
            out.append({"backend": backend, "cond": cond})
    return out


def _as_uri(errs, where, value):
    """A path (and query) of a URI: starts with /, no white space, quotes or #."""
    uri = _as_word(errs, where, value, what="URI", max_len=1000)
    if uri is not None and not uri.startswith("/"):
        errs.append(f"{where}: {show(uri)} must start with /")
        return None
    if uri is not None and not _URI_RE.fullmatch(uri):
        errs.append(
            f"{where}: {show(uri)} is not a valid URI path (letters, digits and "
            "- . _ ~ ! $ & ( ) * + , ; = : @ % / ?)"
        )
        return None
    return uri


def _httpchk(errs, where, value):
    data = _as_dict(errs, where, value)
    if not data:
        return None
    _unknown_keys(errs, where, data, ("method", "uri", "version", "host"))
    uri = _as_uri(errs, f"{where}.uri", data.get("uri", "/"))
    version = _as_choice(errs, f"{where}.version", data.get("version"), _CHECK_VERSIONS, upper=True)
    host = _as_host(errs, f"{where}.host", data.get("host"))
    if version == "HTTP/1.1" and host is None and data.get("host") is None:
        errs.append(f"{where}.host: required with version HTTP/1.1 (it sends a Host header)")
    return _clean(
        {
            "method": _as_choice(
                errs, f"{where}.method", data.get("method", "GET"), _CHECK_METHODS, upper=True
            ),
            "uri": uri,
            "version": version,
            "host": host,
        }
    )


def _expect(errs, where, value):
    text = _as_raw(errs, where, value, "expectation")
    if text is None:
        return None
    words = _scan(text)[0]
    kind = words[1] if words and words[0] == "!" and len(words) > 1 else words[0] if words else ""
    if kind not in _EXPECT_KINDS or len(words) < 2:
        errs.append(
            f"{where}: {show(value)} is not an http-check expectation (start with one of "
            f"{', '.join(_EXPECT_KINDS)}, for example 'status 200')"
        )
        return None
    return text


def _cookie(errs, where, value):
    data = _as_dict(errs, where, value)
    if not data:
        return None
    _unknown_keys(errs, where, data, ("name", "mode", "indirect", "nocache"))
    if data.get("name") is None:
        errs.append(f"{where}.name: required")
    return _clean(
        {
            "name": _as_word(errs, f"{where}.name", data.get("name"), _NAME_RE, "cookie name"),
            "mode": _as_choice(errs, f"{where}.mode", data.get("mode"), _COOKIE_MODES),
            "indirect": _as_bool(errs, f"{where}.indirect", data.get("indirect")),
            "nocache": _as_bool(errs, f"{where}.nocache", data.get("nocache")),
        }
    )


_SERVER_KEYS = (
    "name",
    "address",
    "port",
    "check",
    "inter",
    "rise",
    "fall",
    "weight",
    "maxconn",
    "cookie",
    "backup",
    "ssl",
    "verify",
    "ca_file",
    "sni",
    "check_ssl",
)


def _servers(errs, warns, where, value, has_cookie):
    out = []
    seen = set()
    for j, item in enumerate(_as_list(errs, where, value)):
        at = _label(where, j, item)
        name, readable = _entry(errs, at, item, _SERVER_KEYS, seen, "server name")
        if not readable:
            continue
        for key in ("address", "port"):
            if item.get(key) is None:
                errs.append(f"{at}.{key}: required")
        ssl = _as_bool(errs, f"{at}.ssl", item.get("ssl"))
        verify = _as_choice(errs, f"{at}.verify", item.get("verify"), _VERIFY)
        ca_file = item.get("ca_file")
        if ca_file != "@system-ca":
            ca_file = _as_path(errs, f"{at}.ca_file", ca_file, "CA file path")
        if ssl:
            verify = verify or "required"
            if verify == "required" and item.get("ca_file") is None:
                errs.append(
                    f"{at}.ca_file: required with ssl and verify: required (the CA that signed "
                    "the server's certificate, or @system-ca); set verify: none only if you "
                    "accept an unauthenticated server"
                )
            if verify == "none":
                warns.append(
                    f"{at}.verify: none: the server's certificate is not checked, so anyone "
                    "on the path can impersonate it; use verify: required with ca_file"
                )
        elif verify or item.get("ca_file") is not None or item.get("sni") is not None:
            errs.append(f"{at}: verify, ca_file and sni need ssl: true")
        cookie = _as_word(errs, f"{at}.cookie", item.get("cookie"), _NAME_RE, "cookie value")
        if cookie and not has_cookie:
            warns.append(
                f"{at}.cookie: has no effect without cookie on the backend (cookie: {{name: ...}})"
            )
        server = {
            "name": name,
            "address": _as_host(errs, f"{at}.address", item.get("address")),
            "port": _as_int(errs, f"{at}.port", item.get("port"), 1, 65535),
            "check": _as_bool(errs, f"{at}.check", item.get("check")),
            "inter": _as_duration(errs, f"{at}.inter", item.get("inter"), minimum=1),
            "rise": _as_int(errs, f"{at}.rise", item.get("rise"), 1, 1000),
            "fall": _as_int(errs, f"{at}.fall", item.get("fall"), 1, 1000),
            "weight": _as_int(errs, f"{at}.weight", item.get("weight"), 0, 256),
            "maxconn": _as_int(errs, f"{at}.maxconn", item.get("maxconn"), 1, 10000000),
            "cookie": cookie,
            "backup": _as_bool(errs, f"{at}.backup", item.get("backup")),
            "ssl": ssl,
            "verify": verify,
            "ca_file": ca_file,
            "sni": _as_host(errs, f"{at}.sni", item.get("sni")),
            "check_ssl": _as_bool(errs, f"{at}.check_ssl", item.get("check_ssl")),
        }
        if not server["check"] and any(
            server[k] is not None for k in ("inter", "rise", "fall", "check_ssl")
        ):
            errs.append(f"{at}: inter, rise, fall and check_ssl need check: true")
        out.append(_clean(server))
    return out


def _stats(errs, warns, where, value, acls, allow_weak=False):
    data = _as_dict(errs, where, value)
    if not data:
        return None
    _unknown_keys(
        errs,
        where,
        data,
        ("enable", "uri", "realm", "refresh", "hide_version", "auth", "admin_cond"),
    )
    uri = _as_uri(errs, f"{where}.uri", data.get("uri"))
    realm = as_text(errs, f"{where}.realm", data.get("realm"), "realm", 200, numbers=True)
    if realm is not None and re.search(r"[\"\\]", realm):
        # The realm goes into the WWW-Authenticate header between double quotes.
        errs.append(f"{where}.realm: may not contain double quotes or backslashes")
        realm = None
    auth = []
    users = set()
    for j, item in enumerate(_as_list(errs, f"{where}.auth", data.get("auth"))):
        at = _label(f"{where}.auth", j, item, "user")
        if not isinstance(item, dict):
            errs.append(f"{at}: expected a mapping with user and password")
            continue
        _unknown_keys(errs, at, item, ("user", "password"))
        if item.get("user") is None:
            errs.append(f"{at}.user: required")
        user = _as_word(errs, f"{at}.user", item.get("user"), re.compile(r"^[^:]+$"), "user name")
        if user in users:
            errs.append(f"{at}.user: {user!r} is listed twice")
        if user is not None and len(user) > 64:
            errs.append(
                f"{at}.user: {len(user)} characters is too long for a user name (at most 64)"
            )
            user = None
        users.add(user)
        password = _as_secret(errs, f"{at}.password", item.get("password"))
        if password is not None:
            before = len(errs)
            check_secret(errs, warns, f"{at}.password", password, allow_weak)
            if len(errs) > before:
                password = None
        if user and password:
            auth.append({"user": user, "password": password})
    admin = _condition(errs, warns, f"{where}.admin_cond", data.get("admin_cond"), acls)
    enable = _as_bool(errs, f"{where}.enable", data.get("enable", True))
    if enable is False and any(data.get(k) is not None for k in data if k != "enable"):
        errs.append(
            f"{where}.enable: false, but any other stats setting turns the page on in "
            "HAProxy; remove them or remove the stats block"
        )
    if admin is not None and _scan(admin)[0] in (["TRUE"], ["if", "TRUE"]):
        warns.append(f"{where}.admin_cond: {_ADMIN_TRUE_WARNING}")
    if enable and not auth and data.get("auth") is None:
        warns.append(
            f"{where}.auth: not set, so the statistics page is open to anyone who reaches "
            "the port; add auth or restrict the port in the firewall"
        )
    return _clean(
        {
            "enable": enable,
            "uri": uri,
            "realm": realm,
            "refresh": _as_duration(errs, f"{where}.refresh", data.get("refresh")),
            "hide_version": _as_bool(errs, f"{where}.hide_version", data.get("hide_version")),
            "auth": auth,
            "admin_cond": admin,
        }
    )


def _proxies(errs, warns, section, data, ports_seen, allow_weak=False):
    var = VAR_NAMES[section]
    kind = section[:-1]
    out = []
    seen = set()
    for i, item in enumerate(_as_list(errs, var, data)):
        where = _label(var, i, item)
        name, readable = _entry(errs, where, item, _KEYS[section], seen, f"{kind} name")
        if not readable:
            continue
        proxy = {
            "name": name,
            "mode": _as_choice(errs, f"{where}.mode", item.get("mode"), _MODES),
        }
        if kind in ("frontend", "listen"):
            if item.get("binds") is None:
                errs.append(f"{where}.binds: required (at least one address and port)")
            binds = _binds(errs, f"{where}.binds", item.get("binds"), ports_seen)
            names = set()
            acls = _acls(errs, warns, f"{where}.acls", item.get("acls"), names)
            has_ssl = any(b.get("ssl") for b in binds)
            proxy.update(
                binds=binds,
                maxconn=_as_int(errs, f"{where}.maxconn", item.get("maxconn"), 1, 10000000),
                acls=acls,
                redirects=_redirects(
                    errs, warns, f"{where}.redirects", item.get("redirects"), names, has_ssl
                ),
                http_request=_http_request(
                    errs, warns, f"{where}.http_request", item.get("http_request"), names
                ),
                use_backends=_use_backends(
                    errs, warns, f"{where}.use_backends", item.get("use_backends"), names
                ),
                default_backend=_as_word(
                    errs,
                    f"{where}.default_backend",
                    item.get("default_backend"),
                    _NAME_RE,
                    "backend name",
                ),
            )
        if kind == "listen":
            proxy["stats"] = _stats(
                errs, warns, f"{where}.stats", item.get("stats"), names, allow_weak
            )
        if kind in ("backend", "listen"):
            cookie = _cookie(errs, f"{where}.cookie", item.get("cookie"))
            proxy.update(
                balance=_as_choice(errs, f"{where}.balance", item.get("balance"), _BALANCE),
                httpchk=_httpchk(errs, f"{where}.httpchk", item.get("httpchk")),
                http_check_expect=_expect(
                    errs, f"{where}.http_check_expect", item.get("http_check_expect")
                ),
                cookie=cookie,
                servers=_servers(
                    errs, warns, f"{where}.servers", item.get("servers"), bool(cookie)
                ),
                http_reuse=_as_choice(
                    errs, f"{where}.http_reuse", item.get("http_reuse"), _HTTP_REUSE
                ),
            )
            if proxy["http_check_expect"] and not proxy["httpchk"]:
                errs.append(f"{where}.http_check_expect: needs httpchk")
        proxy["options"] = _options(errs, warns, f"{where}.options", item.get("options"))
        proxy["timeouts"] = _timeouts(errs, f"{where}.timeouts", item.get("timeouts"), kind)
        proxy["extra"] = _extra(errs, warns, f"{where}.extra", item.get("extra"), allow_weak)
        out.append(_clean(proxy))
    return out


def _timeout_warnings(warns, config):
    """HAProxy starts without these timeouts, but warns and never expires idle connections."""
    inherited = config["defaults"].get("timeouts", {})
    needs = {
        "frontends": ("client",),
        "listens": ("client", "connect", "server"),
        "backends": ("connect", "server"),
    }
    for section, keys in needs.items():
        for proxy in config[section]:
            missing = [k for k in keys if k not in proxy.get("timeouts", {}) and k not in inherited]
            if missing:
                names = ", ".join(f"timeout {k}" for k in missing)
                warns.append(
                    f"{VAR_NAMES[section]}[{proxy.get('name')}].timeouts: no {names} here or in "
                    "haproxy_defaults.timeouts; HAProxy then waits forever on idle connections"
                )


def _cross_checks(errs, config):
    default_mode = config["defaults"].get("mode", "tcp")
    targets = {}
    for section in ("backends", "listens"):
        for proxy in config[section]:
            if proxy.get("name") is not None:
                targets.setdefault(proxy["name"], (section, proxy))
    # frontend+listen and backend+listen share HAProxy's proxy namespace.
    for section, other in (("frontends", "listens"), ("backends", "listens")):
        names = {p.get("name") for p in config[other]}
        for proxy in config[section]:
            if proxy.get("name") is not None and proxy["name"] in names:
                errs.append(
                    f"{VAR_NAMES[section]}[{proxy['name']}].name: {proxy['name']!r} is also the "
                    f"name of a listen section ({VAR_NAMES[other]}); HAProxy proxy names must "
                    "be unique"
                )
    for section in ("frontends", "listens"):
        for proxy in config[section]:
            where = f"{VAR_NAMES[section]}[{proxy.get('name')}]"
            mode = proxy.get("mode", default_mode)
            refs = [
                (f"{where}.use_backends[{j}].backend", u["backend"])
                for j, u in enumerate(proxy.get("use_backends", []))
            ]
            if proxy.get("default_backend"):
                refs.append((f"{where}.default_backend", proxy["default_backend"]))
            for at, ref in refs:
                if ref not in targets:
                    errs.append(
                        f"{at}: {ref!r} is not defined in haproxy_backends or "
                        f"haproxy_listens{did_you_mean(ref, sorted(targets))}"
                    )
                    continue
                target_mode = targets[ref][1].get("mode", default_mode)
                if target_mode != mode:
                    errs.append(
                        f"{at}: {ref!r} runs in mode {target_mode} but this section in mode "
                        f"{mode}; HAProxy refuses to mix them"
                    )
            if mode != "http":
                for key in ("redirects", "http_request", "stats"):
                    if proxy.get(key):
                        errs.append(
                            f"{where}.{key}: needs mode http (this section runs in mode {mode})"
                        )


def _unused_backend_warnings(warns, config):
    """A backend no frontend or listen names (default_backend, use_backends or
    a use_backend/default_backend line in extra) only runs health checks."""
    used = set()
    for section in ("frontends", "listens"):
        for proxy in config[section]:
            used.update(u["backend"] for u in proxy.get("use_backends", []))
            if proxy.get("default_backend"):
                used.add(proxy["default_backend"])
            for line in proxy.get("extra", []):
                words = _scan(line)[0]
                if words and words[0] in ("use_backend", "default_backend") and len(words) > 1:
                    if "%[" in words[1]:
                        return  # a backend chosen at run time: any may be used
                    used.add(words[1])
    for proxy in config["backends"]:
        if proxy["name"] not in used:
            warns.append(
                f"{VAR_NAMES['backends']}[{proxy['name']}]: no frontend or listen uses this "
                "backend (neither default_backend nor use_backends names it), so it receives "
                "no traffic; name it in a frontend or remove it"
            )


_SECTION_VARS = {
    "global": "haproxy_global",
    "defaults": "haproxy_defaults",
    "userlist": "haproxy_userlists",
    "frontend": "haproxy_frontends",
    "listen": "haproxy_listens",
    "backend": "haproxy_backends",
}


def _line_errors(errs, text):
    """Lines HAProxy would not read whole: longer than 2047 bytes or more
    than 63 words (several long values on one line)."""
    section = "haproxy configuration"
    for line in text.split("\n"):
        if line and not line[0].isspace() and not line.startswith("#"):
            title = line.split()
            var = _SECTION_VARS.get(title[0], "haproxy configuration")
            section = f"{var}[{title[1]}]" if len(title) > 1 else var
            continue
        size = len(line.encode("utf-8", "surrogatepass"))
        words = _scan(line)[0]
        if size > _MAX_LINE or len(words) > _MAX_WORDS:
            errs.append(
                f"{section}: the line {show(line.strip(), 40)} would be {size} bytes and "
                f"{len(words)} words; HAProxy reads at most {_MAX_LINE} bytes and "
                f"{_MAX_WORDS} words on a line (shorten its values)"
            )


@only_config_errors(HAProxyConfigError, "haproxy configuration")
def normalize(data, allow_weak_secrets=False):
    """Check ``data`` and return ``(config, warnings)``: the clean configuration
    (a new dict) and the messages about accepted but risky settings.

    Weak passwords (stats auth, userlist insecure-password: on the common
    list, one repeated character, a run like 12345678, shorter than 8) are
    refused unless ``allow_weak_secrets`` (a lab), which warns instead.

    Raises :class:`HAProxyConfigError` listing every problem.
    """
    if not isinstance(data, dict):
        raise HAProxyConfigError(
            [f"haproxy configuration: expected a mapping, got {type(data).__name__}"]
        )
    weak = allow_weak_secrets is True
    errs = []
    warns = []
    names = _names(errs, data.get("names"))
    for key in data:
        if key not in VAR_NAMES and key != "names":
            hint = did_you_mean(key, VAR_NAMES) if isinstance(key, str) and len(key) < 64 else ""
            errs.append(f"haproxy configuration: unknown section {show(key)}{hint}")
    ports_seen = {}
    config = {
        "global": _global(errs, warns, data.get("global"), weak),
        "defaults": _defaults(errs, warns, data.get("defaults"), weak),
        "userlists": _userlists(errs, warns, data.get("userlists"), weak),
        "frontends": _proxies(errs, warns, "frontends", data.get("frontends"), ports_seen, weak),
        "listens": _proxies(errs, warns, "listens", data.get("listens"), ports_seen, weak),
        "backends": _proxies(errs, warns, "backends", data.get("backends"), ports_seen, weak),
    }
    _cross_checks(errs, config)
    if not errs:
        _line_errors(errs, render(config, normalized=True))
    if errs:
        raise HAProxyConfigError(_rename(errs, names))
    _unused_backend_warnings(warns, config)
    _timeout_warnings(warns, config)
    return config, _rename(warns, names)


def _names(errs, value):
    """``names``: model paths mapped to the role variables they come from
    (``{"haproxy_global.maxconn": "haproxy_maxconn"}``; ``[*]`` matches any
    list label), so that a message names the variable the user set."""
    rules = []
    data = _as_dict(errs, "haproxy configuration.names", value) or {}
    for pattern, var in data.items():
        if not (
            isinstance(pattern, str)
            and isinstance(var, str)
            and 0 < len(pattern) <= 200
            and _ROLE_VAR_RE.fullmatch(var)
            and not CONTROL_RE.search(pattern)
        ):
            errs.append(
                f"haproxy configuration.names: {show(pattern)} is not a path and a variable name"
            )
            continue
        regex = re.escape(pattern).replace(r"\[\*\]", r"\[[^\]]*\]")
        rules.append((re.compile(regex + r"(?=[.:\[ ]|$)"), var))
    return rules


_ROLE_VAR_RE = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")


def _rename(messages, rules):
    out = []
    for message in messages:
        for regex, var in rules:
            match = regex.match(message)
            if match:
                message = f"{var} ({match.group(0)}){message[match.end() :]}"
                break
        out.append(message)
    return out


_FILE_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
_CERT_SOURCES = {
    "content": ("certificate", "private_key"),
    "path": ("certificate_path", "private_key_path"),
}
_CERT_KEYS = (
    "name",
    "certificate",
    "chain",
    "private_key",
    "certificate_path",
    "chain_path",
    "private_key_path",
    "self_signed",
    "common_name",
    "subject_alt_names",
    "valid_days",
)


def _file_entry_types(errs, where, item):
    """The kinds of a certificate entry's values (the module reads them on the host)."""
    for key in ("certificate", "chain", "private_key", "content"):
        value = item.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > 1_000_000):
            errs.append(f"{where}.{key}: expected PEM text (a string)")
    for key in ("certificate_path", "chain_path", "private_key_path"):
        _as_path(errs, f"{where}.{key}", item.get(key))
    as_str(errs, f"{where}.src", item.get("src"), "file name", 4096)
    as_str(errs, f"{where}.common_name", item.get("common_name"), "common name", 64)
    for j, name in enumerate(
        _as_list(errs, f"{where}.subject_alt_names", item.get("subject_alt_names"))
    ):
        as_str(errs, f"{where}.subject_alt_names[{j}]", name, "subject alternative name", 253)
    _as_int(errs, f"{where}.valid_days", item.get("valid_days"), 1, 36500, " days")
    _as_bool(errs, f"{where}.self_signed", item.get("self_signed"))


@only_config_errors(HAProxyConfigError, "haproxy certificates")
def file_entry_errors(entries, var, kind="certificate"):
    """Problems of the role's TLS file lists, each naming ``var[name]``.

    ``kind`` "certificate": each entry has a name and exactly one source:
    certificate + private_key (PEM text, optional chain), certificate_path +
    private_key_path (files on the host, optional chain_path), or
    self_signed: true with common_name. ``kind`` "ca": name and content or src.
    """
    errs = []
    seen = set()
    allowed = _CERT_KEYS if kind == "certificate" else ("name", "content", "src")
    for i, item in enumerate(_as_list(errs, var, entries)):
        where = _label(var, i, item)
        _entry_value, readable = _entry(
            errs, where, item, allowed, seen, "file name (it becomes <name>.pem)", _FILE_NAME_RE
        )
        if not readable:
            continue
        _file_entry_types(errs, where, item)
        given = {k for k in allowed if item.get(k) not in (None, "", False)} - {"name"}
        if kind != "certificate":
            if len(given) != 1:
                errs.append(f"{where}: set exactly one of content (PEM text) or src (a file)")
            continue
        choices = [
            label
            for label, keys in _CERT_SOURCES.items()
            if any(k in given for k in keys + (keys[0].replace("certificate", "chain"),))
        ]
        if "self_signed" in given:
            choices.append("self_signed")
        if len(choices) != 1:
            errs.append(
                f"{where}: set exactly one source: certificate + private_key (PEM text), "
                "certificate_path + private_key_path (files on the host), or self_signed: "
                "true with common_name"
                + (f"; found {' and '.join(sorted(given))}" if given else "")
            )
            continue
        if choices[0] == "self_signed":
            if "common_name" not in given:
                errs.append(f"{where}.common_name: required with self_signed")
            continue
        for key in _CERT_SOURCES[choices[0]]:
            if key not in given:
                errs.append(f"{where}.{key}: required with {' and '.join(sorted(given))}")
        for key in ("common_name", "subject_alt_names", "valid_days"):
            if key in given:
                errs.append(f"{where}.{key}: only used with self_signed: true")
    return errs


def check(data, allow_weak_secrets=False):
    """``{"errors": [...], "warnings": [...]}`` for ``data``, without raising.

    For a role that must stop before anything changes and show why: the
    messages name variables and never hold a password.
    """
    try:
        return {"errors": [], "warnings": normalize(data, allow_weak_secrets)[1]}
    except HAProxyConfigError as exc:
        return {"errors": list(exc.errors), "warnings": []}


def _sources(sources, sources_var):
    """``{port: [network]}`` from ``sources``; a single string is taken as a
    one-element list. Raises HAProxyConfigError naming ``sources_var``."""
    errs = []
    out = {}
    data = _as_dict(errs, sources_var or "sources", sources)
    for port, nets in (data or {}).items():
        where = sources_var or f"sources[{show(port)}]"
        number = _as_int(errs, where, port, 1, 65535, " (port)")
        if isinstance(nets, str):
            nets = [nets]
        clean = []
        for j, net in enumerate(_as_list(errs, where, nets)):
            if net is None:
                errs.append(f"{where}[{j}]: required (null in a list)")
                continue
            net = as_network(errs, f"{where}[{j}]", net)
            if net is not None and net not in clean:
                clean.append(net)
        if number is not None:
            out[number] = clean
    if errs:
        raise HAProxyConfigError(errs)
    return out


def _is_loopback(address):
    try:
        return bool(address) and ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


@only_config_errors(HAProxyConfigError, "haproxy configuration")
def bind_ports(data, sources=None, sources_var=None):
    """The TCP ports ``data`` listens on, one entry per port, sorted:
    ``[{"port": 443, "protocol": "tcp", "proxies": ["web"], "addresses": ["*"],
    "sources": []}]``.

    This is what a firewall must open (a bind on a loopback address is left
    out: nothing from the network reaches it); ``sources`` maps a port to the source
    networks allowed to reach it (default: everyone, ``[]``; a single string
    is one network; ``sources_var`` names the variable in messages). ``data``
    is checked first (:class:`HAProxyConfigError`); weak passwords are not
    this function's concern (normalize() and check() judge them).
    """
    sources = _sources(sources, sources_var)
    config, _warnings = normalize(data, allow_weak_secrets=True)
    ports = {}
    for section in ("frontends", "listens"):
        for proxy in config[section]:
            for bind in proxy.get("binds", []):
                if _is_loopback(bind.get("address")):
                    continue  # no packet from the network reaches it
                entry = ports.setdefault(
                    bind["port"],
                    {
                        "port": bind["port"],
                        "protocol": "tcp",
                        "proxies": [],
                        "addresses": [],
                        "sources": sources.get(bind["port"], []),
                    },
                )
                if proxy["name"] not in entry["proxies"]:
                    entry["proxies"].append(proxy["name"])
                address = bind.get("address") or "*"
                if address not in entry["addresses"]:
                    entry["addresses"].append(address)
    return [ports[port] for port in sorted(ports)]


# --------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------

_IND = "    "


def _address(host, port):
    return f"{host}:{port}" if host else f":{port}"


def _cond_text(cond):
    return cond if re.match(r"^(if|unless)\s", cond) else f"if {cond}"


def _global_lines(gl):
    body = []
    for target in gl.get("log", []):
        level = f" {target['level']}" if target.get("level") else ""
        body.append(f"log {_quote(target['address'])} {target['facility']}{level}")
    for key in ("pidfile", "maxconn", "user", "group"):
        if gl.get(key) is not None:
            body.append(f"{key} {_quote(gl[key])}")
    if gl.get("daemon"):
        body.append("daemon")
    if gl.get("master_worker"):
        body.append("master-worker")
    if gl.get("nbthread") is not None:
        body.append(f"nbthread {gl['nbthread']}")
    sock = gl.get("stats_socket")
    if sock:
        text = f"stats socket {_quote(sock['path'])}"
        for key in ("mode", "level", "user", "group"):
            if sock.get(key):
                text += f" {key} {_quote(sock[key])}"
        body.append(text)
    for key in (
        "server_state_file",
        "hard_stop_after",
        "ssl_default_bind_ciphers",
        "ssl_default_bind_options",
    ):
        if gl.get(key) is not None:
            value = gl[key] if key == "ssl_default_bind_options" else _quote(gl[key])
            body.append(f"{key.replace('_', '-')} {value}")
    if gl.get("tune_ssl_default_dh_param") is not None:
        body.append(f"tune.ssl.default-dh-param {gl['tune_ssl_default_dh_param']}")
    return body + list(gl.get("extra", []))


def _common_head(proxy):
    body = []
    if proxy.get("mode"):
        body.append(f"mode {proxy['mode']}")
    if proxy.get("log"):
        body.append(f"log {proxy['log']}")
    return body


def _common_tail(proxy):
    body = []
    if proxy.get("retries") is not None:
        body.append(f"retries {proxy['retries']}")
    body += [f"option {opt}" for opt in proxy.get("options", [])]
    for key in _TIMEOUTS:
        if key in proxy.get("timeouts", {}):
            body.append(f"timeout {key.replace('_', '-')} {proxy['timeouts'][key]}")
    if proxy.get("maxconn") is not None:
        body.append(f"maxconn {proxy['maxconn']}")
    if proxy.get("http_reuse"):
        body.append(f"http-reuse {proxy['http_reuse']}")
    if proxy.get("load_server_state_from_file"):
        body.append(f"load-server-state-from-file {proxy['load_server_state_from_file']}")
    return body


def _front_lines(proxy):
    body = []
    for bind in proxy.get("binds", []):
        text = f"bind {_address(bind.get('address'), bind['port'])}"
        if bind.get("ssl"):
            text += f" ssl crt {_quote(bind['crt'])}"
            if bind.get("alpn"):
                text += f" alpn {','.join(bind['alpn'])}"
        body.append(text)
    return body


def _acl_lines(proxy):
    return [f"acl {a['name']} {a['criterion']}" for a in proxy.get("acls", [])]


def _rules_lines(proxy):
    """Redirects, http-request rules and backend choices (after the ACLs)."""
    body = []
    for redirect in proxy.get("redirects", []):
        text = f"http-request redirect scheme {redirect['scheme']} code {redirect['code']}"
        if redirect.get("cond"):
            text += f" {_cond_text(redirect['cond'])}"
        body.append(text)
    for rule in proxy.get("http_request", []):
        text = f"http-request {rule['action']}"
        if rule.get("args"):
            text += f" {rule['args']}"
        if rule.get("cond"):
            text += f" {_cond_text(rule['cond'])}"
        body.append(text)
    for use in proxy.get("use_backends", []):
        body.append(f"use_backend {use['backend']} {_cond_text(use['cond'])}")
    if proxy.get("default_backend"):
        body.append(f"default_backend {proxy['default_backend']}")
    return body


def _stats_lines(stats):
    if not stats:
        return []
    body = []
    if stats.get("enable"):
        body.append("stats enable")
    if stats.get("uri"):
        body.append(f"stats uri {_quote(stats['uri'])}")
    if stats.get("realm"):
        body.append(f"stats realm {_quote(stats['realm'])}")
    if stats.get("refresh") is not None:
        body.append(f"stats refresh {stats['refresh']}")
    if stats.get("hide_version"):
        body.append("stats hide-version")
    body += [f"stats auth {a['user']}:{a['password']}" for a in stats.get("auth", [])]
    if stats.get("admin_cond"):
        body.append(f"stats admin {_cond_text(stats['admin_cond'])}")
    return body


def _back_lines(proxy):
    body = []
    if proxy.get("balance"):
        body.append(f"balance {proxy['balance']}")
    chk = proxy.get("httpchk")
    if chk:
        body.append("option httpchk")
        text = f"http-check send meth {chk.get('method', 'GET')} uri {_quote(chk.get('uri', '/'))}"
        if chk.get("version"):
            text += f" ver {chk['version']}"
        if chk.get("host"):
            text += f" hdr Host {_quote(chk['host'])}"
        body.append(text)
    if proxy.get("http_check_expect"):
        body.append(f"http-check expect {proxy['http_check_expect']}")
    cookie = proxy.get("cookie")
    if cookie:
        text = f"cookie {cookie['name']}"
        if cookie.get("mode"):
            text += f" {cookie['mode']}"
        for flag in ("indirect", "nocache"):
            if cookie.get(flag):
                text += f" {flag}"
        body.append(text)
    return body


def _server_lines(proxy):
    body = []
    for srv in proxy.get("servers", []):
        text = f"server {srv['name']} {_address(srv['address'], srv['port'])}"
        if srv.get("check"):
            text += " check"
        for key in ("inter", "rise", "fall", "weight", "maxconn", "cookie"):
            if srv.get(key) is not None:
                text += f" {key} {srv[key]}"
        if srv.get("backup"):
            text += " backup"
        if srv.get("ssl"):
            text += f" ssl verify {srv['verify']}"
            if srv.get("ca_file"):
                text += f" ca-file {_quote(srv['ca_file'])}"
            if srv.get("sni"):
                text += f" sni str({srv['sni']})"
        if srv.get("check_ssl"):
            text += " check-ssl"
        body.append(text)
    return body


def _section(lines, title, body):
    lines.append("")
    lines.append(title)
    lines.extend(f"{_IND}{line}" for line in body)


@only_config_errors(HAProxyConfigError, "haproxy configuration")
def render(data, normalized=False, allow_weak_secrets=False):
    """Return haproxy.cfg text for ``data`` (checked first unless ``normalized``)."""
    config = data if normalized else normalize(data, allow_weak_secrets)[0]
    lines = [HEADER.rstrip("\n")]
    body = _global_lines(config.get("global", {}))
    if body:
        _section(lines, "global", body)
    defaults = config.get("defaults", {})
    body = _common_head(defaults) + _common_tail(defaults) + list(defaults.get("extra", []))
    if body:
        _section(lines, "defaults", body)
    for userlist in config.get("userlists", []):
        body = []
        for user in userlist["users"]:
            kind = "password" if user["password"].startswith("$") else "insecure-password"
            body.append(f"user {user['name']} {kind} {user['password']}")
        _section(lines, f"userlist {userlist['name']}", body)
    for proxy in config.get("frontends", []):
        body = (
            _common_head(proxy)
            + _front_lines(proxy)
            + _common_tail(proxy)
            + _acl_lines(proxy)
            + _rules_lines(proxy)
            + list(proxy.get("extra", []))
        )
        _section(lines, f"frontend {proxy['name']}", body)
    for proxy in config.get("listens", []):
        body = (
            # ACLs first: stats admin may use them, and HAProxy wants them declared before use.
            _common_head(proxy)
            + _front_lines(proxy)
            + _acl_lines(proxy)
            + _stats_lines(proxy.get("stats"))
            + _back_lines(proxy)
            + _common_tail(proxy)
            + _rules_lines(proxy)
            + _server_lines(proxy)
            + list(proxy.get("extra", []))
        )
        _section(lines, f"listen {proxy['name']}", body)
    for proxy in config.get("backends", []):
        body = (
            _common_head(proxy)
            + _back_lines(proxy)
            + _common_tail(proxy)
            + _server_lines(proxy)
            + list(proxy.get("extra", []))
        )
        _section(lines, f"backend {proxy['name']}", body)
    return "\n".join(lines) + "\n"


_STATS_AUTH_RE = re.compile(r"^(\s*stats\s+auth\s+[^:\s]+:)\S+", re.MULTILINE)
_USER_PASS_RE = re.compile(r"^(\s*user\s+\S+\s+(?:insecure-)?password\s+)\S+", re.MULTILINE)


def redact(text):
    """Hide stats and userlist passwords in haproxy.cfg text (for diffs and messages)."""
    if not text or not isinstance(text, str):
        return text
    text = _STATS_AUTH_RE.sub(lambda m: m.group(1) + REDACTED, text)
    return _USER_PASS_RE.sub(lambda m: m.group(1) + REDACTED, text)


def secrets(config):
    """The secret strings of a configuration (raw or normalized), for no_log handling."""
    found = []
    config = config if isinstance(config, dict) else {}

    def add(value):
        if isinstance(value, str) and value and value not in found:
            found.append(value)

    def items(value):
        return value if isinstance(value, list) else []

    for listen in items(config.get("listens")):
        stats = listen.get("stats") if isinstance(listen, dict) else None
        for auth in items(stats.get("auth")) if isinstance(stats, dict) else []:
            if isinstance(auth, dict):
                add(auth.get("password"))
    for userlist in items(config.get("userlists")):
        for user in items(userlist.get("users")) if isinstance(userlist, dict) else []:
            if isinstance(user, dict):
                add(user.get("password"))
    return found
