"""Issue 15 on the keepalived side: hostile input never reaches keepalived.conf.

Every value is checked against the grammar of its kind (no control character,
canonical addresses, a zone ID only as an interface name, commands within
keepalived's line), only KeepalivedConfigError leaves the model whatever the
type of the input, weak VRRP passwords are refused (or warned about in a
lab), and the pair agrees on the global_defs that must agree.
"""

from __future__ import annotations

import copy
import pathlib
import random

import pytest
import yaml

from ansible_collections.halb.cluster.plugins.module_utils import _keepalived as k
from ansible_collections.halb.cluster.plugins.module_utils._typed import (
    CONTROL_RE,
    INTERNAL_ERROR,
    ConfigError,
)
from ansible_collections.halb.cluster.plugins.module_utils._vrrp_cluster import cluster_errors

from .cases import FACTS, base, pair

FULL = yaml.safe_load((pathlib.Path(__file__).parent / "golden" / "full.yml").read_text())
MEMBERS = ["lb1", "lb2"]


def synced(data, **group):
    """Adds VI_2 (VI_1 on VRID 52 with its own VIP) and a sync group of both
    (keepalived refuses a sync group of one instance)."""
    data["instances"].append(
        dict(
            data["instances"][0],
            name="VI_2",
            virtual_router_id=52,
            virtual_ipaddresses=[{"address": "192.0.2.20", "prefix": 24}],
        )
    )
    data["sync_groups"] = [{"name": "G", "group": ["VI_1", "VI_2"], **group}]


def errors_of(data, **options):
    with pytest.raises(k.KeepalivedConfigError) as info:
        k.normalize(data, **options)
    return info.value.errors


def assert_refused(data, expected):
    errors = errors_of(data)
    assert any(message.startswith(expected) for message in errors), errors
    for message in errors:
        assert INTERNAL_ERROR not in message
        assert not CONTROL_RE.search(message), message
        assert len(message) <= 600, message


def edit(path, value):
    data = base()
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


I0 = ("instances", 0)
NL = "\nvrrp_script evil {\n    script /tmp/x\n}"

# ---------------------------------------------------------------------------
# Line injection: every string that reaches keepalived.conf
# ---------------------------------------------------------------------------

