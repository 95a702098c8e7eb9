"""halb.cluster.haproxy_server and haproxy_info against the real HAProxy of
the scenario, through its runtime API (/run/haproxy/admin.sock), with real
sessions: a client reading a large file slowly through HAProxy keeps a
session open on web1, and a drain with wait=true must wait for it."""

from __future__ import annotations

import socket
import threading
import time

import halb_common
import halb_lb
import pytest

BIG = "/srv/halb-web/big.bin"


def run(module_name, check=False, **args):
    return halb_common.module(halb_lb.LB, f"halb.cluster.{module_name}", args, check=check)


def states(lb):
    """(backend, server, srv_admin_state, srv_uweight) of every server."""
    rows = [line.split() for line in lb.api("show servers state").splitlines()]
    return [(f[1], f[3], int(f[6]), int(f[7])) for f in rows if len(f) > 7 and f[0].isdigit()]


def admin_state(lb, backend, server):
    for be, sv, bits, _weight in states(lb):
        if (be, sv) == (backend, server):
            return bits
    raise AssertionError(f"{backend}/{server} not in show servers state")


@pytest.fixture
def slow_session(lb):
    """An open session on be_web/web1: web2 in MAINT, then a GET of a 64 MB
    file through HAProxy that the client does not read. Closed at the end."""
    lb.sh(lb.WEBS[0], f"test -s {BIG} || head -c 67108864 /dev/zero > {BIG}")
    lb.api("set server be_web/web2 state maint")
    sock = socket.create_connection((lb.LB_ADDRESS, 80), timeout=10)
    sock.sendall(b"GET /big.bin HTTP/1.1\r\nHost: app.example.test\r\n\r\n")
    assert b"200 OK" in sock.recv(4096)
    lb.wait_for(lambda: int(lb.stat("be_web", "web1")["scur"] or 0) >= 1, what="a session on web1")
    yield sock
    sock.close()
    lb.api("set server be_web/web2 state ready")


def test_info_reads_the_real_haproxy(lb):
    result = run("haproxy_info")
    assert result.get("failed") is not True, result
    assert result["info"]["Version"].startswith("2.6")
    web1 = result["backends"]["be_web"]["servers"]["web1"]
    assert web1["status"] == "UP" and web1["admin_state"] == "ready" and web1["port"] == 8000
    assert {"be_web/web1", "be_web/web2", "be_tls/web1", "be_tls/web2"} <= set(result["servers_up"])
    assert "be_rogue/rogue1" not in result["servers_up"]


def test_drain_waits_for_the_open_session_then_is_idempotent(lb, slow_session):
    outcome = {}
    worker = threading.Thread(
        target=lambda: outcome.update(
            run("haproxy_server", name=["be_web/web1"], state="drain", wait=True, wait_timeout=120)
        )
    )
    worker.start()
    # The drain is applied at once, and the module keeps waiting while the session is open.
    lb.wait_for(lambda: admin_state(lb, "be_web", "web1") & 0x08, what="web1 in DRAIN")
    time.sleep(3)
    assert worker.is_alive(), f"the module returned with a session still open: {outcome}"
    assert lb.stat("be_web", "web1")["status"] == "DRAIN"
    slow_session.close()
    worker.join(timeout=120)
    assert outcome.get("changed") is True and outcome["waited"] >= 3, outcome
    assert (
        outcome["servers"][0]["after"]["state"] == "drain"
        and outcome["servers"][0]["sessions"] == 0
    )
    again = run("haproxy_server", name=["be_web/web1"], state="drain", wait=True)
    assert again["changed"] is False and again["commands"] == [], again


def test_a_drain_wait_that_times_out_says_what_is_left(lb, slow_session):
    result = run("haproxy_server", name=["be_web/web1"], state="drain", wait=True, wait_timeout=2)
    assert result.get("failed") is True
    assert (
        "wait_timeout=2 s reached before every server was no session left: still be_web/web1 (1 session(s) left)"
        in result["msg"]
    )
    assert result["changed"] is True  # the drain itself was applied


def test_check_mode_and_diff_change_nothing(lb):
    result = run("haproxy_server", check=True, name=["web2"], state="maint", weight=7)
    assert result["changed"] is True
    assert result["commands"] == [
        "set server be_web/web2 state maint",
        "set server be_web/web2 weight 7",
        "set server be_tls/web2 state maint",
        "set server be_tls/web2 weight 7",
    ]
    assert admin_state(lb, "be_web", "web2") == 0 and lb.stat("be_web", "web2")["weight"] == "1"


def test_maint_then_ready_waits_until_up(lb):
    maint = run("haproxy_server", name=["be_web/web2"], state="maint", shutdown_sessions=True)
    assert maint["changed"] is True and lb.stat("be_web", "web2")["status"] == "MAINT"
    ready = run("haproxy_server", name=["be_web/web2"], state="ready", wait=True, wait_timeout=60)
    assert ready["changed"] is True and ready["servers"][0]["status"] == "UP", ready


def test_weight(lb):
    try:
        result = run("haproxy_server", name=["be_web/web1"], weight=25)
        assert result["changed"] is True and lb.stat("be_web", "web1")["weight"] == "25"
        assert run("haproxy_server", name=["be_web/web1"], weight=25)["changed"] is False
    finally:
        lb.api("set server be_web/web1 weight 1")


def test_ready_on_a_server_whose_check_fails_fails_at_once(lb):
    # rogue1's certificate is not signed by the test CA: its check always fails.
    run("haproxy_server", name=["be_rogue/rogue1"], state="maint")
    result = run(
        "haproxy_server", name=["be_rogue/rogue1"], state="ready", wait=True, wait_timeout=120
    )
    assert result.get("failed") is True
    assert (
        "be_rogue/rogue1: status DOWN: its health check failed (L6RSP) after it was set ready"
        in result["msg"]
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            {"name": ["web9"], "state": "drain"},
            "server 'web9' is in no backend of this HAProxy (servers: rogue1, web1, web2)",
        ),
        (
            {"name": ["be_nope/web1"], "state": "drain"},
            "backend 'be_nope' does not exist in this HAProxy (backends with servers: be_rogue, be_tls, be_web)",
        ),
        (
            {"name": ["be_web/web9"], "state": "maint"},
            "server 'web9' does not exist in backend 'be_web' (its servers: web1, web2)",
        ),
        (
            {"name": ["web1"], "state": "drained"},
            "value of state must be one of: ready, drain, maint, got: drained",
        ),
        (
            {"name": ["web1"], "state": "drain", "socket": "/run/haproxy/nothing.sock"},
            "cannot connect to HAProxy's runtime API at /run/haproxy/nothing.sock: no such socket",
        ),
        ({"name": ["web1"], "state": "drain", "socket": "tcp://127.0.0.1:9"}, "connection refused"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(lb, args, message):
    before = states(lb)
    result = run("haproxy_server", **args)
    assert result.get("failed") is True and message in result["msg"], result
    assert states(lb) == before
