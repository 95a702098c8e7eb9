# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``defaults`` section (``haproxy_defaults``): what every proxy inherits."""

from __future__ import annotations

from ansible_collections.halb.cluster.plugins.module_utils._haproxy._common import (
    _HTTP_REUSE,
    _MODES,
    VAR_NAMES,
    _as_choice,
    _as_int,
    _clean,
    _unknown_keys,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._directives import (
    _extra,
    _options,
    _retry_on,
    _timeouts,
)
from ansible_collections.halb.cluster.plugins.module_utils._typed import (
    as_dict as _as_dict,
)

_STATE_FILE = ("global", "local", "none")

_DEFAULTS_KEYS = (
    "mode",
    "log",
    "retries",
    "retry_on",
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
            "retry_on": _retry_on(errs, f"{var}.retry_on", data.get("retry_on")),
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
