# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The proxy sections (``haproxy_frontends``, ``haproxy_backends``,
``haproxy_listens``): binds, ACLs and rules on the client side, health
checks, cookies and servers on the server side, and a listen's statistics
page. Checks that span sections are in ``_model``.
"""

from __future__ import annotations

import re

from ansible_collections.halb.cluster.plugins.module_utils._haproxy._common import (
    _HTTP_REUSE,
    _MODES,
    _NAME_RE,
    _PREDEFINED_ACLS,
    VAR_NAMES,
    _as_bind_address,
    _as_bool,
    _as_choice,
    _as_duration,
    _as_host,
    _as_int,
    _as_path,
    _as_secret,
    _as_word,
    _clean,
    _entry,
    _label,
    _mappings,
    _unknown_keys,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._directives import (
    _ADMIN_TRUE_WARNING,
    _condition,
    _extra,
    _host_wildcards,
    _options,
    _retry_on,
    _timeouts,
)
from ansible_collections.halb.cluster.plugins.module_utils._haproxy._grammar import (
    _as_raw,
    _scan,
)
from ansible_collections.halb.cluster.plugins.module_utils._typed import (
    as_dict as _as_dict,
    as_list as _as_list,
    as_text,
    check_secret,
    show,
)

_ACTION_RE = re.compile(r"^[a-z][a-z0-9-]*(\([A-Za-z0-9_.]+\))?$")
_URI_RE = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$")

_BALANCE = ("roundrobin", "leastconn", "source", "first", "static-rr", "uri", "random")
_CHECK_METHODS = ("GET", "HEAD", "OPTIONS")
_CHECK_VERSIONS = ("HTTP/1.0", "HTTP/1.1")
_COOKIE_MODES = ("insert", "rewrite", "prefix")
_REDIRECT_CODES = (301, 302, 303, 307, 308)
_VERIFY = ("required", "none")
_EXPECT_KINDS = ("status", "rstatus", "string", "rstring", "hdr", "fhdr")

_COMMON_KEYS = ("name", "mode", "options", "timeouts", "extra")
_FRONT_KEYS = (
    "binds",
    "acls",
    "http_request",
    "redirects",
    "use_backends",
    "default_backend",
    "maxconn",
)
_BACK_KEYS = (
    "balance",
    "httpchk",
    "http_check_expect",
    "cookie",
    "servers",
    "http_reuse",
    "retry_on",
)
_KEYS = {
    "frontends": _COMMON_KEYS + _FRONT_KEYS,
    "backends": _COMMON_KEYS + _BACK_KEYS,
    "listens": _COMMON_KEYS + _FRONT_KEYS + _BACK_KEYS + ("stats",),
}


def _binds(errs, where, value, ports_seen):
    out = []
    items = _as_list(errs, where, value)
    if value is not None and not items:
        errs.append(f"{where}: is empty; define at least one bind (address and port)")
    for at, item in _mappings(
        errs, where, items, "at least port", ("address", "port", "ssl", "crt", "alpn")
    ):
        if item.get("port") is None:
            errs.append(f"{at}.port: required")
        port = _as_int(errs, f"{at}.port", item.get("port"), 1, 65535)
        address = _as_bind_address(errs, f"{at}.address", item.get("address"))
        ssl = _as_bool(errs, f"{at}.ssl", item.get("ssl"))
        crt = _as_path(errs, f"{at}.crt", item.get("crt"), "certificate path", directory=True)
        alpn = []
        for k, proto in enumerate(_as_list(errs, f"{at}.alpn", item.get("alpn"))):
            word = _as_word(
                errs, f"{at}.alpn[{k}]", proto, re.compile(r"^[A-Za-z0-9/._-]{1,32}$"), "protocol"
            )
            if word is not None:
                alpn.append(word)
        if ssl and item.get("crt") is None:
            errs.append(
                f"{at}.crt: required with ssl (a PEM file holding the certificate and its key, "
                "or a directory of them)"
            )
        if not ssl and (item.get("crt") is not None or alpn):
            errs.append(f"{at}: crt and alpn need ssl: true")
        if port is not None:
            key = (address if address not in (None, "*", "0.0.0.0") else "*", port)
            if key in ports_seen:
                errs.append(
                    f"{at}: {key[0]}:{port} is already bound by {ports_seen[key]}; "
                    "two sections cannot listen on the same address and port"
                )
            else:
                ports_seen[key] = where.rsplit(".", 1)[0]
            out.append(
                _clean({"address": address, "port": port, "ssl": ssl, "crt": crt, "alpn": alpn})
            )
    return out


def _acls(errs, warns, where, value, names):
    """ACL lines; ``names`` collects every readable name (also of a line with a
    bad criterion, so that conditions using it are not reported twice)."""
    out = []
    for at, item in _mappings(
        errs,
        where,
        value,
        "name and criterion",
        ("name", "criterion"),
        lambda j, item: _label(where, j, item),
    ):
        for key in ("name", "criterion"):
            if item.get(key) is None:
                errs.append(f"{at}.{key}: required")
        name = _as_word(errs, f"{at}.name", item.get("name"), _NAME_RE, "ACL name")
        if name in _PREDEFINED_ACLS:
            errs.append(f"{at}.name: {name!r} is an ACL HAProxy predefines; choose another name")
            name = None
        if name:
            names.add(name)
        criterion = _as_raw(errs, f"{at}.criterion", item.get("criterion"), "criterion")
        if criterion:
            _host_wildcards(warns, f"{at}.criterion", _scan(criterion)[0])
        if name and criterion:
            # Several lines with one name are OR-ed by HAProxy: allowed.
            out.append({"name": name, "criterion": criterion})
    return out


def _http_request(errs, warns, where, value, acls):
    out = []
    for at, item in _mappings(
        errs, where, value, "action, args and cond", ("action", "args", "cond")
    ):
        if item.get("action") is None:
            errs.append(f"{at}.action: required (for example set-header, deny, redirect)")
        action = _as_word(errs, f"{at}.action", item.get("action"), _ACTION_RE, "action")
        args = _as_raw(errs, f"{at}.args", item.get("args"), "value")
        cond = _condition(errs, warns, f"{at}.cond", item.get("cond"), acls)
        if action:
            out.append(_clean({"action": action, "args": args, "cond": cond}))
    return out


def _redirects(errs, warns, where, value, acls, has_ssl):
    out = []
    for at, item in _mappings(
        errs, where, value, "scheme, code and cond", ("scheme", "code", "cond")
    ):
        scheme = _as_choice(errs, f"{at}.scheme", item.get("scheme", "https"), ("https", "http"))
        code = _as_choice(errs, f"{at}.code", item.get("code", 301), _REDIRECT_CODES)
        cond = _condition(errs, warns, f"{at}.cond", item.get("cond"), acls)
        if item.get("cond") is None and has_ssl and scheme == "https":
            errs.append(
                f"{at}.cond: required here: this section also binds with ssl, so an "
                "unconditional redirect to https would loop; use cond: '!{{ ssl_fc }}'"
            )
        if scheme and code:
            out.append(_clean({"scheme": scheme, "code": code, "cond": cond}))
    return out


def _use_backends(errs, warns, where, value, acls):
    out = []
    for at, item in _mappings(errs, where, value, "backend and cond", ("backend", "cond")):
        for key in ("backend", "cond"):
            if item.get(key) is None:
                errs.append(
                    f"{at}.{key}: required"
                    + (" (without a condition, use default_backend)" if key == "cond" else "")
                )
        backend = _as_word(errs, f"{at}.backend", item.get("backend"), _NAME_RE, "backend name")
        cond = _condition(errs, warns, f"{at}.cond", item.get("cond"), acls)
        if backend and cond:
            out.append({"backend": backend, "cond": cond})
    return out


def _as_uri(errs, where, value):
    """A path (and query) of a URI: starts with /, no white space, quotes or #."""
    uri = _as_word(errs, where, value, what="URI", max_len=1000)
    if uri is not None and not uri.startswith("/"):
        errs.append(f"{where}: {show(uri)} must start with /")
        return None
    if uri is not None and not _URI_RE.fullmatch(uri):
        errs.append(
            f"{where}: {show(uri)} is not a valid URI path (letters, digits and "
            "- . _ ~ ! $ & ( ) * + , ; = : @ % / ?)"
        )
        return None
    return uri


