# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side check of role variables that reach files outside the models."""

from __future__ import annotations

from ansible_collections.halb.cluster.plugins.module_utils._typed import value_errors as _errors
from ansible_collections.halb.cluster.plugins.plugin_utils._values import plain as _plain


def value_errors(spec):
    """Problems of role variables, each naming its variable.

    ``spec`` maps a variable name to ``[kind, value]`` or ``[kind, value,
    {optional: true, list: true}]``. Kinds: text, word, name, file_name, user,
    interface, path, directory, hostname, ip, host, network, port, email (the
    grammar of ``plugins/module_utils/_typed.py``). A role stops on a non-empty
    result before anything on the host changes.
    """
    return _errors(_plain(spec))


class FilterModule:
    """halb.cluster value filters."""

    def filters(self):
        return {"value_errors": value_errors}