INJECTION = {
    "zone ID in a unicast peer": (
        lambda d: d["instances"][0].update(
            unicast_src_ip="192.0.2.11", unicast_peers=["fe80::1%" + NL]
        ),
        "keepalived_instances[VI_1].unicast_peers[0]: ",
    ),
    "zone ID in unicast_src_ip": (
        lambda d: d["instances"][0].update(
            unicast_src_ip="fe80::1%eth0\nx", unicast_peers=["fe80::2"]
        ),
        "keepalived_instances[VI_1].unicast_src_ip: ",
    ),
    "zone ID that is not an interface name": (
        lambda d: d["instances"][0].update(unicast_src_ip="fe80::1%a b", unicast_peers=["fe80::2"]),
        "keepalived_instances[VI_1].unicast_src_ip: 'fe80::1%a b' is not an IPv4 or IPv6 "
        "address; the zone ID after % must be an interface name",
    ),
    "zone ID in a VIP": (
        lambda d: d["instances"][0].update(virtual_ipaddresses=["fe80::1%eth0" + NL]),
        "keepalived_instances[VI_1].virtual_ipaddresses[0].address: ",
    ),
    "zone ID in a VIP with a prefix": (
        lambda d: d["instances"][0].update(virtual_ipaddresses=["fe80::1%x}/64"]),
        "keepalived_instances[VI_1].virtual_ipaddresses[0].address: ",
    ),
    "VIP dev": (
        lambda d: d["instances"][0].update(
            virtual_ipaddresses=[{"address": "192.0.2.10", "dev": "eth0" + NL}]
        ),
        "keepalived_instances[VI_1].virtual_ipaddresses[0].dev: ",
    ),
    "VIP label": (
        lambda d: d["instances"][0].update(
            virtual_ipaddresses=[{"address": "192.0.2.10", "label": "eth0:v\r"}]
        ),
        "keepalived_instances[VI_1].virtual_ipaddresses[0].label: ",
    ),
    "VIP scope": (
        lambda d: d["instances"][0].update(
            virtual_ipaddresses=[{"address": "192.0.2.10", "scope": "global\n"}]
        ),
        "keepalived_instances[VI_1].virtual_ipaddresses[0].scope: ",
    ),
    "interface": (
        lambda d: d["instances"][0].update(interface="eth0\u2028"),
        "keepalived_instances[VI_1].interface: ",
    ),
    "router_id": (
        lambda d: d["global_defs"].update(router_id="lb1" + NL),
        "keepalived_global_defs.router_id: ",
    ),
    "script_user": (
        lambda d: d["global_defs"].update(script_user="keepalived_script\x85"),
        "keepalived_global_defs.script_user: ",
    ),
    "script with a vertical tab": (
        lambda d: d["scripts"][0].update(script="/bin/true\x0bx"),
        "keepalived_scripts[chk_haproxy].script: line breaks and other control characters",
    ),
    "script with a backslash": (
        lambda d: d["scripts"][0].update(script='/bin/true \\" x'),
        "keepalived_scripts[chk_haproxy].script: a command may not contain double quotes",
    ),
    "script with an unbalanced single quote": (
        lambda d: d["scripts"][0].update(script="/bin/echo it's"),
        "keepalived_scripts[chk_haproxy].script: a command may not hold an unbalanced",
    ),
    "script user": (
        lambda d: d["scripts"][0].update(user="nobody\n"),
        "keepalived_scripts[chk_haproxy].user: ",
    ),
    "notify script": (
        lambda d: d["instances"][0].update(notify_master="/bin/true\nnotify_fault /tmp/x"),
        "keepalived_instances[VI_1].notify_master: ",
    ),
    "notify user": (
        lambda d: d["instances"][0].update(notify={"script": "/bin/true", "user": "a\nb"}),
        "keepalived_instances[VI_1].notify.user: ",
    ),
    "track file path": (
        lambda d: d.update(track_files=[{"name": "t", "file": "/run/x\x01"}]),
        "keepalived_track_files[t].file: ",
    ),
    "track file path with ..": (
        lambda d: d.update(track_files=[{"name": "t", "file": "/run/../etc/passwd"}]),
        "keepalived_track_files[t].file: '/run/../etc/passwd' has an empty, . or .. component",
    ),
    "password with a control character": (
        lambda d: d["instances"][0].update(
            authentication={"type": "PASS", "password": "ab\x01cdefg"}
        ),
        "keepalived_instances[VI_1].authentication.password: may hold only printable ASCII",
    ),
    "password with a non-ASCII character": (
        lambda d: d["instances"][0].update(authentication={"type": "PASS", "password": "sécret1"}),
        "keepalived_instances[VI_1].authentication.password: may hold only printable ASCII",
    ),
    "sync group name": (
        lambda d: synced(d, name="G\n1"),
        "keepalived_sync_groups[0].name: ",
    ),
    "tracked interface": (
        lambda d: d["instances"][0].update(track_interfaces=["eth1\n"]),
        "keepalived_instances[VI_1].track_interfaces[0].name: ",
    ),
    "extra line of an instance": (
        lambda d: d["instances"][0].update(extra=["use_vmac" + NL]),
        "keepalived_instances[VI_1].extra[0]: line breaks",
    ),
    "extra line that closes the block": (
        lambda d: d["instances"][0].update(extra=["use_vmac }"]),
        "keepalived_instances[VI_1].extra[0]: a block",
    ),
    "extra line of global_defs with a Unicode line separator": (
        lambda d: d["global_defs"].update(extra=["vrrp_version 2\u2028router_id x"]),
        "keepalived_global_defs.extra[0]: line breaks",
    ),
    "extra line of a script that comments the rest out": (
        lambda d: d["scripts"][0].update(extra=["init_fail # }"]),
        "keepalived_scripts[chk_haproxy].extra[0]: a block",
    ),
    "extra line with a quote left open": (
        lambda d: synced(d, extra=['x "y']),
        "keepalived_sync_groups[G].extra[0]: has an unbalanced double quote",
    ),
}


