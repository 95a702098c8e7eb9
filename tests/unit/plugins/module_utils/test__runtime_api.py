"""_runtime_api: HAProxy's runtime API answers (recorded from Debian 12's
HAProxy 2.6 in the haproxy scenario) and the decisions made on them."""

from __future__ import annotations

import pathlib

import pytest

from ansible_collections.halb.cluster.plugins.module_utils import _runtime_api as api

HERE = pathlib.Path(__file__).parent / "runtime_api"
INFO = (HERE / "show_info.txt").read_text()
STAT = (HERE / "show_stat.txt").read_text()
STATE = (HERE / "show_servers_state.txt").read_text()


def test_info_is_a_dict_with_numbers():
    info = api.parse_info(INFO)
    assert info["Name"] == "HAProxy"
    assert info["Version"].startswith("2.6.")
    assert isinstance(info["Uptime_sec"], int)
    assert info["Uptime"] == "0d 0h01m06s"


def test_stat_rows_are_keyed_by_the_header():
    rows = api.parse_stat(STAT)
    names = {(r["pxname"], r["svname"]) for r in rows}
    assert (
        ("be_web", "web1") in names
        and ("fe_web", "FRONTEND") in names
        and ("be_web", "BACKEND") in names
    )
    web1 = api.stat_row(rows, "be_web", "web1")
    assert web1["status"] == "UP" and web1["scur"] == 0 and web1["check_status"] == "L7OK"
    assert "-" not in web1 and "" not in web1
    assert web1["qmax"] == 0 and api.stat_row(rows, "fe_web", "FRONTEND")["qcur"] is None


def test_servers_state_has_admin_and_operational_states():
    rows = api.parse_servers_state(STATE)
    assert [(r["be_name"], r["srv_name"]) for r in rows][:2] == [
        ("be_web", "web1"),
        ("be_web", "web2"),
    ]
    assert all(r["admin_state"] == "ready" and r["admin_flags"] == [] for r in rows)
    assert rows[0]["op_state"] == "running" and rows[-1]["op_state"] == "stopped"
    assert rows[0]["srv_uweight"] == 1 and rows[0]["srv_port"] == 8000


@pytest.mark.parametrize(
    ("bits", "state", "flags"),
    [
        (0x00, "ready", []),
        (0x01, "maint", ["forced_maint"]),
        (0x04, "maint", ["config_disabled"]),
        (0x08, "drain", ["forced_drain"]),
        (0x09, "maint", ["forced_maint", "forced_drain"]),
        (0x10, "drain", ["inherited_drain"]),
        (0x20, "maint", ["resolution_maint"]),
    ],
)
def test_admin_state_bits(bits, state, flags):
    assert api.admin_state(bits) == state
    assert api.admin_flags(bits) == flags


@pytest.mark.parametrize("answer", ["Unknown command: 'show foo'\n", "Permission denied\n"])
def test_refusals_are_errors(answer):
    with pytest.raises(api.RuntimeApiError, match="HAProxy refused"):
        api.parse_stat(answer)


def test_garbage_is_not_taken_for_an_answer():
    with pytest.raises(api.RuntimeApiError, match="no Version"):
        api.parse_info("hello\n")
    with pytest.raises(api.RuntimeApiError, match="header"):
        api.parse_stat("a,b\n1,2\n")
    with pytest.raises(api.RuntimeApiError, match="header"):
        api.parse_servers_state("1\n")


def test_summary_by_backend_and_server():
    backends = api.summarize(api.parse_stat(STAT), api.parse_servers_state(STATE))
    assert set(backends) == {"be_web", "be_tls", "be_rogue", "stats"}
    assert backends["be_web"]["servers"]["web2"] == {
        "status": "UP",
        "weight": 1,
        "sessions": 0,
        "check_status": "L7OK",
        "admin_state": "ready",
        "address": "172.30.74.22",
        "port": 8000,
    }
    assert backends["be_rogue"]["servers"]["rogue1"]["status"] == "DOWN"


def test_servers_up_and_sessions():
    rows = api.parse_stat(STAT)
    assert api.servers_up(rows) == ["be_web/web1", "be_web/web2", "be_tls/web1", "be_tls/web2"]
    assert api.frontend_sessions(rows) == 0
    rows[0]["scur"] = 3
    assert api.frontend_sessions(rows) == 3


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/run/haproxy/admin.sock", ("unix", "/run/haproxy/admin.sock")),
        ("unix@/run/h.sock", ("unix", "/run/h.sock")),
        ("tcp://127.0.0.1:9999", ("tcp", "127.0.0.1", 9999)),
        ("ipv4@10.0.0.1:9999", ("tcp", "10.0.0.1", 9999)),
        ("tcp://[::1]:9999", ("tcp", "::1", 9999)),
        ("lb1.example.com:9999", ("tcp", "lb1.example.com", 9999)),
    ],
)
def test_socket_addresses(value, expected):
    assert api.parse_socket(value) == expected
    assert api.parse_socket(api.describe_socket(expected)) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "socket must be"),
        ("run/haproxy.sock", "neither an absolute socket path"),
        ("tcp://127.0.0.1", "neither an absolute socket path"),
        ("tcp://127.0.0.1:0", "port must be 1-65535"),
        ("tcp://127.0.0.1:70000", "port must be 1-65535"),
    ],
)
def test_bad_socket_addresses_name_the_option(value, message):
    with pytest.raises(api.RuntimeApiError, match=message):
        api.parse_socket(value)


