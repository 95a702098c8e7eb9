# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A role's host-side work in one module call (the engine of halb.cluster.role_apply).

Each remote task costs about half a second whatever it does (templating on
the controller, packing the module, starting Python on the host), so a role
that writes ten files in ten tasks pays five seconds on every run where
nothing changes. This engine does all of it in one call, in a fixed order:

1. packages: missing ones installed with apt-get (units named in
   ``mask_before_install`` masked first, so a package's postinst cannot
   start a daemon before its configuration is written);
2. groups and users (created when missing; the shell of a user fixed);
3. directories;
4. files, in the order given: each written to a temporary file beside its
   destination, checked there by the daemon's own checker when it has one,
   and only then moved into place. When one fails its check, every file
   already moved in this call is put back as it was (content, owner, group,
   mode; a new file is removed) and nothing later happens: no package
   state, no service is touched by a failed call after the files;
5. paths to remove, the sysctl file and the running kernel values;
6. services, in order: ``systemctl daemon-reload`` first when a unit file
   changed or systemd says a unit needs it, then per service (un)mask,
   enable, start when not running, otherwise restart or reload when one of
   the files it depends on changed.

Check mode predicts every step and changes nothing; diff mode gives one diff
per changed file, with secrets hidden. Standard library plus AnsibleModule.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import socket
import stat
import time

from ansible_collections.halb.cluster.plugins.module_utils._configfile import (
    ConfigFileError,
    write_checked,
)

UNIT_DIRS = ("/etc/systemd/", "/lib/systemd/", "/usr/lib/systemd/", "/run/systemd/")
# UnitFileState values for which `systemctl is-enabled` succeeds.
ENABLED_STATES = (
    "enabled",
    "enabled-runtime",
    "static",
    "indirect",
    "generated",
    "alias",
    "linked",
)
ACTIVE_STATES = ("active", "activating", "reloading")
APT_STAMPS = ("/var/lib/apt/periodic/update-success-stamp", "/var/lib/apt/lists")
_NAME_RE = re.compile(r"\A[a-z_][a-z0-9_-]{0,31}\Z")
_PACKAGE_RE = re.compile(r"\A[a-z0-9][a-z0-9+.-]*\Z")
_UNIT_RE = re.compile(r"\A[A-Za-z0-9:_.@\\-]+\.(service|socket|timer|path|target|mount)\Z")
_HOSTNAME_RE = re.compile(
    r"\A(?=.{1,253}\Z)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\Z"
)
_SYSCTL_RE = re.compile(r"\A[a-z0-9_]+(\.[a-z0-9_-]+)+\Z")
_SYSCTL_VALUE_RE = re.compile(r"\A[A-Za-z0-9_. :/-]{1,64}\Z")


def _accounts_exist(entry):
    """Whether the owner and group of an entry exist on this host."""
    for key, lookup in (("owner", pwd.getpwnam), ("group", grp.getgrnam)):
        name = entry.get(key)
        if name is None or str(name).isdigit():
            continue
        try:
            lookup(name)
        except KeyError:
            return False
    return True


def missing_programs(programs):
    """A message for each (variable, path) whose program is not an
    executable file on this host."""
    return [
        f"{where}: {path} does not exist or is not executable on this host"
        for where, path in programs
        if not (os.path.isfile(path) and os.access(path, os.X_OK))
    ]


class ApplyError(Exception):
    """A step failed; the message names the entry and says what was put back."""


def _hide(text, secrets):
    for secret in secrets:
        if secret:
            text = text.replace(secret, "********")
    return text