@pytest.mark.parametrize("case", sorted(INJECTION))
def test_injection_is_refused_naming_the_variable(case):
    change, expected = INJECTION[case]
    data = base()
    change(data)
    assert_refused(data, expected)


def test_a_zone_id_that_is_an_interface_name_is_kept_canonically():
    data = base()
    data["instances"][0].update(
        authentication=None, unicast_src_ip="FE80::1%eth0", unicast_peers=["fe80::0:2%eth0"]
    )
    data["instances"][0].pop("authentication")
    config = k.normalize(data)
    assert config["instances"][0]["unicast_src_ip"] == "fe80::1%eth0"
    assert config["instances"][0]["unicast_peers"] == ["fe80::2%eth0"]


# ---------------------------------------------------------------------------
# keepalived cuts lines at 1,023 bytes
# ---------------------------------------------------------------------------


def test_a_command_longer_than_keepalived_reads_is_refused():
    data = edit(("scripts", 0, "script"), "/bin/true " + "x" * 1100)
    assert_refused(data, "keepalived_scripts[chk_haproxy].script: 1110 bytes is too long")


def test_the_limit_counts_bytes_not_characters():
    data = edit(("scripts", 0, "script"), "/bin/echo " + "é" * 480)
    assert_refused(data, "keepalived_scripts[chk_haproxy].script: 970 bytes is too long")


def test_a_notify_hook_or_track_file_longer_than_the_line_is_refused():
    data = base()
    data["instances"][0]["notify"] = "/bin/" + "n" * 1000
    data["track_files"] = [{"name": "t", "file": "/run/" + "f" * 1000}]
    errors = errors_of(data)
    assert any(e.startswith("keepalived_instances[VI_1].notify: 1005 bytes") for e in errors)
    assert any(e.startswith("keepalived_track_files[t].file: 1005 bytes") for e in errors)


def test_the_longest_accepted_command_fits_every_line():
    data = base()
    command = "/bin/true " + "x" * 950
    data["scripts"][0]["script"] = command
    data["instances"][0]["notify_backup"] = {"script": command, "user": "a" * 32}
    text = k.render(data)
    assert command in text
    assert max(len(line.encode()) for line in text.split("\n")) <= 1023


def test_a_long_value_is_never_repeated_into_a_message():
    data = base()
    data["instances"][0]["interface"] = "e" * 100_000
    data["instances"][0]["virtual_router_id"] = "1" * 100_000 + "x"
    data["instances"][0]["priority"] = ["x" * 100_000]
    for message in errors_of(data):
        assert len(message) < 400, message[:200]


# ---------------------------------------------------------------------------
# Only KeepalivedConfigError leaves the model
# ---------------------------------------------------------------------------


def test_a_mapping_in_a_sync_group_is_refused_not_a_crash():
    data = base()
    data["sync_groups"] = [{"name": "g", "group": ["VI_1", {"x": 1}]}]
    assert_refused(data, "keepalived_sync_groups[g].group[1]: {'x': 1} is not an instance name")
    data = pair()
    data["sync_groups"] = [{"name": "g", "group": [{"x": 1}, ["VI_1"]]}]
    with pytest.raises(k.KeepalivedConfigError) as info:
        k.derive_host_config(data, "lb1", MEMBERS, FACTS)
    assert all(INTERNAL_ERROR not in e for e in info.value.errors)
    assert any("keepalived_sync_groups[g].group[0]" in e for e in info.value.errors)


