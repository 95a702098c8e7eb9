# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``userlist`` sections (``haproxy_userlists``): users and their
passwords (crypt hashes, or clear text held to the password rules).
"""

from __future__ import annotations

import re

from ansible_collections.halb.cluster.plugins.module_utils._haproxy._common import (
    VAR_NAMES,
    _as_secret,
    _entry,
    _label,
)
from ansible_collections.halb.cluster.plugins.module_utils._typed import (
    as_list as _as_list,
    check_secret,
)

# A crypt(3) hash as `password` takes it: $id$[params$]salt$hash.
_CRYPT_RE = re.compile(r"^\$[0-9a-z]{1,8}\$[A-Za-z0-9./=,$-]{2,250}$")


def _userlists(errs, warns, data, allow_weak=False):
    var = VAR_NAMES["userlists"]
    out = []
    seen = set()
    for i, item in enumerate(_as_list(errs, var, data)):
        where = _label(var, i, item)
        name, readable = _entry(errs, where, item, ("name", "users"), seen, "userlist name")
        if not readable:
            continue
        users = []
        names = set()
        for j, user in enumerate(_as_list(errs, f"{where}.users", item.get("users"))):
            at = _label(f"{where}.users", j, user)
            uname, ok = _entry(errs, at, user, ("name", "password"), names, "user name")
            if not ok:
                continue
            password = _as_secret(errs, f"{at}.password", user.get("password"))
            if password is not None and password.startswith("$"):
                if not _CRYPT_RE.fullmatch(password):
                    errs.append(
                        f"{at}.password: starts with $ but is not a crypt hash ($id$salt$hash, "
                        "as mkpasswd -m sha-512 prints it); a clear-text password may not start "
                        "with $"
                    )
                    password = None
            elif password is not None:
                before = len(errs)
                check_secret(errs, warns, f"{at}.password", password, allow_weak)
                if len(errs) > before:
                    password = None
            if uname and password:
                if not password.startswith("$"):
                    warns.append(
                        f"{at}.password: not a crypt hash, so it is written as insecure-password "
                        "in clear text; store a hash (mkpasswd -m sha-512) instead"
                    )
                users.append({"name": uname, "password": password})
        if not item.get("users"):
            errs.append(f"{where}.users: is empty; define at least one user")
        out.append({"name": name, "users": users})
    return out