def _httpchk(errs, where, value):
    data = _as_dict(errs, where, value)
    if not data:
        return None
    _unknown_keys(errs, where, data, ("method", "uri", "version", "host"))
    uri = _as_uri(errs, f"{where}.uri", data.get("uri", "/"))
    version = _as_choice(errs, f"{where}.version", data.get("version"), _CHECK_VERSIONS, upper=True)
    host = _as_host(errs, f"{where}.host", data.get("host"))
    if version == "HTTP/1.1" and host is None and data.get("host") is None:
        errs.append(f"{where}.host: required with version HTTP/1.1 (it sends a Host header)")
    return _clean(
        {
            "method": _as_choice(
                errs, f"{where}.method", data.get("method", "GET"), _CHECK_METHODS, upper=True
            ),
            "uri": uri,
            "version": version,
            "host": host,
        }
    )


def _expect(errs, where, value):
    text = _as_raw(errs, where, value, "expectation")
    if text is None:
        return None
    words = _scan(text)[0]
    kind = words[1] if words and words[0] == "!" and len(words) > 1 else words[0] if words else ""
    if kind not in _EXPECT_KINDS or len(words) < 2:
        errs.append(
            f"{where}: {show(value)} is not an http-check expectation (start with one of "
            f"{', '.join(_EXPECT_KINDS)}, for example 'status 200')"
        )
        return None
    return text


