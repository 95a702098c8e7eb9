"""haproxy_server and haproxy_info, run as Ansible runs them, against a
stand-in for HAProxy's runtime API on a unix socket (and on TCP) that answers
with texts recorded from Debian 12's HAProxy 2.6 and keeps the state that
``set server`` changes. The real HAProxy is driven in the haproxy and default
Molecule scenarios."""

from __future__ import annotations

import csv
import io
import os
import pathlib
import socket
import socketserver
import tempfile
import threading

import pytest

from .runner import run_module

RECORDED = pathlib.Path(__file__).parents[1] / "module_utils" / "runtime_api"
MAINT = 0x01
DRAIN = 0x08


class FakeRuntimeApi:
    """Answers show info / show stat / show servers state / set server /
    shutdown sessions like HAProxy 2.6 does. ``sessions`` and ``status`` per
    server can be changed by the test (or by ``on_stat``, called on each
    ``show stat``)."""

    def __init__(self, path=None, tcp=False):
        self.info = (RECORDED / "show_info.txt").read_text()
        state = (RECORDED / "show_servers_state.txt").read_text().splitlines()
        self.state_header = state[1]
        self.state_rows = [line.split() for line in state[2:] if line.strip()]
        stat = (RECORDED / "show_stat.txt").read_text().splitlines()
        self.stat_header = stat[0]
        self.stat_rows = list(csv.reader(io.StringIO("\n".join(stat[1:]))))
        self.columns = self.stat_header[2:].split(",")
        self.commands = []
        self.on_stat = None
        self.lock = threading.Lock()
        fake = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                line = self.rfile.readline().decode().strip()
                self.wfile.write(fake.answer(line).encode())

        if tcp:
            self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
            self.address = f"tcp://127.0.0.1:{self.server.server_address[1]}"
        else:
            self.server = socketserver.ThreadingUnixStreamServer(path, Handler)
            self.address = path
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}
        )
        self.thread.start()

    def _stat(self, backend, server):
        for row in self.stat_rows:
            if row[0] == backend and row[1] == server:
                return row
        raise KeyError((backend, server))

    def set_stat(self, backend, server, **values):
        row = self._stat(backend, server)
        for key, value in values.items():
            row[self.columns.index(key)] = str(value)

    def _state(self, backend, server):
        for row in self.state_rows:
            if row[1] == backend and row[3] == server:
                return row
        return None

    def answer(self, line):
        with self.lock:
            self.commands.append(line)
            if line == "show info":
                return self.info
            if line == "show servers state":
                body = "\n".join(" ".join(r) for r in self.state_rows)
                return f"1\n{self.state_header}\n{body}\n\n"
            if line == "show stat":
                if self.on_stat:
                    self.on_stat(self)
                out = io.StringIO()
                csv.writer(out, lineterminator="\n").writerows(self.stat_rows)
                return f"{self.stat_header}\n{out.getvalue()}\n"
            words = line.split()
            if line.startswith("set server ") and len(words) == 5:
                backend, _sep, server = words[2].partition("/")
                if backend not in {r[1] for r in self.state_rows}:
                    return "No such backend.\n\n"
                row = self._state(backend, server)
                if row is None:
                    return "No such server.\n\n"
                if words[3] == "state":
                    bits = int(row[6]) & ~(MAINT | DRAIN)
                    bits |= {"maint": MAINT, "drain": DRAIN, "ready": 0}[words[4]]
                    row[6] = str(bits)
                    status = {"maint": "MAINT", "drain": "DRAIN", "ready": "UP 1/2"}[words[4]]
                    self.set_stat(backend, server, status=status)
                    return "\n"
                if words[3] == "weight":
                    row[7] = words[4]
                    self.set_stat(backend, server, weight=words[4])
                    return "\n"
            if line.startswith("shutdown sessions server "):
                backend, _sep, server = words[3].partition("/")
                self.set_stat(backend, server, scur=0)
                return "\n"
            return "Unknown command: '" + line + "'\n"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def api():
    # A short path: unix socket paths are limited to 108 bytes.
    directory = tempfile.mkdtemp(prefix="halb-api-")
    fake = FakeRuntimeApi(os.path.join(directory, "admin.sock"))
    yield fake
    fake.stop()
    os.unlink(os.path.join(directory, "admin.sock"))
    os.rmdir(directory)


