# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of the rsyslog role's variables (HAProxy's syslog input and files).

Pure functions, standard library only; every message starts with the
variable it is about and says what is allowed.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.halb.cluster.plugins.module_utils._typed import (
    as_bool,
    as_choice,
    as_int,
    as_list,
    label,
    unknown_keys,
)

FACILITIES = (
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
    "authpriv", "ftp", "local0", "local1", "local2", "local3", "local4", "local5",
    "local6", "local7",
)  # fmt: skip
SEVERITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
_FILE_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIR_RE = re.compile(r"^/[A-Za-z0-9_./-]*$")
_MODE_RE = re.compile(r"^0?[0-7]{3}$")
_SIZE_RE = re.compile(r"^[0-9]+[kMG]?$")


def errors(values):
    """Every problem of the role's variables (a dict of rsyslog_* values)."""
    errs = []
    allow_remote = as_bool(
        errs, "rsyslog_allow_remote_input", values.get("rsyslog_allow_remote_input", False)
    )
    address = values.get("rsyslog_udp_address")
    try:
        ip = ipaddress.ip_address(str(address))
    except ValueError:
        errs.append(f"rsyslog_udp_address: {address!r} is not an IP address (use 127.0.0.1)")
    else:
        if not ip.is_loopback and not allow_remote:
            errs.append(
                f"rsyslog_udp_address: {address} is not a loopback address, so anyone on the "
                "network could write HAProxy's logs; use 127.0.0.1 (or set "
                "rsyslog_allow_remote_input: true)"
            )
    as_int(errs, "rsyslog_udp_port", values.get("rsyslog_udp_port"), 1, 65535)
    directory = values.get("rsyslog_log_dir")
    if not isinstance(directory, str) or not _DIR_RE.fullmatch(directory) or ".." in directory:
        errs.append(
            f"rsyslog_log_dir: {directory!r} is not an absolute path of letters, digits, "
            "_ . - and / (without ..)"
        )
    mode = values.get("rsyslog_file_mode")
    if not isinstance(mode, str) or not _MODE_RE.fullmatch(mode):
        errs.append(
            f"rsyslog_file_mode: {mode!r} is not a quoted octal mode like '0640' (YAML reads "
            "0640 unquoted as a number)"
        )
    elif int(mode, 8) & 0o002:
        errs.append(f"rsyslog_file_mode: {mode} lets every user write the logs; use '0640'")
    files = as_list(errs, "rsyslog_log_files", values.get("rsyslog_log_files"))
    if values.get("rsyslog_log_files") is not None and not files:
        errs.append("rsyslog_log_files: is empty; name at least one facility, severity and file")
    seen = set()
    for i, item in enumerate(files):
        where = label("rsyslog_log_files", i, item, key="file")
        if not isinstance(item, dict):
            errs.append(f"{where}: expected a mapping with facility, severity and file")
            continue
        unknown_keys(errs, where, item, ("facility", "severity", "file"))
        for key, choices in (("facility", FACILITIES), ("severity", SEVERITIES)):
            if item.get(key) is None:
                errs.append(f"{where}.{key}: required (allowed: {', '.join(choices)})")
            as_choice(errs, f"{where}.{key}", item.get(key), choices)
        name = item.get("file")
        if not isinstance(name, str) or not _FILE_RE.fullmatch(name):
            errs.append(f"{where}.file: {name!r} is not a plain file name (letters, digits, _ . -)")
        elif name in seen:
            errs.append(f"{where}.file: {name!r} is used twice")
        seen.add(name)
    size = values.get("rsyslog_logrotate_size")
    if size is not None and not _SIZE_RE.fullmatch(str(size)):
        errs.append(f"rsyslog_logrotate_size: {size!r} is not a size like 100M, 512k or 1G")
    as_int(errs, "rsyslog_logrotate_rotate", values.get("rsyslog_logrotate_rotate"), 0, 10000)
    return errs