def _cookie(errs, where, value):
    data = _as_dict(errs, where, value)
    if not data:
        return None
    _unknown_keys(errs, where, data, ("name", "mode", "indirect", "nocache"))
    if data.get("name") is None:
        errs.append(f"{where}.name: required")
    return _clean(
        {
            "name": _as_word(errs, f"{where}.name", data.get("name"), _NAME_RE, "cookie name"),
            "mode": _as_choice(errs, f"{where}.mode", data.get("mode"), _COOKIE_MODES),
            "indirect": _as_bool(errs, f"{where}.indirect", data.get("indirect")),
            "nocache": _as_bool(errs, f"{where}.nocache", data.get("nocache")),
        }
    )


_SERVER_KEYS = (
    "name",
    "address",
    "port",
    "check",
    "inter",
    "rise",
    "fall",
    "weight",
    "maxconn",
    "cookie",
    "backup",
    "ssl",
    "verify",
    "ca_file",
    "sni",
    "check_ssl",
)


def _servers(errs, warns, where, value, has_cookie):
    out = []
    seen = set()
    for j, item in enumerate(_as_list(errs, where, value)):
        at = _label(where, j, item)
        name, readable = _entry(errs, at, item, _SERVER_KEYS, seen, "server name")
        if not readable:
            continue
        for key in ("address", "port"):
            if item.get(key) is None:
                errs.append(f"{at}.{key}: required")
        ssl = _as_bool(errs, f"{at}.ssl", item.get("ssl"))
        verify = _as_choice(errs, f"{at}.verify", item.get("verify"), _VERIFY)
        ca_file = item.get("ca_file")
        if ca_file != "@system-ca":
            ca_file = _as_path(errs, f"{at}.ca_file", ca_file, "CA file path")
        if ssl:
            verify = verify or "required"
            if verify == "required" and item.get("ca_file") is None:
                errs.append(
                    f"{at}.ca_file: required with ssl and verify: required (the CA that signed "
                    "the server's certificate, or @system-ca); set verify: none only if you "
                    "accept an unauthenticated server"
                )
            if verify == "none":
                warns.append(
                    f"{at}.verify: none: the server's certificate is not checked, so anyone "
                    "on the path can impersonate it; use verify: required with ca_file"
                )
        elif verify or item.get("ca_file") is not None or item.get("sni") is not None:
            errs.append(f"{at}: verify, ca_file and sni need ssl: true")
        cookie = _as_word(errs, f"{at}.cookie", item.get("cookie"), _NAME_RE, "cookie value")
        if cookie and not has_cookie:
            warns.append(
                f"{at}.cookie: has no effect without cookie on the backend (cookie: {{name: ...}})"
            )
        server = {
            "name": name,
            "address": _as_host(errs, f"{at}.address", item.get("address")),
            "port": _as_int(errs, f"{at}.port", item.get("port"), 1, 65535),
            "check": _as_bool(errs, f"{at}.check", item.get("check")),
            "inter": _as_duration(errs, f"{at}.inter", item.get("inter"), minimum=1),
            "rise": _as_int(errs, f"{at}.rise", item.get("rise"), 1, 1000),
            "fall": _as_int(errs, f"{at}.fall", item.get("fall"), 1, 1000),
            "weight": _as_int(errs, f"{at}.weight", item.get("weight"), 0, 256),
            "maxconn": _as_int(errs, f"{at}.maxconn", item.get("maxconn"), 1, 10000000),
            "cookie": cookie,
            "backup": _as_bool(errs, f"{at}.backup", item.get("backup")),
            "ssl": ssl,
            "verify": verify,
            "ca_file": ca_file,
            "sni": _as_host(errs, f"{at}.sni", item.get("sni")),
            "check_ssl": _as_bool(errs, f"{at}.check_ssl", item.get("check_ssl")),
        }
        if not server["check"] and any(
            server[k] is not None for k in ("inter", "rise", "fall", "check_ssl")
        ):
            errs.append(f"{at}: inter, rise, fall and check_ssl need check: true")
        out.append(_clean(server))
    return out


