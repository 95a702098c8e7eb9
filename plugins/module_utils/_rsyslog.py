# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rsyslog role's variables: checks, and the two files written from them.

``errors()`` reports every problem at once, each message starting with the
variable it is about and saying what is allowed; it never raises, whatever
the values' types. ``config()`` and ``logrotate()`` render the rsyslog
drop-in and the logrotate stanza from the checked values only (canonical
addresses, RainerScript strings escaped), so nothing a variable holds can
end a string or start a directive.

Pure functions, standard library only.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.halb.cluster.plugins.module_utils._typed import (
    CONTROL_RE,
    ConfigError,
    as_bool,
    as_choice,
    as_file_name,
    as_int,
    as_ip,
    as_list,
    as_path,
    as_user,
    only_config_errors,
    show,
    unknown_keys,
)

FACILITIES = (
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
    "authpriv", "ftp", "local0", "local1", "local2", "local3", "local4", "local5",
    "local6", "local7",
)  # fmt: skip
SEVERITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
FREQUENCIES = ("daily", "weekly", "monthly")
_MODE_RE = re.compile(r"^0?[0-7]{3}$")
_SIZE_RE = re.compile(r"^[0-9]{1,12}[kMG]?$")


class RsyslogConfigError(ConfigError):
    """Invalid rsyslog_* variables."""


def _label(index, item):
    """``rsyslog_log_files[<file>]`` when the file is a short plain string, else ``[index]``."""
    name = item.get("file") if isinstance(item, dict) else None
    if isinstance(name, str) and name and len(name) <= 64 and not CONTROL_RE.search(name):
        return f"rsyslog_log_files[{name}]"
    return f"rsyslog_log_files[{index}]"


def _address(errs, values, allow_remote):
    address = values.get("rsyslog_udp_address")
    if address is None or address == "":
        errs.append("rsyslog_udp_address: required (use 127.0.0.1)")
        return None
    if isinstance(address, str) and "%" not in address and not CONTROL_RE.search(address):
        try:
            ipaddress.ip_address(address.strip())
        except ValueError:
            errs.append(
                f"rsyslog_udp_address: {show(address)} is not an IP address (use 127.0.0.1)"
            )
            return None
    # Canonical, and never a zone ID: rsyslog's imudp takes no %interface.
    text = as_ip(errs, "rsyslog_udp_address", address, "IP address (use 127.0.0.1)")
    if text is None:
        return None
    if not ipaddress.ip_address(text).is_loopback and not allow_remote:
        errs.append(
            f"rsyslog_udp_address: {text} is not a loopback address, so anyone on the "
            "network could write HAProxy's logs; use 127.0.0.1 (or set "
            "rsyslog_allow_remote_input: true)"
        )
    return text


def _owner(errs, var, value, what):
    """A user or group name; null or "" leaves the directive out."""
    if value is None or value == "":
        return None
    return as_user(errs, var, value, what)


def _files(errs, values):
    raw = values.get("rsyslog_log_files")
    files = as_list(errs, "rsyslog_log_files", raw)
    if raw is None or (isinstance(raw, (list, tuple)) and not files):
        errs.append("rsyslog_log_files: is empty; name at least one facility, severity and file")
    clean = []
    seen = set()
    for i, item in enumerate(files):
        where = _label(i, item)
        if not isinstance(item, dict):
            errs.append(f"{where}: expected a mapping with facility, severity and file")
            continue
        unknown_keys(errs, where, item, ("facility", "severity", "file"))
        found = {}
        for key, choices in (("facility", FACILITIES), ("severity", SEVERITIES)):
            if item.get(key) is None:
                errs.append(f"{where}.{key}: required (allowed: {', '.join(choices)})")
            found[key] = as_choice(errs, f"{where}.{key}", item.get(key), choices)
        name = item.get("file")
        probe = []
        if isinstance(name, str) and name:
            as_file_name(probe, f"{where}.file", name)
        if not isinstance(name, str) or not name or probe:
            errs.append(
                f"{where}.file: {show(name)} is not a plain file name (letters, digits, "
                "_ . @ + -, at most 128 characters, not starting with . or -)"
            )
            name = None
        elif name in seen:
            errs.append(f"{where}.file: {name!r} is used twice")
            name = None
        else:
            seen.add(name)
        if None not in (found["facility"], found["severity"], name):
            clean.append(dict(found, file=name))
    return clean