def test_request_names():
    assert api.check_request(["web1", "be_tls/web2"], None, "drain", None) == [
        (None, "web1"),
        ("be_tls", "web2"),
    ]
    assert api.check_request(["web1"], "be_web", None, 0) == [("be_web", "web1")]


@pytest.mark.parametrize(
    ("names", "backend", "state", "weight", "message"),
    [
        (["web1"], None, None, None, "give state"),
        (["web1"], None, "drained", None, r"state='drained' is not one of: ready, drain, maint"),
        (["web1"], None, None, 257, "weight=257 must be an integer from 0 to 256"),
        (["web1"], None, None, -1, "weight=-1"),
        (["web1"], None, None, True, "weight=True"),
        ([], None, "drain", None, "at least one server"),
        (["web1;shutdown"], None, "drain", None, "not a valid HAProxy server name"),
        (["be web/web1"], None, "drain", None, "not a valid HAProxy backend name"),
        (["be_tls/web1"], "be_web", "drain", None, "names backend 'be_tls', but backend='be_web'"),
        (["web1"], "be web", "drain", None, "backend='be web' is not a valid"),
    ],
)
def test_bad_requests_name_the_option(names, backend, state, weight, message):
    with pytest.raises(api.RuntimeApiError, match=message):
        api.check_request(names, backend, state, weight)


def test_bare_names_mean_every_backend_that_has_the_server():
    rows = api.parse_servers_state(STATE)
    assert api.resolve([(None, "web1")], rows) == [("be_web", "web1"), ("be_tls", "web1")]
    assert api.resolve([("be_tls", "web1"), (None, "web1")], rows) == [
        ("be_tls", "web1"),
        ("be_web", "web1"),
    ]


@pytest.mark.parametrize(
    ("parsed", "message"),
    [
        ([("be_nope", "web1")], r"backend 'be_nope' does not exist .*be_rogue, be_tls, be_web"),
        (
            [("be_web", "web9")],
            r"server 'web9' does not exist in backend 'be_web' \(its servers: web1, web2\)",
        ),
        ([(None, "web9")], r"server 'web9' is in no backend .*rogue1, web1, web2"),
    ],
)
def test_unknown_backends_and_servers_list_what_exists(parsed, message):
    with pytest.raises(api.RuntimeApiError, match=message):
        api.resolve(parsed, api.parse_servers_state(STATE))


def test_plan_is_idempotent_by_admin_state_and_weight():
    rows = api.parse_servers_state(STATE)
    targets = [("be_web", "web1"), ("be_web", "web2")]
    assert all(not c["commands"] for c in api.plan(targets, rows, "ready", 1))
    changes = api.plan(targets, rows, "drain", 1)
    assert [c["commands"] for c in changes] == [
        ["set server be_web/web1 state drain"],
        ["set server be_web/web2 state drain"],
    ]
    rows[0]["admin_state"] = "drain"
    changes = api.plan(targets, rows, "drain", 5)
    assert changes[0]["commands"] == ["set server be_web/web1 weight 5"]
    assert changes[0]["before"] == {"state": "drain", "weight": 1}
    assert changes[0]["after"] == {"state": "drain", "weight": 5}
    diff = api.diff_lines(changes)
    assert diff["before"].splitlines()[0] == "be_web/web1: state=drain weight=1"
    assert diff["after"].splitlines()[1] == "be_web/web2: state=drain weight=5"


def test_set_answers():
    api.check_set_answer("set server be_web/web1 state drain", "\n")
    with pytest.raises(
        api.RuntimeApiError,
        match=r"refused 'set server be_nope/web1 state drain': No such backend.",
    ):
        api.check_set_answer("set server be_nope/web1 state drain", "No such backend.\n\n")


@pytest.mark.parametrize(
    ("goal", "row", "verdict"),
    [
        ("sessions", {"scur": 0, "status": "DRAIN"}, "done"),
        ("sessions", {"scur": 2, "status": "DRAIN"}, "wait"),
        ("sessions", {"scur": None, "status": "MAINT"}, "done"),
        ("up", {"status": "UP"}, "done"),
        ("up", {"status": "no check"}, "done"),
        # Right after `state ready` HAProxy says "UP 1/2" until the first check.
        ("up", {"status": "UP 1/2", "chkfail": 0}, "wait"),
        ("up", {"status": "DOWN 1/2", "chkfail": 0}, "wait"),
        ("up", {"status": "DOWN", "chkfail": 0, "check_status": "L6RSP"}, "wait"),
        ("up", {"status": "DOWN", "chkfail": 1, "check_status": "L6RSP"}, "fail"),
        ("up", {"status": "DOWN", "chkfail": 1, "check_status": "* L4CON"}, "fail"),
        ("up", {"status": "MAINT"}, "fail"),
    ],
)
def test_wait_verdicts(goal, row, verdict):
    assert api.wait_verdict(goal, row, {"chkfail": 0})[0] == verdict


def test_a_failed_check_names_the_check_result():
    verdict, reason = api.wait_verdict(
        "up", {"status": "DOWN", "chkfail": 3, "check_status": "L4CON"}, {"chkfail": 2}
    )
    assert verdict == "fail" and "L4CON" in reason