def server(tmp_path, fake, check_mode=False, **args):
    return run_module(
        "haproxy_server", {"socket": fake.address, **args}, tmp_path, check_mode=check_mode
    )


def sets(fake):
    return [c for c in fake.commands if not c.startswith("show")]


def test_drain_changes_once_then_is_idempotent(tmp_path, api):
    first = server(tmp_path, api, name=["web1"], state="drain")
    assert first["changed"] is True, first["_raw"]
    assert first["commands"] == [
        "set server be_web/web1 state drain",
        "set server be_tls/web1 state drain",
    ]
    assert [
        (s["backend"], s["before"]["state"], s["after"]["state"]) for s in first["servers"]
    ] == [
        ("be_web", "ready", "drain"),
        ("be_tls", "ready", "drain"),
    ]
    assert (
        first["diff"]["after"]
        == "be_web/web1: state=drain weight=1\nbe_tls/web1: state=drain weight=1\n"
    )
    again = server(tmp_path, api, name=["web1"], state="drain")
    assert again["changed"] is False and again["commands"] == []
    assert len(sets(api)) == 2


def test_check_mode_sends_no_set_command(tmp_path, api):
    result = server(tmp_path, api, check_mode=True, name=["be_web/web2"], state="maint", weight=10)
    assert result["changed"] is True
    assert result["commands"] == [
        "set server be_web/web2 state maint",
        "set server be_web/web2 weight 10",
    ]
    assert result["servers"][0]["after"] == {"state": "maint", "weight": 10}
    assert sets(api) == []


def test_weight_alone(tmp_path, api):
    result = server(tmp_path, api, name=["be_web/web2"], weight=50)
    assert result["changed"] is True and sets(api) == ["set server be_web/web2 weight 50"]
    assert result["servers"][0]["after"] == {"state": "ready", "weight": 50}


def test_maint_with_shutdown_sessions(tmp_path, api):
    api.set_stat("be_web", "web2", scur=4)
    result = server(tmp_path, api, name=["be_web/web2"], state="maint", shutdown_sessions=True)
    assert sets(api) == [
        "set server be_web/web2 state maint",
        "shutdown sessions server be_web/web2",
    ]
    assert result["servers"][0]["sessions"] == 0


def test_drain_waits_until_the_sessions_are_gone(tmp_path, api):
    api.set_stat("be_web", "web1", scur=3)
    polls = []

    def finish_one_session(fake):
        polls.append(1)
        left = max(0, 3 - len(polls))
        fake.set_stat("be_web", "web1", scur=left)

    api.on_stat = finish_one_session
    result = server(
        tmp_path, api, name=["be_web/web1"], state="drain", wait=True, wait_interval=0.05
    )
    assert result["changed"] is True, result["_raw"]
    assert result["servers"][0]["sessions"] == 0 and len(polls) >= 3


def test_a_wait_that_times_out_says_what_is_left(tmp_path, api):
    api.set_stat("be_web", "web1", scur=2)
    result = server(
        tmp_path,
        api,
        name=["be_web/web1"],
        state="drain",
        wait=True,
        wait_timeout=1,
        wait_interval=0.1,
    )
    assert result["failed"] is True
    assert (
        "wait_timeout=1 s reached before every server was no session left: still be_web/web1 (2 session(s) left)"
        in result["msg"]
    )
    assert result["changed"] is True and result["commands"] == [
        "set server be_web/web1 state drain"
    ]


