"""Log loss is not silent: with rsyslog stopped (service and socket) HAProxy
keeps sending its logs to 127.0.0.1:514 and they are lost; haproxy_info says
so (and warns), and says the receiver is back once rsyslog runs again. A log
directory on a full file system is reported too."""

from __future__ import annotations

import time

import halb_common
import halb_lb as L

INFO_LOG = "/var/log/haproxy/info.log"
FULL = "/var/log/halb-full"


def logs(**args):
    result = halb_common.module(L.LB, "halb.cluster.haproxy_info", {"gather": ["logs"], **args})
    assert result.get("failed") is not True, result
    return result


def warnings(result):
    return [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]


def listeners():
    return L.sh(L.LB, "ss -Hlun 'sport = :514'")[1].strip()


def logged(text):
    return L.sh(L.LB, f"grep -c -- {text} {INFO_LOG} || true")[1].strip() not in ("", "0")


def test_a_stopped_rsyslog_is_reported_then_its_return(lb):
    marker = f"/halb-lost-{time.time_ns()}"
    try:
        L.sh(L.LB, "systemctl stop syslog.socket rsyslog.service")
        L.wait_for(lambda: listeners() == "", timeout=30, what="nothing bound to UDP 514")
        result = logs()
        (target,) = result["logs"]["targets"]
        assert target["address"] == "127.0.0.1:514" and target["listening"] is False, result
        assert result["logs"]["receiving"] is False and result["logs"]["ok"] is False
        assert any(
            "nothing receives HAProxy's logs at 127.0.0.1:514" in w for w in warnings(result)
        )
        # What the check is for: a request now is served, and its log line is lost.
        assert L.request(path=marker)[0] == 404
    finally:
        L.sh(L.LB, "systemctl start rsyslog.service")
    L.wait_for(
        lambda: "127.0.0.1:514" in listeners(), timeout=30, what="rsyslog bound to 514 again"
    )
    result = logs()
    (target,) = result["logs"]["targets"]
    assert target["listening"] is True and result["logs"]["receiving"] is True, result
    assert target["receivers"][0]["address"] == "127.0.0.1" and result["logs"]["ok"] is True
    assert not warnings(result), result
    # Logs flow again; the line sent while rsyslog was stopped never arrives.
    again = f"/halb-back-{time.time_ns()}"
    L.request(path=again)
    L.wait_for(lambda: logged(again), timeout=15, what="the new request in info.log")
    assert not logged(marker)


def test_a_full_log_directory_is_reported(lb):
    try:
        L.sh(L.LB, f"mkdir -p {FULL} && mount -t tmpfs -o size=1m halb-full {FULL}")
        L.sh(L.LB, f"dd if=/dev/zero of={FULL}/fill bs=64k count=64 2>/dev/null || true")
        result = logs(log_dir=FULL)
        log_dir = result["logs"]["log_dir"]
        assert log_dir["low"] is True and log_dir["free_bytes"] == 0, result
        assert result["logs"]["receiving"] is True and result["logs"]["ok"] is False
        assert any(w.startswith(f"{FULL} has 0 B (0.0%) free") for w in warnings(result)), result
    finally:
        L.sh(L.LB, f"umount {FULL}; rmdir {FULL}", check=False)