def _stats(errs, warns, where, value, acls, allow_weak=False):
    data = _as_dict(errs, where, value)
    if not data:
        return None
    _unknown_keys(
        errs,
        where,
        data,
        ("enable", "uri", "realm", "refresh", "hide_version", "auth", "admin_cond"),
    )
    uri = _as_uri(errs, f"{where}.uri", data.get("uri"))
    realm = as_text(errs, f"{where}.realm", data.get("realm"), "realm", 200, numbers=True)
    if realm is not None and re.search(r"[\"\\]", realm):
        # The realm goes into the WWW-Authenticate header between double quotes.
        errs.append(f"{where}.realm: may not contain double quotes or backslashes")
        realm = None
    auth = []
    users = set()
    for at, item in _mappings(
        errs,
        f"{where}.auth",
        data.get("auth"),
        "user and password",
        ("user", "password"),
        lambda j, item: _label(f"{where}.auth", j, item, "user"),
    ):
        if item.get("user") is None:
            errs.append(f"{at}.user: required")
        user = _as_word(errs, f"{at}.user", item.get("user"), re.compile(r"^[^:]+$"), "user name")
        if user in users:
            errs.append(f"{at}.user: {user!r} is listed twice")
        if user is not None and len(user) > 64:
            errs.append(
                f"{at}.user: {len(user)} characters is too long for a user name (at most 64)"
            )
            user = None
        users.add(user)
        password = _as_secret(errs, f"{at}.password", item.get("password"))
        if password is not None:
            before = len(errs)
            check_secret(errs, warns, f"{at}.password", password, allow_weak)
            if len(errs) > before:
                password = None
        if user and password:
            auth.append({"user": user, "password": password})
    admin = _condition(errs, warns, f"{where}.admin_cond", data.get("admin_cond"), acls)
    enable = _as_bool(errs, f"{where}.enable", data.get("enable", True))
    if enable is False and any(data.get(k) is not None for k in data if k != "enable"):
        errs.append(
            f"{where}.enable: false, but any other stats setting turns the page on in "
            "HAProxy; remove them or remove the stats block"
        )
    if admin is not None and _scan(admin)[0] in (["TRUE"], ["if", "TRUE"]):
        warns.append(f"{where}.admin_cond: {_ADMIN_TRUE_WARNING}")
    if enable and not auth and data.get("auth") is None:
        warns.append(
            f"{where}.auth: not set, so the statistics page is open to anyone who reaches "
            "the port; add auth or restrict the port in the firewall"
        )
    return _clean(
        {
            "enable": enable,
            "uri": uri,
            "realm": realm,
            "refresh": _as_duration(errs, f"{where}.refresh", data.get("refresh")),
            "hide_version": _as_bool(errs, f"{where}.hide_version", data.get("hide_version")),
            "auth": auth,
            "admin_cond": admin,
        }
    )