def test_ready_waits_for_up_and_a_failing_check_fails_at_once(tmp_path, api):
    api.set_stat("be_web", "web1", status="MAINT")
    server(tmp_path, api, name=["be_web/web1"], state="maint")

    def check_passes(fake):
        fake.set_stat("be_web", "web1", status="UP")

    api.on_stat = check_passes
    ok = server(tmp_path, api, name=["be_web/web1"], state="ready", wait=True, wait_interval=0.05)
    assert ok["changed"] is True and ok["servers"][0]["status"] == "UP", ok["_raw"]

    server(tmp_path, api, name=["be_web/web1"], state="maint")

    def check_fails(fake):  # one more failed check at every look
        failed = int(fake._stat("be_web", "web1")[fake.columns.index("chkfail")] or 0)
        fake.set_stat("be_web", "web1", status="DOWN", chkfail=failed + 1, check_status="L4CON")

    api.on_stat = check_fails
    down = server(
        tmp_path,
        api,
        name=["be_web/web1"],
        state="ready",
        wait=True,
        wait_timeout=30,
        wait_interval=0.05,
    )
    assert down["failed"] is True
    assert (
        "be_web/web1: status DOWN: its health check failed (L4CON) after it was set ready"
        in down["msg"]
    )


def test_ready_on_a_server_already_up_does_not_wait(tmp_path, api):
    result = server(tmp_path, api, name=["web2"], state="ready", wait=True, wait_timeout=1)
    assert result["changed"] is False and result["waited"] < 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            {"name": ["web9"], "state": "drain"},
            "server 'web9' is in no backend of this HAProxy (servers: rogue1, web1, web2)",
        ),
        (
            {"name": ["be_nope/web1"], "state": "drain"},
            "backend 'be_nope' does not exist in this HAProxy",
        ),
        (
            {"name": ["web1"], "backend": "be_web", "weight": 300},
            "weight=300 must be an integer from 0 to 256",
        ),
        (
            {"name": ["web1"], "state": "drain", "shutdown_sessions": True},
            "shutdown_sessions=true only goes with state=maint",
        ),
        (
            {"name": ["web1"], "state": "drain", "wait_timeout": 0},
            "wait_timeout=0 must be 1-3600 seconds",
        ),
    ],
)
def test_bad_input_is_refused_before_any_change(tmp_path, api, args, message):
    result = server(tmp_path, api, **args)
    assert result["failed"] is True and message in result["msg"], result["_raw"]
    assert sets(api) == []


def test_a_state_that_does_not_exist(tmp_path, api):
    result = server(tmp_path, api, name=["web1"], state="drained")
    assert (
        result["failed"] is True
        and "value of state must be one of: ready, drain, maint" in result["msg"]
    )


def test_a_wrong_socket_path(tmp_path):
    path = str(tmp_path / "nothing.sock")
    result = run_module(
        "haproxy_server", {"socket": path, "name": ["web1"], "state": "drain"}, tmp_path
    )
    assert result["failed"] is True
    assert (
        result["msg"]
        == f"cannot connect to HAProxy's runtime API at {path}: no such socket (is HAProxy running, and is this its stats socket path?)"
    )


def test_a_port_where_nothing_listens(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_module("haproxy_info", {"socket": f"tcp://127.0.0.1:{port}"}, tmp_path)
    assert result["failed"] is True and "connection refused" in result["msg"]


def test_info_over_tcp(tmp_path):
    fake = FakeRuntimeApi(tcp=True)
    try:
        result = run_module("haproxy_info", {"socket": fake.address}, tmp_path)
    finally:
        fake.stop()
    assert result["changed"] is False, result["_raw"]
    assert result["info"]["Version"].startswith("2.6.")
    assert result["backends"]["be_web"]["servers"]["web1"]["admin_state"] == "ready"
    assert result["servers_up"] == ["be_web/web1", "be_web/web2", "be_tls/web1", "be_tls/web2"]
    assert result["sessions"] == 0
    assert len(result["servers_state"]) == 5


def test_info_gathers_only_what_is_asked(tmp_path, api):
    result = run_module("haproxy_info", {"socket": api.address, "gather": ["info"]}, tmp_path)
    assert "info" in result and "stat" not in result and "backends" not in result
    assert api.commands == ["show info"]
