# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets of a configuration: ``redact`` hides the passwords in haproxy.cfg
text (for diffs and messages), ``secrets`` lists them (for no_log).
"""

from __future__ import annotations

import re

from ansible_collections.halb.cluster.plugins.module_utils._haproxy._common import (
    REDACTED,
)

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
