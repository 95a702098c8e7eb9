# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every proxy section and ``defaults`` share: ``option`` names,
``timeout`` values, ``extra`` lines (with the directives HAProxy removed or
advises against) and the conditions after ``if``/``unless``.
"""

from __future__ import annotations

import re

from ansible_collections.halb.cluster.plugins.module_utils._haproxy._common import (
    _PREDEFINED_ACLS,
    _REMOVED,
    _TIMEOUTS,
    _as_duration,
    _unknown_keys,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._grammar import (
    _as_raw,
    _scan,
)
from ansible_collections.halb.cluster.plugins.module_utils._typed import (
    as_dict as _as_dict,
    as_list as _as_list,
    check_secret,
    did_you_mean,
    show,
)

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
# Timeouts that only act on the client side / the server side of a proxy.
_FRONT_ONLY_TIMEOUTS = ("client", "client_fin")
_BACK_ONLY_TIMEOUTS = ("connect", "server", "server_fin", "queue", "check", "tunnel")

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


# retry-on (HAProxy 2.0 or later): the failures after which a request is
# sent again; ``none`` stands alone. Status codes are HAProxy 2.6's list.
_RETRY_ON = (
    "none",
    "conn-failure",
    "empty-response",
    "junk-response",
    "response-timeout",
    "0rtt-rejected",
    "all-retryable-errors",
    "401",
    "403",
    "404",
    "408",
    "425",
    "500",
    "501",
    "502",
    "503",
    "504",
)
# Anything but these makes HAProxy keep the request to send it again (L7
# retries); the renderer then limits them to GET, HEAD and OPTIONS.
_L4_RETRY_ON = frozenset(("none", "conn-failure"))


def _retry_on(errs, where, value):
    """``retry-on`` keywords: each from _RETRY_ON once, ``none`` alone
    (status codes may be written as integers)."""
    out = []
    items = _as_list(errs, where, value)
    if value is not None and not items:
        errs.append(f"{where}: is empty; write [none] to never send a request again")
    for j, word in enumerate(items):
        at = f"{where}[{j}]"
        text = str(word) if isinstance(word, (str, int)) and not isinstance(word, bool) else None
        if text not in _RETRY_ON:
            errs.append(
                f"{at}: {show(word)} is not a retry-on keyword"
                f"{did_you_mean(word, _RETRY_ON) if text is not None else ''} "
                f"(allowed: {', '.join(_RETRY_ON)})"
            )
            continue
        if text in out:
            errs.append(f"{at}: {text!r} is listed twice")
            continue
        out.append(text)
    if "none" in out and len(out) > 1:
        errs.append(f"{where}: none stands alone (it turns every retry off)")
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