@pytest.mark.parametrize("vips", [5, "192.0.2.10", {"address": "192.0.2.10"}, None, [None, 3]])
def test_vips_that_are_not_a_list_with_unicast_derivation(vips):
    data = pair()
    data["instances"][0]["virtual_ipaddresses"] = vips
    with pytest.raises(k.KeepalivedConfigError) as info:
        k.derive_host_config(data, "lb1", MEMBERS, FACTS, unicast=True)
    assert any(
        e.startswith("keepalived_instances[VI_1].virtual_ipaddresses") for e in info.value.errors
    ), info.value.errors
    assert all(INTERNAL_ERROR not in e for e in info.value.errors)


@pytest.mark.parametrize(
    "facts",
    [
        "x",
        {"lb1": 5},
        {"lb1": {"interfaces": 5, "eth0": []}},
        {"lb1": {"eth0": {"ipv4": "192.0.2.11", "ipv6": [{"address": 5}]}}},
        {"lb1": {"eth0": {"ipv4": {"address": "not an address"}}}},
        {"lb1": {"eth0": {"ipv4": [{"address": ["x"]}], "ipv4_secondaries": 3}}},
    ],
)
def test_facts_of_any_shape_give_a_message(facts):
    with pytest.raises(k.KeepalivedConfigError) as info:
        k.derive_host_config(pair(), "lb1", MEMBERS, facts, unicast=True)
    assert any("unicast_src_ip: lb1 has no IPv4 address" in e for e in info.value.errors)


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"data": ["x"]}, "keepalived configuration: expected a mapping, got list"),
        ({"members": "lb1"}, "keepalived_cluster_group: the members of the pair must be a list"),
        ({"members": [1, 2]}, "keepalived_cluster_group: the members of the pair must be a list"),
        ({"host": {"x": 1}}, "keepalived_cluster_group: host {'x': 1} is not a member"),
        ({"track": {"scripts": 5, "track_files": [{"name": {}}]}}, None),
        ({"profile": ["fast"]}, "keepalived_profile: "),
        ({"priority_base": {"x": 1}}, "keepalived_priority_base: "),
        ({"allow_weak_secrets": "maybe"}, "keepalived_allow_weak_secrets: 'maybe'"),
        ({"notify": {"script": {}}}, "keepalived_instances[VI_1].notify: {} is not"),
    ],
)
def test_derive_host_config_parameters_of_any_type(arguments, expected):
    call = {"data": pair(), "host": "lb1", "members": MEMBERS, "facts": FACTS, **arguments}
    try:
        k.derive_host_config(
            call.pop("data"), call.pop("host"), call.pop("members"), call.pop("facts"), **call
        )
    except k.KeepalivedConfigError as exc:
        assert expected is not None, exc.errors
        assert any(e.startswith(expected) for e in exc.errors), exc.errors
        assert all(INTERNAL_ERROR not in e for e in exc.errors)
    else:
        assert expected is None


def test_a_section_that_is_not_a_list_is_reported_even_when_tracking_adds_to_it():
    data = pair()
    data["scripts"] = {"name": "mine"}
    track = {"scripts": [{"name": "chk_haproxy2", "script": "/bin/true", "weight": 0}]}
    with pytest.raises(k.KeepalivedConfigError) as info:
        k.derive_host_config(data, "lb1", MEMBERS, FACTS, track=track)
    assert "keepalived_scripts: expected a list, got dict" in info.value.errors


_INJECTIONS = ["\n", "\r", "\x00", "\x0b", "\u2028", "\x85", '"', "'", "\\", "{", "}", "#"]
_INJECTIONS += ["!", " ", "%", "%\nvrrp_script x {", "é", "\xa0", "/../", "$(id)"]


