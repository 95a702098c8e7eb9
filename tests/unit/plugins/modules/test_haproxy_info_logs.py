"""haproxy_info's logs check, run as Ansible runs it, against real sockets of
this machine: a UDP socket bound on 127.0.0.1 (and then closed), unix
datagram sockets (bound, stale, a stream socket) and a log directory in a
temporary directory. The real rsyslog is stopped and started in the haproxy
Molecule scenario."""

from __future__ import annotations

import socket

import pytest

from .runner import run_module
from .test_haproxy_runtime_modules import FakeRuntimeApi


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def config(tmp_path, *targets, chroot=None):
    lines = ["global"]
    if chroot:
        lines.append(f"    chroot {chroot}")
    lines += [f"    log {t} local6 info" for t in targets]
    lines += ["defaults", "    log global", "    mode http", ""]
    path = tmp_path / "haproxy.cfg"
    path.write_text("\n".join(lines))
    return str(path)


def warnings(result):
    """The warnings' texts (ansible-core 2.19 returns each as a structured event)."""
    return [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]


def logs_of(tmp_path, cfg, **args):
    (tmp_path / "log").mkdir(exist_ok=True)
    result = run_module(
        "haproxy_info",
        {
            "gather": ["logs"],
            "config": cfg,
            "log_dir": str(tmp_path / "log"),
            "log_min_free": "0%",
            **args,
        },
        tmp_path,
    )
    assert result.get("failed") is not True, result["_raw"]
    return result


def test_a_bound_udp_receiver_then_none(tmp_path):
    port = free_udp_port()
    cfg = config(tmp_path, f"127.0.0.1:{port}")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver:
        receiver.bind(("127.0.0.1", port))
        result = logs_of(tmp_path, cfg)
    logs = result["logs"]
    assert result["changed"] is False and "warnings" not in result, result["_raw"]
    assert logs["ok"] is True and logs["receiving"] is True and logs["problems"] == []
    (target,) = logs["targets"]
    assert target["listening"] is True and target["receivers"][0]["port"] == port
    assert logs["config"] == cfg and logs["log_dir"]["exists"] is True
    # The receiver is gone: every line sent there is lost, and the module says so.
    result = logs_of(tmp_path, cfg)
    logs = result["logs"]
    assert logs["ok"] is False and logs["receiving"] is False
    assert logs["targets"][0]["listening"] is False
    assert warnings(result) == logs["problems"]
    assert f"nothing receives HAProxy's logs at 127.0.0.1:{port}" in logs["problems"][0]


def test_unix_datagram_sockets_bound_stale_and_stream(tmp_path):
    good, stale, stream = (
        str(tmp_path / name) for name in ("good.sock", "stale.sock", "stream.sock")
    )
    cfg = config(
        tmp_path, good, stale, stream, str(tmp_path / "missing.sock"), str(tmp_path / "haproxy.cfg")
    )
    bound = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    bound.bind(good)
    gone = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    gone.bind(stale)
    gone.close()  # the file stays: a receiver that stopped without removing it
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(stream)
    listener.listen()
    try:
        result = logs_of(tmp_path, cfg)
    finally:
        bound.close()
        listener.close()
    states = [(t["listening"], t.get("reason")) for t in result["logs"]["targets"]]
    assert states == [
        (True, None),
        (False, "a socket file that nothing is bound to (its receiver stopped)"),
        (False, "a stream socket: HAProxy sends datagrams"),
        (False, "no such file"),
        (False, "not a socket"),
    ]
    assert len(warnings(result)) == 4 and result["logs"]["receiving"] is False


def test_unix_paths_are_looked_up_in_the_chroot(tmp_path):
    (tmp_path / "dev").mkdir()
    cfg = config(tmp_path, "/dev/log", chroot=str(tmp_path))
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as receiver:
        receiver.bind(str(tmp_path / "dev" / "log"))
        result = logs_of(tmp_path, cfg)
    (target,) = result["logs"]["targets"]
    assert target["checked_path"] == f"{tmp_path}/dev/log" and target["listening"] is True
    assert result["logs"]["chroot"] == str(tmp_path)


def test_a_log_directory_below_the_threshold(tmp_path):
    cfg = config(tmp_path, "10.0.0.5:514")  # not checked: no receiver problem
    result = logs_of(tmp_path, cfg, log_min_free="100%")
    log_dir = result["logs"]["log_dir"]
    assert log_dir["low"] is True and log_dir["free_bytes"] >= 0 and log_dir["min_free"] == "100%"
    assert result["logs"]["ok"] is False and result["logs"]["receiving"] is None
    assert "below 100%" in warnings(result)[0]
    roomy = logs_of(tmp_path, cfg, log_min_free="1")
    assert roomy["logs"]["log_dir"]["low"] is False and roomy["logs"]["ok"] is True


def test_a_log_directory_not_made_yet_is_measured_at_its_parent(tmp_path):
    cfg = config(tmp_path)
    result = logs_of(tmp_path, cfg, log_dir=str(tmp_path / "not" / "yet"))
    log_dir = result["logs"]["log_dir"]
    assert log_dir["exists"] is False and log_dir["checked_path"] == str(tmp_path)
    assert "free_percent" in log_dir and result["logs"]["targets"] == []


def test_a_config_that_cannot_be_read_warns_and_does_not_fail(tmp_path):
    result = logs_of(tmp_path, str(tmp_path / "nope.cfg"))
    logs = result["logs"]
    assert logs["ok"] is False and logs["receiving"] is None and logs["targets"] == []
    assert logs["error"].startswith(f"cannot read {tmp_path}/nope.cfg (No such file or directory)")
    assert warnings(result) == [logs["error"]] and logs["problems"] == [logs["error"]]
    # With a log directory below the threshold as well (space and inodes): each problem once.
    full = logs_of(tmp_path, str(tmp_path / "nope.cfg"), log_min_free="100%")
    assert len(full["logs"]["problems"]) == 3 and warnings(full) == full["logs"]["problems"]
    assert full["logs"]["problems"][0] == full["logs"]["error"]


@pytest.mark.parametrize("bad", ["five", "101%"])
def test_a_bad_threshold_fails_naming_the_option(tmp_path, bad):
    result = run_module("haproxy_info", {"gather": ["logs"], "log_min_free": bad}, tmp_path)
    assert result["failed"] is True and result["msg"].startswith("log_min_free: ")


def test_logs_alone_need_no_runtime_api(tmp_path):
    cfg = config(tmp_path)
    result = logs_of(tmp_path, cfg, socket=str(tmp_path / "no-such.sock"))
    assert "logs" in result and "info" not in result


def test_with_info_the_dropped_logs_counter_is_reported(tmp_path):
    api = FakeRuntimeApi(str(tmp_path / "admin.sock"))
    try:
        cfg = config(tmp_path, "10.0.0.5:514")
        result = logs_of(tmp_path, cfg, socket=api.address, gather=["info", "logs"])
    finally:
        api.stop()
    assert result["logs"]["dropped_logs"] == 0 and "show info" in api.commands


def test_a_runtime_api_failure_still_returns_the_logs(tmp_path):
    cfg = config(tmp_path, f"127.0.0.1:{free_udp_port()}")
    result = run_module(
        "haproxy_info",
        {"config": cfg, "log_dir": str(tmp_path), "socket": str(tmp_path / "no-such.sock")},
        tmp_path,
    )
    assert result["failed"] is True and "no such socket" in result["msg"]
    assert result["logs"]["receiving"] is False
    assert any("nothing receives HAProxy's logs" in w for w in warnings(result))
