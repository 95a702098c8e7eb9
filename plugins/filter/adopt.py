# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lint one hand-written keepalived.conf or haproxy.cfg on the controller,
with the same parsers and rules as the config_import module."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.halb.cluster.plugins.module_utils._adopt_lint import (
    lint_haproxy,
    lint_keepalived,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy_import import (
    DEFAULT_PATH as HAPROXY_PATH,
    parse as parse_haproxy,
)
from ansible_collections.halb.cluster.plugins.module_utils._keepalived_import import (
    DEFAULT_PATH as KEEPALIVED_PATH,
    parse as parse_keepalived,
)
from ansible_collections.halb.cluster.plugins.module_utils._typed import ConfigError, show
from ansible_collections.halb.cluster.plugins.plugin_utils._values import plain as _plain


def _text(name, text, what):
    text = _plain(text)
    if not isinstance(text, str):
        raise AnsibleFilterError(
            f"{name}: expected the text of a {what} (a string, for example from "
            f"lookup('ansible.builtin.file', ...)), got {type(text).__name__}"
        )
    return text


def _files(name, files):
    """The parser's include texts and the lint's file facts from ``files``:
    a path maps to its text, to null (the file does not exist) or to the
    facts config_import gathers ({exists, content, mode, owner})."""
    files = _plain(files)
    if files is None:
        return {}, {}
    if not isinstance(files, dict):
        raise AnsibleFilterError(
            f"{name}: files must be a mapping of absolute path to text (or null for a file "
            f"that does not exist), got {type(files).__name__}"
        )
    texts, facts = {}, {}
    for path, value in files.items():
        if not isinstance(path, str) or not path.startswith("/"):
            raise AnsibleFilterError(f"{name}: files: {show(path)} is not an absolute path")
        if isinstance(value, str):
            texts[path] = value
            facts[path] = {"exists": True, "content": value}
        elif value is None:
            facts[path] = {"exists": False, "content": None}
        elif isinstance(value, dict):
            facts[path] = value
            if isinstance(value.get("content"), str):
                texts[path] = value["content"]
        else:
            raise AnsibleFilterError(
                f"{name}: files[{show(path)}]: expected the file's text, null or a mapping "
                f"with exists and content, got {type(value).__name__}"
            )
    return texts, facts


def _refused(path, exc):
    """A text the parser refuses as a whole (too long): its messages as errors."""
    return {
        "findings": [],
        "kept": [],
        "dropped": [],
        "errors": [{"file": path, "line": None, "message": str(m)} for m in exc.errors],
    }


def _result(parsed, findings):
    return {
        "findings": findings,
        "kept": parsed.get("kept", []),
        "dropped": parsed.get("dropped", []),
        "errors": parsed.get("errors", []),
    }


def lint_keepalived_conf(text, files=None):
    """Parse a keepalived.conf's ``text`` (as /etc/keepalived/keepalived.conf)
    and lint it: ``{"findings", "kept", "dropped", "errors"}``.

    ``files`` maps absolute paths to their text: the files the configuration
    includes, and the scripts it runs (their text is searched for commands
    that restart a service); a path mapped to null does not exist (rule
    script-missing). A path left out is unknown and never reported.
    """
    name = "lint_keepalived_conf"
    text = _text(name, text, "keepalived.conf")
    texts, facts = _files(name, files)
    try:
        parsed = parse_keepalived(text, KEEPALIVED_PATH, texts)
    except ConfigError as exc:
        return _refused(KEEPALIVED_PATH, exc)
    findings = lint_keepalived(parsed.get("variables"), files=facts, origins=parsed.get("origins"))
    return _result(parsed, findings)


def lint_haproxy_cfg(text):
    """Parse a haproxy.cfg's ``text`` (as /etc/haproxy/haproxy.cfg) and lint
    it: ``{"findings", "kept", "dropped", "errors"}``."""
    text = _text("lint_haproxy_cfg", text, "haproxy.cfg")
    try:
        parsed = parse_haproxy(text, HAPROXY_PATH)
    except ConfigError as exc:
        return _refused(HAPROXY_PATH, exc)
    return _result(parsed, lint_haproxy(parsed.get("variables"), origins=parsed.get("origins")))


class FilterModule:
    """halb.cluster lint filters for configurations written by hand."""

    def filters(self):
        return {
            "lint_keepalived_conf": lint_keepalived_conf,
            "lint_haproxy_cfg": lint_haproxy_cfg,
        }
