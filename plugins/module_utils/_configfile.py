# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replace a configuration file without ever leaving a bad one in place.

Shared by the modules that write daemon configurations (keepalived.conf
today, haproxy.cfg next): the new text goes to a temporary file in the
destination's directory (same filesystem, so the final move is atomic), the
daemon's own checker runs on that file, and only when it passes is the old
file backed up and the new one moved over it. Standard library plus
AnsibleModule's own helpers; no third-party packages.
"""

from __future__ import annotations

import os
import tempfile


class ConfigFileError(Exception):
    """The file could not be read, or the new text was rejected (message says why)."""


def read_text(path):
    """The file's text, or None when it does not exist."""
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigFileError(f"cannot read {path}: {exc}") from exc


def write_checked(module, dest, text, validate=None, backup=True):
    """Write ``text`` to ``dest`` through a checked temporary file.

    ``validate(tmp_path)`` returns None when the file is good, or a message;
    with a message nothing is replaced and ConfigFileError is raised. Returns
    ``{"backup_file": path}`` when an old file was backed up, else ``{}``.
    """
    directory = os.path.dirname(dest) or "."
    if not os.path.isdir(directory):
        os.makedirs(directory, mode=0o755)
    prefix = "." + os.path.basename(dest) + "."
    fd, tmp = tempfile.mkstemp(prefix=prefix, dir=directory)
    result = {}
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        if validate is not None:
            problem = validate(tmp)
            if problem:
                raise ConfigFileError(problem)
        if backup and os.path.exists(dest):
            result["backup_file"] = module.backup_local(dest)
        module.atomic_move(tmp, dest, unsafe_writes=False)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return result
