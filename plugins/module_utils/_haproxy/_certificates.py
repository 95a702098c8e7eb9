# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role's TLS file lists (``haproxy_certificates``, ``haproxy_ca_certificates``):
``file_entry_errors`` checks each entry's name and its one source before
the module reads the files on the host.
"""

from __future__ import annotations

import re

from ansible_collections.halb.cluster.plugins.module_utils._haproxy._common import (
    HAProxyConfigError,
    _as_bool,
    _as_int,
    _as_path,
    _entry,
    _label,
)
from ansible_collections.halb.cluster.plugins.module_utils._typed import (
    as_list as _as_list,
    as_str,
    only_config_errors,
)

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
