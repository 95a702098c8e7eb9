"""The haproxy role against real nginx servers, checked with real requests."""

from __future__ import annotations

import collections
import pathlib
import re
import threading
import time
import urllib.parse

import halb_common
import halb_lb as L
import pytest

STATS = ("/stats",)
AUTH = ("admin", L.STATS_PASSWORD)


def test_round_robin_over_both_web_servers(lb):
    seen = collections.Counter()
    for _request in range(20):
        status, _headers, body = lb.request()
        assert status == 200
        seen[body.strip()] += 1
    assert set(seen) == set(lb.WEBS)
    assert abs(seen[lb.WEBS[0]] - seen[lb.WEBS[1]]) <= 2, seen


def test_https_serves_the_assembled_pem_with_its_chain(lb):
    # Only the root CA is trusted here: the handshake verifies only if the pem
    # carries the intermediate after the certificate.
    status, _headers, body = lb.request("www.example.test", port=443, tls=True)
    assert status == 200 and body.strip() in lb.WEBS
    rc, out = lb.sh(lb.LB, "stat -c '%a %U %G' /etc/haproxy/certs/www.pem")
    assert out.split() == ["600", "root", "root"]
    rc, out = lb.sh(lb.LB, "grep -c 'BEGIN CERTIFICATE' /etc/haproxy/certs/www.pem")
    assert out.strip() == "2"


def test_self_signed_lab_certificate(lb):
    rc, out = lb.sh(
        lb.LB,
        "openssl x509 -in /etc/haproxy/certs/lab.pem -noout -subject -issuer -ext subjectAltName"
        " && stat -c %a /etc/haproxy/certs/lab.pem",
    )
    assert "CN = lab.example.test" in out and "DNS:lab.example.test" in out
    subject, issuer = (line.split("=", 1)[1] for line in out.splitlines()[:2])
    assert subject == issuer
    assert out.split()[-1] == "600"


def test_http_redirects_the_chosen_host_only(lb):
    status, headers, _body = lb.request("www.example.test")
    assert status == 301
    assert headers["location"] == "https://www.example.test/"
    status, _headers, body = lb.request("app.example.test")
    assert status == 200 and body.strip() in lb.WEBS


def test_backend_tls_is_verified_by_default(lb):
    status, _headers, body = lb.request("secure.example.test", port=443, tls=True)
    assert status == 200 and body.strip() in lb.WEBS
    row = lb.stat("be_tls", "web1")
    assert row["status"] == "UP"
    # The rogue server answers TLS, but with a certificate the CA did not sign.
    row = lb.wait_for(
        what="rogue1 DOWN",
        predicate=lambda: (
            lb.stat("be_rogue", "rogue1")["status"] == "DOWN" and lb.stat("be_rogue", "rogue1")
        ),
    )
    assert row["check_status"].startswith("L6"), row["check_status"]
    assert lb.request("rogue.example.test")[0] == 503


def test_stats_page_needs_the_password(lb):
    assert lb.request(path="/stats", port=8404)[0] == 401
    assert lb.request(path="/stats", port=8404, auth=("admin", "wrong"))[0] == 401
    status, _headers, body = lb.request(path="/stats", port=8404, auth=AUTH)
    assert status == 200 and "be_web" in body
    assert not re.search(r"HAProxy version \d", body)


def _admin_post(action, server="web2", backend="be_web"):
    return urllib.parse.urlencode({"s": server, "action": action, "b": backend})


def test_admin_actions_refused_from_outside_the_admin_networks(lb):
    # From the controller (not LOCALHOST, not 192.0.2.0/24): denied, state unchanged.
    status, headers, _body = lb.request(
        path="/stats", port=8404, method="POST", body=_admin_post("maint"), auth=AUTH
    )
    assert status == 303 and "st=DENY" in headers["location"], (status, headers)
    assert lb.stat("be_web", "web2")["status"] == "UP"
    # From LOCALHOST on the load balancer itself: done (so the refusal above is real).
    script = (
        "import base64,urllib.request;"
        "r=urllib.request.Request('http://127.0.0.1:8404/stats',data=b'"
        + _admin_post("maint")
        + "',headers={'Authorization':'Basic '+base64.b64encode(b'admin:"
        + L.STATS_PASSWORD
        + "').decode()});"
        "o=urllib.request.build_opener(type('N',(urllib.request.HTTPRedirectHandler,),"
        "{'redirect_request':lambda *a:None}));"
        "\ntry:\n o.open(r)\nexcept urllib.error.HTTPError as e:\n print(e.headers['Location'])"
    )
    _rc, out = lb.sh(lb.LB, f'python3 -c "{script}"')
    assert "st=DONE" in out, out
    assert lb.stat("be_web", "web2")["status"] == "MAINT"