def _random_value(rnd, depth=0):
    roll = rnd.random() if depth < 2 else rnd.random() * 0.6
    if roll < 0.08:
        return None
    if roll < 0.16:
        return rnd.choice([True, False])
    if roll < 0.26:
        return rnd.choice([0, -1, 1, 2**70, 255, 256, 3])
    if roll < 0.32:
        return rnd.choice([0.5, float("nan"), float("inf"), 1e300])
    if roll < 0.6:
        text = rnd.choice(["", "eth0", "fe80::1", "192.0.2.1", "/bin/true", "VI_1", "x" * 2000])
        cut = rnd.randrange(len(text) + 1)
        injection = rnd.choice(_INJECTIONS)
        return rnd.choice([text, text[:cut] + injection + text[cut:], "fe80::1%" + injection])
    if roll < 0.8:
        return [_random_value(rnd, depth + 1) for _item in range(rnd.randrange(3))]
    keys = ["name", "x", "address", "script", "user", "weight", 1]
    return {rnd.choice(keys): _random_value(rnd, depth + 1) for _item in range(rnd.randrange(3))}


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            yield from _paths(value, (*prefix, index))


def _replaced(obj, path, value):
    if not path:
        return value
    obj = copy.deepcopy(obj)
    target = obj
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return obj


