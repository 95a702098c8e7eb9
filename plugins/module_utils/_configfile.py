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
import shutil
import stat
import tempfile
import time


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


def private_backup(dest):
    """Copy ``dest`` to ``dest.<pid>.<time>~`` (the name Ansible's backups
    have), created 0600 with O_EXCL, so that it is readable by its owner only
    from the first byte on (a configuration may hold passwords, a pem a key);
    owner, group and times follow ``dest``. Returns the backup's path."""
    st = os.stat(dest)
    backup = f"{dest}.{os.getpid()}.{time.strftime('%Y-%m-%d@%H:%M:%S~')}"
    fd = os.open(backup, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out, open(dest, "rb") as src:
        shutil.copyfileobj(src, out)
        out.flush()
        os.fsync(out.fileno())
        os.fchown(out.fileno(), st.st_uid, st.st_gid)
        os.fchmod(out.fileno(), 0o600)
    os.utime(backup, ns=(st.st_atime_ns, st.st_mtime_ns))
    return backup


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
            result["backup_file"] = private_backup(dest)
        if os.path.exists(dest):
            # atomic_move gives the new file the old file's mode until the
            # caller sets the requested one: never let a world-readable old
            # file (a package default) lend its mode to one that holds secrets.
            current = stat.S_IMODE(os.stat(dest).st_mode)
            if current & 0o077:
                os.chmod(dest, current & 0o700)
        module.atomic_move(tmp, dest, unsafe_writes=False)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return result


def command_validator(module, argv, label, hidden, redact, passed=None):
    """A validator for write_checked that runs ``argv + [path]``, or None
    when ``argv[0]`` (the checker, from checker_binary) is None.

    ``passed(rc, output)`` judges the run (default: rc 0). The output shown
    in the failure has every string of ``hidden`` and what ``redact`` finds
    replaced.
    """
    if argv[0] is None:
        return None

    def validate(path):
        rc, out, err = module.run_command(list(argv) + [path])
        output = "\n".join(part for part in (out, err) if part).strip()
        for secret in hidden:
            output = output.replace(secret, "********")
        output = redact(output)
        if (passed or (lambda code, _text: code == 0))(rc, output):
            return None
        return (
            f"{label} rejected the new configuration (rc={rc}); "
            f"{module.params['dest']} was not changed:\n{output}"
        )

    return validate


def checker_binary(module, option, name, enabled, package):
    """The path of the daemon's own checker, or None when checking is off.

    Missing: a warning in check mode (the role may install it later in the
    same run), otherwise a failure naming the option.
    """
    if not enabled:
        return None
    binary = module.get_bin_path(name)
    if binary is None:
        if module.check_mode:
            module.warn(f"{package} is not installed yet: its config test is skipped in check mode")
        else:
            module.fail_json(
                msg=f"{option}: {name} not found; install {package} first, or set validate: false"
            )
    return binary


def ensure_config(module, text, redact, validator=None, result=None):
    """Make the module's ``dest`` hold ``text`` and exit the module.

    Compares with the current file, adds a diff with secrets hidden by
    ``redact``, stops in check mode, otherwise writes through ``validator``
    (see write_checked) and fixes owner, group and mode. Reads dest, backup,
    owner, group and mode from the module's parameters (see file_options).
    """
    params = module.params
    dest, backup = params["dest"], params["backup"]
    file_mode = {k: params[k] for k in ("owner", "group", "mode")}
    result = dict(result or {})
    try:
        before = read_text(dest)
    except ConfigFileError as exc:
        module.fail_json(msg=f"dest: {exc}")
    changed = before != text
    result.update(changed=changed, dest=dest)
    if module._diff and changed:
        result["diff"] = {
            "before": redact(before or ""),
            "after": redact(text),
            "before_header": dest if before is not None else "(absent)",
            "after_header": dest,
        }
    file_args = module.load_file_common_arguments(dict(file_mode, path=dest))
    if module.check_mode:
        if before is not None and not changed:
            result["changed"] = module.set_fs_attributes_if_different(file_args, False)
        module.exit_json(**result)
    if changed:
        try:
            result.update(
                write_checked(
                    module, dest, text, validate=validator, backup=backup and before is not None
                )
            )
        except ConfigFileError as exc:
            module.fail_json(msg=str(exc))
    result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
    module.exit_json(**result)


def strip_none(value):
    """Ansible fills absent sub-options with None; the config models treat None as absent."""
    if isinstance(value, dict):
        return {k: strip_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_none(v) for v in value]
    return value


def file_options(dest, checker_option, checker):
    """The argument_spec entries every config-writing module shares."""
    return {
        "dest": {"type": "path", "default": dest},
        "backup": {"type": "bool", "default": True},
        "validate": {"type": "bool", "default": True},
        checker_option: {"type": "str", "default": checker},
        "owner": {"type": "str", "default": "root"},
        "group": {"type": "str", "default": "root"},
        "mode": {"type": "raw", "default": "0640"},
    }