def test_stopped_backend_is_taken_out_without_failed_requests(lb):
    with lb.Stream() as stream:
        time.sleep(1)
        lb.sh(lb.WEBS[1], "systemctl stop nginx")
        lb.wait_for(
            what="web2 DOWN", predicate=lambda: lb.stat("be_web", "web2")["status"] == "DOWN"
        )
        time.sleep(2)
    assert stream.failures == [], stream.failures[:5]
    assert stream.ok > 20


def _queued_request(results, k, method):
    try:
        status, _headers, body = L.request(method=method, body="a=b" if method == "POST" else None)
        results[k] = (status, body.strip() if status == 200 else "")
    except OSError as exc:  # refused, reset, timeout
        results[k] = (repr(exc), "")


def test_a_web_server_dying_with_requests_queued_loses_no_get_and_replays_no_post(lb):
    """A web server that dies (or stops) while requests wait in its listen
    queue resets them after HAProxy sent them: HAProxy must send each GET
    again to a server that answers (retry-on empty-response, redispatch),
    and must not send a POST twice (it may have been half done): that one
    gets 502. Without the retry, a GET got 502 Bad Gateway (SH--) whenever
    nginx stopped with a connection in its queue (the stopped-backend test
    above failed so in a CI run)."""
    web = lb.WEBS[1]
    methods = ["GET", "GET", "POST", "POST"] * 2
    results = {}
    threads = []
    lb.sh(web, "pkill -STOP -x nginx")
    try:
        # Round robin alternates the servers: each method meets both, and
        # web2's half waits in its queue (the kernel accepted them).
        for k, method in enumerate(methods):
            threads.append(threading.Thread(target=_queued_request, args=(results, k, method)))
            threads[-1].start()
            time.sleep(0.3)
        lb.wait_for(what="web1's answers", predicate=lambda: len(results) >= len(methods) // 2)
        lb.sh(web, "systemctl kill --signal=SIGKILL nginx")
    finally:
        lb.sh(web, "pkill -CONT -x nginx", check=False)
        for thread in threads:
            thread.join(timeout=30)
    gets = [results.get(k) for k, method in enumerate(methods) if method == "GET"]
    posts = sorted(str(results.get(k, ("none",))[0]) for k, m in enumerate(methods) if m == "POST")
    # web1 answered its own and, sent again, web2's.
    assert gets == [(200, lb.WEBS[0])] * 4, gets
    # nginx refuses a POST to a static page (405); the queued ones are not replayed.
    assert posts == ["405", "405", "502", "502"], posts
    logged = lb.sh(lb.LB, "grep -c 'be_web/web2 .* 502 .*\"POST ' /var/log/haproxy/info.log")[1]
    assert int(logged) >= 2


def test_five_reloads_under_steady_requests_fail_none(lb):
    pids = [lb.worker_pid()]
    with lb.Stream() as stream:
        for _reload in range(5):
            lb.sh(lb.LB, "systemctl reload haproxy")
            pids.append(
                lb.wait_for(
                    what="a new worker",
                    predicate=lambda: lb.worker_pid() not in pids and lb.worker_pid(),
                )
            )
            time.sleep(1)
    assert len(set(pids)) == 6
    assert stream.failures == [], stream.failures[:5]
    assert stream.ok > 50


def test_drain_survives_a_reload(lb):
    lb.api("set server be_web/web2 state drain")
    assert lb.stat("be_web", "web2")["status"] == "DRAIN"
    before = lb.worker_pid()
    lb.sh(lb.LB, "systemctl reload haproxy")
    lb.wait_for(what="a new worker", predicate=lambda: lb.worker_pid() != before)
    assert lb.stat("be_web", "web2")["status"] == "DRAIN"
    _rc, state = lb.sh(lb.LB, "cat /var/lib/haproxy/server-state")
    assert re.search(r"\bbe_web\s+\d+\s+web2\b", state)
    # A drained server gets no new requests.
    bodies = {lb.request()[2].strip() for _request in range(10)}
    assert bodies == {lb.WEBS[0]}


def test_runtime_socket_is_admin_level_and_not_world_accessible(lb):
    _rc, out = lb.sh(lb.LB, f"stat -c '%a %U %G' {lb.SOCKET}")
    assert out.split() == ["660", "root", "haproxy"]
    assert "level admin" in lb.sh(lb.LB, "grep '^    stats socket' /etc/haproxy/haproxy.cfg")[1]


def test_master_worker_with_one_thread_per_cpu(lb):
    _rc, nproc = lb.sh(lb.LB, "nproc")
    info = lb.api("show info")
    assert f"Nbthread: {nproc.strip()}" in info
    _rc, cmd = lb.sh(lb.LB, "ps -o args= -C haproxy")
    assert "-Ws" in cmd
    config = lb.sh(lb.LB, "cat /etc/haproxy/haproxy.cfg")[1]
    assert "    master-worker\n" in config and "    hard-stop-after 30s\n" in config
    assert "httpclose" not in config and "    http-reuse safe\n" in config


def _logged(path, text):
    """Lines of ``path`` on the load balancer that contain ``text``."""
    return L.sh(L.LB, f"grep -h -- {text} {path} || true")[1].strip()


def test_traffic_logs_land_in_their_own_file_and_not_in_the_system_log(lb):
    marker = f"/halb-log-{time.time_ns()}"
    assert lb.request(path=marker)[0] == 404  # nginx: no such page; HAProxy logs it
    line = lb.wait_for(
        what="the request in info.log",
        predicate=lambda: _logged("/var/log/haproxy/info.log", marker),
        timeout=15,
    )
    assert "fe_web be_web/" in line
    _rc, elsewhere = lb.sh(lb.LB, f"grep -rl --exclude-dir=haproxy -- {marker} /var/log || true")
    assert elsewhere.strip() == ""
    # Traffic is info: it is not a notice.
    assert _logged("/var/log/haproxy/notice.log", marker) == ""
    _rc, mode = lb.sh(lb.LB, "stat -c '%a %U %G' /var/log/haproxy/info.log")
    assert mode.split() == ["640", "root", "adm"]


def test_server_state_changes_land_in_notice_log(lb):
    lb.api("set server be_web/web2 state maint")
    lb.wait_for(
        what="the MAINT notice in notice.log",
        predicate=lambda: _logged("/var/log/haproxy/notice.log", "be_web/web2"),
        timeout=15,
    )


def test_syslog_input_listens_on_the_loopback_only(lb):
    _rc, out = lb.sh(lb.LB, "ss -Hlun 'sport = :514'")
    listeners = {line.split()[3] for line in out.splitlines() if line.strip()}
    assert listeners == {"127.0.0.1:514"}, out


def test_logrotate_starts_a_fresh_file(lb):
    lb.sh(lb.LB, "logrotate -f /etc/logrotate.d/halb-haproxy")
    lb.sh(lb.LB, "test -s /var/log/haproxy/info.log.1")
    marker = f"/halb-rotated-{time.time_ns()}"
    lb.request(path=marker)
    lb.wait_for(
        what="the request in the fresh info.log",
        predicate=lambda: _logged("/var/log/haproxy/info.log", marker),
        timeout=15,
    )
    assert _logged("/var/log/haproxy/info.log.1", marker) == ""


def test_config_file_is_not_world_readable(lb):
    _rc, out = lb.sh(
        lb.LB,
        "stat -c '%a %U %G %n' /etc/haproxy/haproxy.cfg /etc/haproxy/haproxy.cfg.*~ 2>/dev/null || true",
    )
    lines = [line.split() for line in out.splitlines() if line.strip()]
    assert lines and lines[0][:3] == ["640", "root", "root"]
    for mode, *_rest in lines:
        assert int(mode, 8) & 0o007 == 0, out


def test_unrestricted_admin_warns_and_the_diff_hides_the_password(lb):
    playbook = pathlib.Path(__file__).resolve().parent.parent / "admin_unrestricted.yml"
    proc = halb_common.playbook(playbook, "--check", "--diff", timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "admin_cond: TRUE lets anyone" in out
    assert "+    stats admin if TRUE" in out
    assert "N3w-Secret-74" not in out and lb.STATS_PASSWORD not in out
    assert "stats auth admin:********" in out


def test_a_reload_haproxy_cannot_load_fails_and_the_old_config_keeps_serving(lb):
    # A maxconn beyond the file-descriptor limit passes `haproxy -c` but cannot
    # be loaded: plain systemd would report "Reloaded"; haproxy-reload must fail.
    _rc, hard = lb.sh(
        lb.LB,
        "awk '/Max open files/ {print $5}' /proc/$(systemctl show -p MainPID --value haproxy)/limits",
    )
    if not hard.strip().isdigit():
        pytest.skip(f"no numeric file-descriptor limit ({hard.strip()!r})")
    maxconn = int(hard) // 2 + 1000
    lb.sh(lb.LB, "cp -p /etc/haproxy/haproxy.cfg /tmp/halb-good.cfg")
    try:
        lb.sh(
            lb.LB,
            f"sed -i '0,/^    maxconn [0-9]*$/s//    maxconn {maxconn}/' /etc/haproxy/haproxy.cfg"
            f" && grep -q '^    maxconn {maxconn}$' /etc/haproxy/haproxy.cfg"
            " && haproxy -c -q -f /etc/haproxy/haproxy.cfg",
        )
        before = lb.worker_pid()
        rc, _out = lb.sh(lb.LB, "systemctl reload haproxy", check=False)
        assert rc != 0
        _rc, journal = lb.sh(lb.LB, "journalctl -u haproxy -n 30 --no-pager")
        assert "could not load /etc/haproxy/haproxy.cfg" in journal
        assert lb.worker_pid() == before
        assert lb.request()[0] == 200
    finally:
        lb.sh(
            lb.LB, "cp -p /tmp/halb-good.cfg /etc/haproxy/haproxy.cfg && systemctl reload haproxy"
        )
    assert lb.request()[0] == 200


DOWN_FILE = "/run/halb/haproxy-down"


def _down_file(lb):
    """The down file's content (stripped), or None when it cannot be read."""
    rc, out = lb.sh(lb.LB, f"cat {DOWN_FILE}", check=False)
    return out.strip() if rc == 0 else None


def _answers(lb):
    """Whether HAProxy answers a request with 200 (False while it is down)."""
    try:
        return lb.request(timeout=2.0)[0] == 200
    except OSError:
        return False


def _restore_haproxy(lb):
    lb.sh(lb.LB, "systemctl start haproxy", check=False)
    lb.wait_for(what="HAProxy answering again", predicate=lambda: _answers(lb))


def test_down_file_says_1_after_a_stop_and_0_after_a_start(lb):
    # The drop-in writes it (ExecStopPost / ExecStartPost) before systemctl
    # returns; keepalived_track_files watches it.
    assert _down_file(lb) == "0"
    _rc, out = lb.sh(lb.LB, f"stat -c '%a %U' /run/halb {DOWN_FILE}")
    assert out.split() == ["755", "root", "644", "root"]
    try:
        lb.sh(lb.LB, "systemctl stop haproxy")
        assert _down_file(lb) == "1"
        lb.sh(lb.LB, "systemctl start haproxy")
        assert _down_file(lb) == "0"
        assert lb.request()[0] == 200
        # No temporary file is left behind (each write is a rename).
        _rc, listing = lb.sh(lb.LB, "ls -A /run/halb")
        assert listing.split() == ["haproxy-down"]
    finally:
        _restore_haproxy(lb)
    assert _down_file(lb) == "0"


def test_down_file_is_not_touched_by_a_reload(lb):
    _rc, before = lb.sh(lb.LB, f"stat -c '%i %Y' {DOWN_FILE}")
    worker = lb.worker_pid()
    lb.sh(lb.LB, "systemctl reload haproxy")
    lb.wait_for(what="a new worker", predicate=lambda: lb.worker_pid() != worker)
    _rc, after = lb.sh(lb.LB, f"stat -c '%i %Y' {DOWN_FILE}")
    assert after == before and _down_file(lb) == "0"


def test_a_crash_flips_the_down_file_to_1_until_systemd_restarts_haproxy(lb):
    # Debian's unit has Restart=always (after 100 ms): a runtime drop-in slows
    # the restart to 3 s so that the 1 can be seen, then is removed again.
    dropin = "/run/systemd/system/haproxy.service.d"
    _rc, before = lb.sh(lb.LB, "systemctl show -p NRestarts --value haproxy")
    try:
        lb.sh(
            lb.LB,
            f"mkdir -p {dropin} && printf '[Service]\\nRestartSec=3s\\n' >{dropin}/90-test.conf"
            " && systemctl daemon-reload && systemctl kill -s KILL haproxy",
        )
        lb.wait_for(what="the down file saying 1", predicate=lambda: _down_file(lb) == "1")
        lb.wait_for(
            what="systemd restarting HAProxy",
            timeout=30,
            predicate=lambda: _down_file(lb) == "0" and _answers(lb),
        )
        _rc, after = lb.sh(lb.LB, "systemctl show -p NRestarts --value haproxy")
        assert int(after) == int(before) + 1
    finally:
        lb.sh(lb.LB, f"rm -rf {dropin} && systemctl daemon-reload", check=False)
        _restore_haproxy(lb)