def _only_our_error(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except ConfigError as exc:
        for message in exc.errors:
            assert INTERNAL_ERROR not in message, message
            assert not CONTROL_RE.search(message), message
            assert len(message) <= 600, message[:200]
    return None


@pytest.mark.parametrize("seed", range(2))
def test_random_values_in_every_key_give_our_error_or_a_safe_file(seed):
    rnd = random.Random(seed)
    paths = list(_paths(FULL))
    role_view = copy.deepcopy(FULL)
    for inst in role_view["instances"]:
        inst.pop("priority")
        inst.pop("state")
    facts = {
        host: {
            "interfaces": ["eth0", "eth1"],
            "eth0": {"ipv4": {"address": f"192.0.2.1{n}"}},
            "eth1": {"ipv4": {"address": f"198.51.100.1{n}"}},
        }
        for n, host in enumerate(MEMBERS, 1)
    }
    for _case in range(200):
        path = rnd.choice(paths)
        value = _random_value(rnd)
        text = _only_our_error(k.render, _replaced(FULL, path, value))
        if text is not None:
            assert not CONTROL_RE.search(text.replace("\n", ""))
            assert max(len(line.encode()) for line in text.split("\n")) <= 1023
        own = (
            path
            and path[0] in role_view
            and not (len(path) > 2 and path[2] in ("priority", "state"))
        )
        data = _replaced(role_view, path, value) if own else role_view
        options = {"unicast": rnd.choice([True, False, "false"])}
        option = rnd.choice(["priority_step", "state", "notify", "track", "profile", None])
        if option:
            options[option] = _random_value(rnd)
        members = {}
        for host in MEMBERS:
            config = _only_our_error(k.derive_host_config, data, host, MEMBERS, facts, **options)
            members[host] = {"config": config, "facts": facts[host]}
        _only_our_error(cluster_errors, members)


def test_the_backstop_turns_a_crash_into_our_error(monkeypatch):
    def broken(*_args):
        raise TypeError("boom")

    monkeypatch.setattr(k, "_cross_checks", broken)
    with pytest.raises(k.KeepalivedConfigError) as info:
        k.normalize(base())
    assert info.value.errors == [
        f"keepalived configuration: {INTERNAL_ERROR}: TypeError); check its types"
    ]


# ---------------------------------------------------------------------------
# Wrong acceptance
# ---------------------------------------------------------------------------


def test_the_string_false_for_unicast_keeps_multicast():
    data = pair()
    data["instances"][0]["unicast"] = "false"
    config = k.derive_host_config(data, "lb1", MEMBERS, FACTS)
    assert "unicast_peers" not in config["instances"][0]
    data["instances"][0]["unicast"] = "yes"
    config = k.derive_host_config(data, "lb1", MEMBERS, FACTS)
    assert config["instances"][0]["unicast_peers"] == ["192.0.2.12"]


def test_a_unicast_flag_that_is_not_a_boolean_is_refused():
    data = pair()
    data["instances"][0]["unicast"] = "sometimes"
    with pytest.raises(k.KeepalivedConfigError) as info:
        k.derive_host_config(data, "lb1", MEMBERS, FACTS)
    assert any(
        e.startswith("keepalived_instances[VI_1].unicast: 'sometimes' is not a boolean")
        for e in info.value.errors
    )


def test_the_string_false_for_nopreempt_does_not_make_a_backup():
    data = pair()
    data["instances"][0]["nopreempt"] = "false"
    config = k.derive_host_config(data, "lb1", MEMBERS, FACTS)
    assert config["instances"][0]["state"] == "MASTER"


@pytest.mark.parametrize("key", ["notify", "notify_master", "notify_stop"])
def test_an_empty_notify_mapping_is_refused(key):
    assert_refused(edit((*I0, key), {}), f"keepalived_instances[VI_1].{key}.script: required")


def test_an_empty_notify_mapping_is_not_replaced_by_the_default_hook():
    data = pair()
    data["instances"][0]["notify"] = {}
    with pytest.raises(k.KeepalivedConfigError) as info:
        k.derive_host_config(data, "lb1", MEMBERS, FACTS, notify="/usr/local/bin/mail-it")
    assert any("keepalived_instances[VI_1].notify.script: required" in e for e in info.value.errors)


def test_an_empty_authentication_mapping_is_refused():
    assert_refused(
        edit((*I0, "authentication"), {}),
        "keepalived_instances[VI_1].authentication: is an empty mapping",
    )


def test_a_null_unicast_peer_is_refused():
    data = base()
    data["instances"][0].update(unicast_src_ip="192.0.2.11", unicast_peers=[None, "192.0.2.12"])
    assert_refused(data, "keepalived_instances[VI_1].unicast_peers[0]: required (null")


# ---------------------------------------------------------------------------
# Weak VRRP passwords
# ---------------------------------------------------------------------------

WEAK = {
    "11111111": "one character repeated",
    "12345678": "is on the list of common passwords",
    "abcdefgh": "is on the list of common passwords",
    "87654321": "is a run of consecutive characters",
    "Password": "is on the list of common passwords",
    "CHANGEme": "is on the list of common passwords",
    "Xy7-k2p": "is shorter than 8 characters",
}


@pytest.mark.parametrize("password", sorted(WEAK))
def test_a_weak_password_is_refused_with_the_real_protection(password):
    errors = errors_of(edit((*I0, "authentication", "password"), password))
    where = "keepalived_instances[VI_1].authentication.password: the password "
    message = next(e for e in errors if e.startswith(where))
    assert WEAK[password] in message
    assert "AH (type: AH) or unicast peers" in message
    assert "keepalived_allow_weak_secrets" in message
    assert password not in message


def test_a_weak_password_is_a_warning_in_a_lab():
    data = edit((*I0, "authentication", "password"), "11111111")
    warnings = []
    config = k.normalize(data, allow_weak_secrets=True, warnings=warnings)
    assert config["instances"][0]["authentication"]["password"] == "11111111"
    assert len(warnings) == 1
    assert warnings[0].startswith(
        "keepalived_instances[VI_1].authentication.password: the password is one character "
        "repeated; accepted because keepalived_allow_weak_secrets is true"
    )
    assert "11111111" not in warnings[0]
    assert k.warnings(data, allow_weak_secrets="yes") == warnings
    assert "auth_pass 11111111" in k.render(data, allow_weak_secrets=True)


@pytest.mark.parametrize("password", ["Tst-8chr", "Uni-8chr", "Fw-8char", "secret01", "s3cr3tXY"])
def test_the_passwords_of_the_scenarios_pass(password):
    warnings = []
    k.normalize(edit((*I0, "authentication", "password"), password), warnings=warnings)
    assert warnings == []


def test_derive_host_config_passes_the_switch_and_the_warnings():
    data = pair()
    data["instances"][0]["authentication"]["password"] = "aaaaaaaa"
    with pytest.raises(k.KeepalivedConfigError):
        k.derive_host_config(data, "lb1", MEMBERS, FACTS)
    warnings = []
    k.derive_host_config(data, "lb1", MEMBERS, FACTS, allow_weak_secrets=True, warnings=warnings)
    assert [w.split(":")[0] for w in warnings] == [
        "keepalived_instances[VI_1].authentication.password"
    ]


# ---------------------------------------------------------------------------
# Scripts run as root
# ---------------------------------------------------------------------------


def test_scripts_run_as_root_are_warned_about():
    data = base()
    data["global_defs"]["script_user"] = "root"
    data["scripts"][0]["user"] = "root"
    data["instances"][0]["notify_master"] = {"script": "/bin/true", "user": "root"}
    found = k.warnings(data)
    assert [w.split(": ")[0] for w in found] == [
        "keepalived_global_defs.script_user",
        "keepalived_scripts[chk_haproxy].user",
        "keepalived_instances[VI_1].notify_master.user",
    ]
    assert all("unprivileged user" in w for w in found)
    assert k.warnings(base()) == []


# ---------------------------------------------------------------------------
# The pair: global_defs that must agree, router_id that must differ
# ---------------------------------------------------------------------------


def build(per_host=None):
    members = {}
    for n, host in enumerate(MEMBERS, 1):
        data = pair()
        data["global_defs"]["router_id"] = f"r{n}"
        if per_host and host in per_host:
            per_host[host](data)
        config = k.derive_host_config(data, host, MEMBERS, FACTS)
        members[host] = {"config": config, "facts": FACTS[host]}
    return members


def test_a_consistent_pair_with_router_ids_has_no_errors():
    assert cluster_errors(build()) == []


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        (
            "vrrp_strict",
            True,
            "keepalived_global_defs.vrrp_strict: differs between the members of the pair "
            "(lb1: false; lb2: true)",
        ),
        (
            "enable_script_security",
            False,
            "keepalived_global_defs.enable_script_security: differs between the members of the "
            "pair (lb1: true; lb2: false)",
        ),
    ],
)
def test_global_defs_that_must_agree(key, value, expected):
    def no_auth(data):
        data["instances"][0].pop("authentication")  # vrrp_strict forbids it

    def change(data):
        no_auth(data)
        data["global_defs"][key] = value

    errors = cluster_errors(build({"lb1": no_auth, "lb2": change}))
    assert any(e.startswith(expected) for e in errors), errors


def test_two_members_with_one_router_id():
    errors = cluster_errors(build({"lb2": lambda d: d["global_defs"].update(router_id="r1")}))
    assert any(
        e.startswith("keepalived_global_defs.router_id: lb1, lb2 all have router_id 'r1'")
        for e in errors
    ), errors


@pytest.mark.parametrize(
    "members",
    [
        None,
        [],
        "lb1",
        {"lb1": None, "lb2": 5},
        {"lb1": {"config": None}, "lb2": {"config": None, "facts": "x"}},
    ],
)
def test_cluster_errors_of_any_shape_never_crash(members):
    result = cluster_errors(members)
    assert isinstance(result, list)


def test_cluster_checks_with_facts_of_any_shape():
    members = build()
    members["lb1"]["facts"] = {"interfaces": 5, "eth0": {"ipv4": [{"address": "x"}]}}
    members["lb2"]["facts"] = {"interfaces": ["eth0", ["x"]], "eth0": "y"}
    errors = cluster_errors(members)
    assert any("interface 'eth0' does not exist on this host" in e for e in errors)