def check_params(params):
    """Every name that reaches a command line or a path is checked first:
    the module refuses what does not match its grammar before anything runs."""
    errors = []
    for i, name in enumerate(params.get("packages") or []):
        if not _PACKAGE_RE.match(str(name)):
            errors.append(f"packages[{i}]: {name!r} is not a package name")
    for key in ("mask_before_install",):
        for i, unit in enumerate(params.get(key) or []):
            if not _UNIT_RE.match(str(unit)):
                errors.append(f"{key}[{i}]: {unit!r} is not a unit name")
    for i, svc in enumerate(params.get("services") or []):
        if not _UNIT_RE.match(str(svc["name"])):
            errors.append(f"services[{i}].name: {svc['name']!r} is not a unit name")
    for key in ("groups", "users"):
        for i, entry in enumerate(params.get(key) or []):
            if not _NAME_RE.match(str(entry["name"])):
                errors.append(f"{key}[{i}].name: {entry['name']!r} is not a user or group name")
            if key == "users" and entry.get("group") and not _NAME_RE.match(str(entry["group"])):
                errors.append(f"users[{i}].group: {entry['group']!r} is not a group name")
    paths = [("directories", d["path"]) for d in params.get("directories") or []]
    paths += [("files", f["dest"]) for f in params.get("files") or []]
    paths += [("absent", p) for p in params.get("absent") or []]
    for key, path in paths:
        if not os.path.isabs(path) or "\n" in path or "/../" in path + "/":
            errors.append(f"{key}: {path!r} is not an absolute path")
    for i, argv in enumerate(params.get("commands") or []):
        if not argv or not os.path.isabs(str(argv[0])) or any("\n" in str(a) for a in argv):
            errors.append(f"commands[{i}]: the first word must be an absolute path, no line breaks")
    for i, entry in enumerate(params.get("require_files") or []):
        if not os.path.isabs(entry["path"]) or "\n" in entry["path"]:
            errors.append(f"require_files[{i}].path: {entry['path']!r} is not an absolute path")
    for i, svc in enumerate(params.get("services") or []):
        path = svc.get("state_file")
        if path and (not os.path.isabs(path) or "\n" in path or "/../" in path + "/"):
            errors.append(f"services[{i}].state_file: {path!r} is not an absolute path")
    sysctl = params.get("sysctl") or {}
    for key, value in (sysctl.get("values") or {}).items():
        if not _SYSCTL_RE.match(str(key)):
            errors.append(f"sysctl.values: {key!r} is not a kernel setting name")
        if not _SYSCTL_VALUE_RE.match(str(value)):
            errors.append(f"sysctl.values.{key}: {value!r} is not a kernel setting value")
    if sysctl.get("values") and not sysctl.get("file"):
        errors.append("sysctl.file: required with sysctl.values")
    return errors