def normalize(values):
    """``(clean values, errors)``; the clean values are what the files are rendered from."""
    errs = []
    if not isinstance(values, dict):
        return {}, ["rsyslog: expected a mapping of rsyslog_* variables"]
    allow_remote = as_bool(
        errs, "rsyslog_allow_remote_input", values.get("rsyslog_allow_remote_input", False)
    )
    clean = {"address": _address(errs, values, allow_remote)}
    clean["port"] = as_int(errs, "rsyslog_udp_port", values.get("rsyslog_udp_port"), 1, 65535)
    if values.get("rsyslog_udp_port") is None:
        errs.append("rsyslog_udp_port: required (1-65535)")
    directory = values.get("rsyslog_log_dir")
    probe = []
    clean["dir"] = as_path(probe, "rsyslog_log_dir", directory, directory=True)
    if directory is None or directory == "":
        errs.append("rsyslog_log_dir: required (an absolute path like /var/log/haproxy)")
    elif probe or clean["dir"] == "/":
        errs.append(
            f"rsyslog_log_dir: {show(directory)} is not an absolute path of letters, digits, "
            "_ . @ + - and / (without ..), and not /"
        )
        clean["dir"] = None
    clean["files"] = _files(errs, values)
    clean["owner"] = _owner(errs, "rsyslog_file_owner", values.get("rsyslog_file_owner"), "user")
    clean["group"] = _owner(errs, "rsyslog_file_group", values.get("rsyslog_file_group"), "group")
    mode = values.get("rsyslog_file_mode")
    clean["mode"] = None
    if not isinstance(mode, str) or not _MODE_RE.fullmatch(mode):
        errs.append(
            f"rsyslog_file_mode: {show(mode)} is not a quoted octal mode like '0640' (YAML "
            "reads 0640 unquoted as a number)"
        )
    elif int(mode, 8) & 0o002:
        errs.append(f"rsyslog_file_mode: {mode} lets every user write the logs; use '0640'")
    else:
        clean["mode"] = mode.zfill(4)
    if "rsyslog_config_path" in values:
        if values["rsyslog_config_path"] in (None, ""):
            errs.append("rsyslog_config_path: required (an absolute path under /etc/rsyslog.d)")
        as_path(errs, "rsyslog_config_path", values["rsyslog_config_path"])
    size = values.get("rsyslog_logrotate_size")
    clean["size"] = None
    if size not in (None, ""):
        if isinstance(size, bool) or not isinstance(size, (str, int)):
            errs.append(f"rsyslog_logrotate_size: {show(size)} is not a size like 100M, 512k or 1G")
        elif not _SIZE_RE.fullmatch(str(size)):
            errs.append(f"rsyslog_logrotate_size: {show(size)} is not a size like 100M, 512k or 1G")
        else:
            clean["size"] = str(size)
    clean["frequency"] = "daily"
    if "rsyslog_logrotate_frequency" in values:
        clean["frequency"] = as_choice(
            errs,
            "rsyslog_logrotate_frequency",
            values["rsyslog_logrotate_frequency"],
            FREQUENCIES,
        )
    clean["rotate"] = as_int(
        errs, "rsyslog_logrotate_rotate", values.get("rsyslog_logrotate_rotate"), 0, 10000
    )
    if values.get("rsyslog_logrotate_rotate") is None:
        errs.append("rsyslog_logrotate_rotate: required (0-10000)")
    clean["compress"] = as_bool(
        errs, "rsyslog_logrotate_compress", values.get("rsyslog_logrotate_compress", True)
    )
    clean["service"] = "rsyslog.service"
    if "rsyslog_service" in values:
        clean["service"] = as_file_name(
            errs, "rsyslog_service", values["rsyslog_service"], "unit name"
        )
    return clean, errs


@only_config_errors(RsyslogConfigError, "rsyslog")
def _errors(values):
    return normalize(values)[1]


def errors(values):
    """Every problem of the role's variables (a dict of rsyslog_* values); never raises."""
    try:
        return _errors(values)
    except RsyslogConfigError as exc:
        return exc.errors


def quote(text):
    """A RainerScript string constant: backslash and double quote escaped,
    so that no value can end the string (control characters never get here)."""
    text = str(text)
    if CONTROL_RE.search(text):
        raise RsyslogConfigError(["rsyslog: a control character reached the renderer"])
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@only_config_errors(RsyslogConfigError, "rsyslog")
def _checked(values):
    clean, errs = normalize(values)
    if errs:
        raise RsyslogConfigError(errs)
    return clean


def config(values):
    """The rsyslog drop-in (after the managed-by comment); raises
    RsyslogConfigError when the values are not valid."""
    clean = _checked(values)
    lines = [
        f"# HAProxy's syslog over UDP, on {clean['address']} port {clean['port']} only, "
        "into files of its own.",
        'module(load="imudp")',
        f"input(type={quote('imudp')} address={quote(clean['address'])} "
        f"port={quote(clean['port'])} ruleset={quote('halb_haproxy')})",
        "",
        f"ruleset(name={quote('halb_haproxy')}) {{",
    ]
    for item in clean["files"]:
        ownership = []
        if clean["owner"] is not None:
            ownership.append(f"fileOwner={quote(clean['owner'])}")
        if clean["group"] is not None:
            ownership.append(f"fileGroup={quote(clean['group'])}")
        path = f"{clean['dir'].rstrip('/')}/{item['file']}"
        lines += [
            f"    if prifilt({quote(item['facility'] + '.' + item['severity'])}) then {{",
            f'        action(type="omfile" file={quote(path)}',
            *([f"               {' '.join(ownership)}"] if ownership else []),
            f'               fileCreateMode={quote(clean["mode"])} dirCreateMode="0755")',
            "    }",
        ]
    lines += ["    # Nothing from this input reaches the system log.", "    stop", "}"]
    return "\n".join(lines) + "\n"


def logrotate(values):
    """The logrotate stanza for the files (after the managed-by comment)."""
    clean = _checked(values)
    paths = " ".join(f"{clean['dir'].rstrip('/')}/{item['file']}" for item in clean["files"])
    when = f"size {clean['size']}" if clean["size"] else clean["frequency"]
    lines = [
        f"{paths} {{",
        f"    {when}",
        f"    rotate {clean['rotate']}",
        "    missingok",
        "    notifempty",
        *(["    compress", "    delaycompress"] if clean["compress"] else []),
        "    sharedscripts",
        "    postrotate",
        "        systemctl kill -s HUP --kill-whom=main "
        f"{clean['service']} >/dev/null 2>&1 || true",
        "    endscript",
        "}",
    ]
    return "\n".join(lines) + "\n"
