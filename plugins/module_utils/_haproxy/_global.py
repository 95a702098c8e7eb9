# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``global`` section (``haproxy_global``): log targets, the process
settings, the stats socket and the TLS defaults.
"""

from __future__ import annotations

import re

from ansible_collections.halb.cluster.plugins.module_utils._haproxy._common import (
    _USER_RE,
    VAR_NAMES,
    _as_bool,
    _as_choice,
    _as_duration,
    _as_host,
    _as_int,
    _as_path,
    _as_word,
    _clean,
    _mappings,
    _unknown_keys,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._directives import (
    _extra,
)
from ansible_collections.halb.cluster.plugins.module_utils._typed import (
    as_dict as _as_dict,
    as_str,
    show,
)

_OCTAL_RE = re.compile(r"^0?[0-7]{3}$")
_CIPHERS_RE = re.compile(r"^[A-Za-z0-9_.:+!@=-]+$")
_SSL_OPTION_RE = re.compile(r"^[A-Za-z0-9_.-]+$")

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
_STATS_LEVELS = ("user", "operator", "admin")

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
    for at, item in _mappings(
        errs, where, value, "address and facility", ("address", "facility", "level")
    ):
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