def _proxies(errs, warns, section, data, ports_seen, allow_weak=False):
    var = VAR_NAMES[section]
    kind = section[:-1]
    out = []
    seen = set()
    for i, item in enumerate(_as_list(errs, var, data)):
        where = _label(var, i, item)
        name, readable = _entry(errs, where, item, _KEYS[section], seen, f"{kind} name")
        if not readable:
            continue
        proxy = {
            "name": name,
            "mode": _as_choice(errs, f"{where}.mode", item.get("mode"), _MODES),
        }
        if kind in ("frontend", "listen"):
            if item.get("binds") is None:
                errs.append(f"{where}.binds: required (at least one address and port)")
            binds = _binds(errs, f"{where}.binds", item.get("binds"), ports_seen)
            names = set()
            acls = _acls(errs, warns, f"{where}.acls", item.get("acls"), names)
            has_ssl = any(b.get("ssl") for b in binds)
            proxy.update(
                binds=binds,
                maxconn=_as_int(errs, f"{where}.maxconn", item.get("maxconn"), 1, 10000000),
                acls=acls,
                redirects=_redirects(
                    errs, warns, f"{where}.redirects", item.get("redirects"), names, has_ssl
                ),
                http_request=_http_request(
                    errs, warns, f"{where}.http_request", item.get("http_request"), names
                ),
                use_backends=_use_backends(
                    errs, warns, f"{where}.use_backends", item.get("use_backends"), names
                ),
                default_backend=_as_word(
                    errs,
                    f"{where}.default_backend",
                    item.get("default_backend"),
                    _NAME_RE,
                    "backend name",
                ),
            )
        if kind == "listen":
            proxy["stats"] = _stats(
                errs, warns, f"{where}.stats", item.get("stats"), names, allow_weak
            )
        if kind in ("backend", "listen"):
            cookie = _cookie(errs, f"{where}.cookie", item.get("cookie"))
            proxy.update(
                balance=_as_choice(errs, f"{where}.balance", item.get("balance"), _BALANCE),
                httpchk=_httpchk(errs, f"{where}.httpchk", item.get("httpchk")),
                http_check_expect=_expect(
                    errs, f"{where}.http_check_expect", item.get("http_check_expect")
                ),
                cookie=cookie,
                servers=_servers(
                    errs, warns, f"{where}.servers", item.get("servers"), bool(cookie)
                ),
                http_reuse=_as_choice(
                    errs, f"{where}.http_reuse", item.get("http_reuse"), _HTTP_REUSE
                ),
                retry_on=_retry_on(errs, f"{where}.retry_on", item.get("retry_on")),
            )
            if proxy["http_check_expect"] and not proxy["httpchk"]:
                errs.append(f"{where}.http_check_expect: needs httpchk")
        proxy["options"] = _options(errs, warns, f"{where}.options", item.get("options"))
        proxy["timeouts"] = _timeouts(errs, f"{where}.timeouts", item.get("timeouts"), kind)
        proxy["extra"] = _extra(errs, warns, f"{where}.extra", item.get("extra"), allow_weak)
        out.append(_clean(proxy))
    return out