class Apply:
    """One call's work. ``validators`` maps a file's ``validate`` name to a
    function ``(apply, entry, tmp_path) -> None | message``; ``redactors``
    maps its ``redact`` name to a function over text."""

    def __init__(self, module, validators, redactors):
        self.module = module
        self.params = module.params
        self.check = module.check_mode
        self.validators = validators
        self.redactors = redactors
        self.secrets = [s for s in self.params.get("secrets") or [] if s]
        self.changed = False
        self.changed_files = []
        self.diffs = []
        self.backups = []
        self.services = {}
        self.packages_installed = []
        self.users_changed = []
        self.moved = []  # (dest, previous) for the rollback of the files step
        self.fresh_packages = False

    # --- helpers -------------------------------------------------------------------------

    def run(self, argv, what, environ=None, check_rc=True):
        rc, out, err = self.module.run_command(argv, environ_update=environ or {})
        if check_rc and rc != 0:
            output = _hide("\n".join(p for p in (out, err) if p).strip(), self.secrets)
            raise ApplyError(f"{what}: {' '.join(argv)} failed (rc={rc}): {output}")
        return rc, out, err

    def binary(self, name):
        return self.module.get_bin_path(name, opt_dirs=["/usr/sbin", "/sbin"])

    def file_args(self, path, entry):
        return self.module.load_file_common_arguments(
            {
                "path": path,
                "owner": entry.get("owner"),
                "group": entry.get("group"),
                "mode": entry.get("mode"),
            }
        )

    def attributes(self, path, entry, changed):
        """Owner, group and mode as asked (predicted in check mode, where an
        owner or group that this call would create counts as a change)."""
        if self.check and not _accounts_exist(entry):
            return True
        return self.module.set_fs_attributes_if_different(self.file_args(path, entry), changed)

    # --- 1. packages ---------------------------------------------------------------------

    def missing_packages(self, names):
        if not names:
            return []
        dpkg = self.binary("dpkg-query")
        if dpkg is None:
            raise ApplyError(
                "packages: only Debian's package tools (dpkg, apt-get) are supported; "
                f"install {', '.join(names)} first"
            )
        _rc, out, _err = self.run(
            [dpkg, "-W", "-f=${Package} ${db:Status-Abbrev}\n", *names], "packages", check_rc=False
        )
        installed = set()
        for line in out.splitlines():
            fields = line.split()
            if len(fields) >= 2 and fields[1] == "ii":
                installed.add(fields[0].split(":")[0])
        return [n for n in names if n not in installed]

    def cache_age(self):
        for path in APT_STAMPS:
            if os.path.exists(path):
                return time.time() - os.stat(path).st_mtime
        return None

    def packages(self):
        names = list(dict.fromkeys(self.params.get("packages") or []))
        missing = self.missing_packages(names)
        if not missing:
            return
        self.changed = True
        self.fresh_packages = True
        self.packages_installed = missing
        if self.check:
            return
        for unit in self.params.get("mask_before_install") or []:
            if self.unit_states([unit])[unit].get("LoadState") in ("not-found", None, ""):
                self.run(["systemctl", "mask", unit], f"mask_before_install: {unit}")
        apt = self.binary("apt-get")
        environ = {"DEBIAN_FRONTEND": "noninteractive", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
        age = self.cache_age()
        if age is None or age > self.params["update_cache_valid_time"]:
            self.run([apt, "update", "-q"], "packages (apt-get update)", environ)
        options = ["-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold"]
        self.run([apt, "install", "-y", "-q", *options, *missing], "packages", environ)

    # --- 2. groups and users -------------------------------------------------------------

    def groups(self):
        for entry in self.params.get("groups") or []:
            try:
                grp.getgrnam(entry["name"])
                continue
            except KeyError:
                pass
            self.changed = True
            self.users_changed.append("group " + entry["name"])
            if not self.check:
                argv = ["groupadd"] + (["--system"] if entry["system"] else []) + [entry["name"]]
                self.run(argv, f"groups[{entry['name']}]")

    def users(self):
        for entry in self.params.get("users") or []:
            name = entry["name"]
            try:
                current = pwd.getpwnam(name)
            except KeyError:
                current = None
            if current is None:
                self.changed = True
                self.users_changed.append("user " + name)
                if self.check:
                    continue
                argv = ["useradd"] + (["--system"] if entry["system"] else [])
                if entry.get("group"):
                    argv += ["--gid", entry["group"]]
                if entry.get("home"):
                    argv += ["--home-dir", entry["home"]]
                argv += ["--create-home"] if entry["create_home"] else ["--no-create-home"]
                if entry.get("shell"):
                    argv += ["--shell", entry["shell"]]
                self.run(argv + [name], f"users[{name}]")
                continue
            fixes = []
            if entry.get("shell") and current.pw_shell != entry["shell"]:
                fixes += ["--shell", entry["shell"]]
            if entry.get("home") and current.pw_dir != entry["home"]:
                fixes += ["--home", entry["home"]]
            if fixes:
                self.changed = True
                self.users_changed.append("user " + name)
                if not self.check:
                    self.run(["usermod", *fixes, name], f"users[{name}]")

    # --- 3. directories ------------------------------------------------------------------

    def directories(self):
        for entry in self.params.get("directories") or []:
            path = entry["path"]
            if not os.path.isdir(path):
                if os.path.lexists(path):
                    raise ApplyError(f"directories: {path} exists and is not a directory")
                self.changed = True
                self.changed_files.append(path)
                if self.check:
                    continue
                os.makedirs(path, mode=0o700)
            if self.attributes(path, entry, False):
                self.changed = True
                if path not in self.changed_files:
                    self.changed_files.append(path)

    # --- 4. files ------------------------------------------------------------------------

    def snapshot(self, dest):
        """What a rollback needs to put ``dest`` back (None: it did not exist)."""
        if not os.path.lexists(dest):
            return None
        st = os.lstat(dest)
        with open(dest, "rb") as handle:
            return {
                "data": handle.read(),
                "uid": st.st_uid,
                "gid": st.st_gid,
                "mode": st.st_mode,
                # systemd compares a unit file's mtime with the time it loaded
                # it (NeedDaemonReload): a file put back keeps its old one.
                "times": (st.st_atime_ns, st.st_mtime_ns),
            }

    def rollback(self):
        """Put back every file moved in this call, newest first; returns what
        could not be put back (empty when all went well)."""
        failed = []
        for dest, previous in reversed(self.moved):
            try:
                if previous is None:
                    if os.path.lexists(dest):
                        os.unlink(dest)
                    continue
                directory = os.path.dirname(dest)
                tmp = os.path.join(directory, f".{os.path.basename(dest)}.rollback.{os.getpid()}")
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "wb") as out:
                    out.write(previous["data"])
                os.chown(tmp, previous["uid"], previous["gid"])
                os.chmod(tmp, stat.S_IMODE(previous["mode"]))
                os.utime(tmp, ns=previous["times"])
                os.rename(tmp, dest)
            except OSError as exc:
                failed.append(f"{dest}: {exc}")
        self.moved = []
        return failed

    def validate(self, entry, tmp):
        name = entry.get("validate") or "none"
        if name == "none":
            return None
        return self.validators[name](self, entry, tmp)

    def redact(self, entry, text):
        name = entry.get("redact") or "none"
        text = _hide(text, self.secrets)
        return text if name == "none" else self.redactors[name](text)

    def requirements(self, entry):
        """What must be on the host before the file is written: programs it
        runs (an error, a warning in check mode, where an earlier entry may
        only be predicted) and directories it needs (a warning)."""
        missing = missing_programs((p["variable"], p["path"]) for p in entry.get("programs") or [])
        if missing and self.check:
            for line in missing:
                self.module.warn(line + " (ignored in check mode)")
        elif missing:
            raise ApplyError("\n".join(missing))
        for needed in entry.get("warn_missing") or []:
            if not os.path.isdir(needed["path"]):
                self.module.warn(needed["warning"])

    def one_file(self, entry):
        dest = entry["dest"]
        content = entry["content"]
        exists = os.path.lexists(dest)
        if exists and not os.path.isfile(dest):
            raise ApplyError(f"files: {dest} exists and is not a regular file")
        before = None
        if exists and entry["force"]:
            try:
                with open(dest, encoding="utf-8") as handle:
                    before = handle.read()
            except (OSError, UnicodeDecodeError) as exc:
                raise ApplyError(f"files: cannot read {dest}: {exc}") from exc
        self.requirements(entry)
        write = not exists or (entry["force"] and before != content)
        if write and self.module._diff and entry["diff"]:
            self.diffs.append(
                {
                    "before": self.redact(entry, before or ""),
                    "after": self.redact(entry, content),
                    "before_header": dest if exists else f"{dest} (absent)",
                    "after_header": dest,
                }
            )
        if self.check:
            changed = write or (exists and self.attributes(dest, entry, False))
            if changed:
                self.changed = True
                self.changed_files.append(dest)
            return
        previous = self.snapshot(dest) if exists else None
        if write:
            try:
                result = write_checked(
                    self.module,
                    dest,
                    content,
                    validate=lambda tmp: self.validate(entry, tmp),
                    backup=entry["backup"] and exists,
                )
            except ConfigFileError as exc:
                raise ApplyError(_hide(str(exc), self.secrets)) from exc
            if result.get("backup_file"):
                self.backups.append(result["backup_file"])
            self.moved.append((dest, previous))
        changed = self.attributes(dest, entry, write)
        if changed and not write:
            self.moved.append((dest, previous))
        if changed:
            self.changed = True
            self.changed_files.append(dest)

    def files(self):
        for entry in self.params.get("files") or []:
            try:
                self.one_file(entry)
            except (ApplyError, OSError) as exc:
                moved = [dest for dest, _prev in self.moved]
                failed = self.rollback()
                self.changed_files = [p for p in self.changed_files if p not in moved]
                self.diffs = []
                note = ""
                if moved:
                    note = "\nPut back as they were: " + ", ".join(moved) + "."
                if failed:
                    note += "\nCOULD NOT put back: " + "; ".join(failed) + "."
                message = str(exc)
                if not message.startswith("files"):
                    message = f"files[{entry['dest']}]: {message}"
                raise ApplyError(message + note) from exc

    # --- 5. absent, sysctl ---------------------------------------------------------------

    def absent(self):
        for path in self.params.get("absent") or []:
            if not os.path.lexists(path):
                continue
            if os.path.isdir(path) and not os.path.islink(path):
                raise ApplyError(f"absent: {path} is a directory; only files are removed")
            self.changed = True
            self.changed_files.append(path)
            if self.module._diff:
                self.diffs.append({"before_header": path, "after_header": f"{path} (absent)"})
            if not self.check:
                os.unlink(path)

    def sysctl(self):
        spec = self.params.get("sysctl") or {}
        values = spec.get("values") or {}
        if not values:
            return
        lines = ["# Managed by Ansible (halb.cluster): the kernel settings the VIP needs."]
        lines += [f"{key} = {value}" for key, value in sorted(values.items())]
        self.one_file(
            {
                "dest": spec["file"],
                "content": "\n".join(lines) + "\n",
                "owner": "root",
                "group": "root",
                "mode": "0644",
                "force": True,
                "backup": False,
                "diff": True,
                "redact": "none",
                "validate": "none",
            }
        )
        self.moved = []  # kernel settings are not part of the files' rollback
        for key, value in sorted(values.items()):
            path = "/proc/sys/" + key.replace(".", "/")
            try:
                with open(path, encoding="ascii") as handle:
                    current = handle.read().split()
            except OSError as exc:
                raise ApplyError(f"sysctl.values.{key}: cannot read {path}: {exc}") from exc
            if current == str(value).split():
                continue
            self.changed = True
            self.changed_files.append(path)
            if not self.check:
                try:
                    with open(path, "w", encoding="ascii") as handle:
                        handle.write(f"{value}\n")
                except OSError as exc:
                    raise ApplyError(
                        f"sysctl.values.{key}: cannot set it to {value}: {exc}"
                    ) from exc

    # --- 6. services ---------------------------------------------------------------------

    def unit_states(self, names, properties=()):
        """LoadState, ActiveState, UnitFileState and NeedDaemonReload of each unit (one call)."""
        wanted = ["Id", "LoadState", "ActiveState", "UnitFileState", "NeedDaemonReload"]
        _rc, out, _err = self.run(
            ["systemctl", "show", "--property=" + ",".join(wanted + list(properties)), *names],
            "services",
            check_rc=False,
        )
        blocks = [b for b in out.strip().split("\n\n") if b.strip()]
        states = {}
        for index, name in enumerate(names):
            block = blocks[index] if index < len(blocks) else ""
            states[name] = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        return states

    def systemctl(self, action, unit, no_block=False):
        argv = ["systemctl", action] + (["--no-block"] if no_block else []) + [unit]
        self.services.setdefault(unit, []).append(action)
        self.changed = True
        if not self.check:
            self.run(argv, f"services[{unit}]")

    def services_step(self):
        entries = self.params.get("services") or []
        if not entries:
            return
        names = [e["name"] for e in entries]
        states = self.unit_states(names)
        units_changed = any(path.startswith(UNIT_DIRS) for path in self.changed_files)
        if units_changed or any(s.get("NeedDaemonReload") == "yes" for s in states.values()):
            self.services["systemd"] = ["daemon-reload"]
            self.changed = True
            if not self.check:
                self.run(["systemctl", "daemon-reload"], "services (systemctl daemon-reload)")
                states = self.unit_states(names)
        changed = set(self.changed_files)
        for entry in entries:
            unit = entry["name"]
            state = states[unit]
            if state.get("LoadState") in (None, "", "not-found"):
                if self.check:
                    # A unit that this run's package or unit file brings.
                    if entry["state"] == "started" or entry["enabled"]:
                        self.services.setdefault(unit, []).append("start (predicted)")
                        self.changed = True
                    continue
                if entry["masked"] is not True:
                    raise ApplyError(f"services[{unit}]: systemd has no such unit")
            masked = state.get("UnitFileState") == "masked" or state.get("LoadState") == "masked"
            if entry["masked"] is True and not masked:
                self.systemctl("mask", unit)
                continue
            if entry["masked"] is False and masked:
                self.systemctl("unmask", unit)
                state = {**state, "UnitFileState": "disabled", "LoadState": "loaded"}
            enabled = state.get("UnitFileState") in ENABLED_STATES
            if entry["enabled"] is True and not enabled:
                self.systemctl("enable", unit)
            elif entry["enabled"] is False and enabled and state.get("UnitFileState") == "enabled":
                self.systemctl("disable", unit)
            active = state.get("ActiveState") in ACTIVE_STATES
            if entry["state"] == "stopped":
                if active:
                    self.systemctl("stop", unit, entry["no_block"])
                continue
            if entry["state"] == "started" and not active:
                self.systemctl("start", unit, entry["no_block"])
                continue
            if changed.intersection(entry.get("start_on") or []):
                # A unit that runs and ends (a oneshot): started again.
                self.systemctl("start", unit, entry["no_block"])
                continue
            if not active:
                continue
            if entry["restart"] or changed.intersection(entry.get("restart_on") or []):
                self.systemctl("restart", unit, entry["no_block"])
            elif entry["reload"] or changed.intersection(entry.get("reload_on") or []):
                self.systemctl("reload", unit, entry["no_block"])
        for entry in entries:
            if entry.get("state_file"):
                self.state_file(entry)

    def state_file(self, entry):
        """Write 0 (running) or 1 (not running) into the unit's state file
        when it says otherwise (the unit itself keeps it up to date from then on)."""
        path = entry["state_file"]
        if self.check:
            running = entry["state"] == "started"
        else:
            running = self.unit_states([entry["name"]])[entry["name"]].get("ActiveState") in (
                ACTIVE_STATES
            )
        wanted = "0" if running else "1"
        try:
            with open(path, encoding="ascii") as handle:
                current = handle.read().strip()
        except (OSError, UnicodeDecodeError):
            current = None
        if current == wanted:
            return
        self.changed = True
        self.changed_files.append(path)
        if self.check:
            return
        directory = os.path.dirname(path)
        os.makedirs(directory, mode=0o755, exist_ok=True)
        tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(wanted + "\n")
        os.chmod(tmp, 0o644)
        os.rename(tmp, path)

    # --- all -----------------------------------------------------------------------------

    def required_files(self):
        """Refuse, before anything changes, when a file the configuration
        names is not a regular file on the host (``require_files``)."""
        errors = [
            entry["error"]
            for entry in self.params.get("require_files") or []
            if not os.path.isfile(entry["path"])
        ]
        if errors:
            raise ApplyError("\n".join(errors))

    def nofile(self):
        """Refuse, before anything changes, a connection limit the service
        cannot open enough file descriptors for (``require_nofile``)."""
        spec = self.params.get("require_nofile") or {}
        if not spec.get("unit"):
            return
        known = []
        unit = self.unit_states([spec["unit"]], ["LimitNOFILE"])[spec["unit"]]
        if str(unit.get("LimitNOFILE", "")).isdigit():
            known.append(int(unit["LimitNOFILE"]))
        try:
            with open("/proc/1/limits", encoding="ascii") as handle:
                found = re.search(r"Max open files +\S+ +([0-9]+)", handle.read())
            if found:
                known.append(int(found.group(1)))
        except OSError:
            pass
        if known and spec["needed"] > min(known):
            nofile = min(known)
            raise ApplyError(spec["error"].format(nofile=nofile, most=max(0, (nofile - 100) // 2)))

    def hostname(self):
        name = self.params.get("hostname")
        if not name:
            return
        if not _HOSTNAME_RE.match(name):
            raise ApplyError(f"hostname: {name!r} is not a host name")
        if socket.gethostname() == name:
            return
        self.changed = True
        self.services["hostname"] = [name]
        if self.check:
            return
        tool = self.binary("hostnamectl")
        if tool is not None:
            rc, _out, _err = self.module.run_command([tool, "set-hostname", name])
            if rc == 0:
                return
        # No hostnamectl (or no systemd-hostnamed): the file and the kernel.
        with open("/etc/hostname", "w", encoding="ascii") as handle:
            handle.write(name + "\n")
        self.run(["hostname", name], "hostname")

    def commands(self):
        for entry in self.params.get("commands") or []:
            self.changed = True
            self.services.setdefault("commands", []).append(" ".join(entry))
            if not self.check:
                self.run(list(entry), "commands")

    def apply(self):
        """Every step; returns the module's result (raises ApplyError)."""
        for line in self.params.get("warnings") or []:
            self.module.warn(line)
        self.required_files()
        self.nofile()
        self.packages()
        self.hostname()
        self.groups()
        self.users()
        self.directories()
        self.files()
        self.moved = []
        self.absent()
        self.sysctl()
        self.services_step()
        self.commands()
        return self.result()

    def result(self):
        result = {
            "changed": self.changed,
            "changed_files": self.changed_files,
            "services": self.services,
            "packages_installed": self.packages_installed,
            "accounts": self.users_changed,
        }
        if self.backups:
            result["backup_files"] = self.backups
        if self.diffs:
            result["diff"] = self.diffs
        return result


def command_check(label, argv, passed=None):
    """A validator running ``argv`` with the temporary file's path appended.

    The binary (argv[0], a name) is looked up on the host; ``passed(rc,
    output)`` judges the run (default: rc 0). The checker's output is shown
    with the file's redactor and the call's secrets applied."""

    def validate(apply, entry, tmp):
        binary = apply.binary(argv[0])
        if binary is None:
            return f"{label}: {argv[0]} not found on the host (is its package installed?)"
        rc, out, err = apply.module.run_command([binary, *argv[1:], tmp])
        output = "\n".join(p for p in (out, err) if p).strip().replace(tmp, entry["dest"])
        if (passed or (lambda code, _text: code == 0))(rc, output):
            return None
        return (
            f"{label} rejected the new {entry['dest']} (rc={rc}); it was not changed:\n"
            + apply.redact(entry, output)
        )

    return validate


# keepalived 2.2.7 (Debian 12) ends `--config-test` with SIGTERM to itself
# whenever the configuration has scripts (vrrp_script or notify), valid or
# not; it still prints every problem on stderr. keepalived 2.3 (Debian 13)
# exits 0 for a valid file and 5 for an invalid one (naming the line). So: a
# clean exit passes, and death by SIGTERM passes only when keepalived said
# nothing; any other exit (5, 139 for a segfault) is a rejection.
_SIGTERM_EXITS = (-15, 143)


def keepalived_test_passed(rc, output):
    """Whether a `keepalived --config-test` run accepted the file."""
    if "Config files missing" in output:
        return False
    if rc == 0:
        return True
    return rc in _SIGTERM_EXITS and not output.strip()


# The checkers a file entry can name (``validate``).
VALIDATORS = {
    "haproxy": command_check("haproxy -c", ["haproxy", "-c", "-f"]),
    "keepalived": command_check(
        "keepalived --config-test", ["keepalived", "--config-test", "-f"], keepalived_test_passed
    ),
    "rsyslog": command_check("rsyslogd -N1", ["rsyslogd", "-N1", "-f"]),
}
