"""halb-backends, the keepalived role's backend check (roles/keepalived/files).

Imported by path. HAProxy's health frontend is stood in for by a real HTTP
server on loopback (a thread of the test), the notify program by a small
executable that records its arguments: no network beyond 127.0.0.1.
"""

from __future__ import annotations

import http.server
import json
import os
import sys
import threading

import pytest

from .programs import load

hb = load("keepalived", "halb-backends.py", "halb_backends")


# --- what HAProxy says -------------------------------------------------------


def test_parse_counts_reads_the_health_frontends_answer():
    assert hb.parse_counts("halb-health be_web=2 be_api=0\n") == {"be_web": 2, "be_api": 0}
    assert hb.parse_counts("halb-health") == {}


@pytest.mark.parametrize(
    "text", ["", "<html>503 Service Unavailable</html>", "be_web=2", "HALB-HEALTH be_web=1"]
)
def test_parse_counts_refuses_what_is_not_the_health_frontend(text):
    assert hb.parse_counts(text) is None


def test_parse_counts_ignores_malformed_pairs():
    assert hb.parse_counts("halb-health be_web=x be$=1 a=1=2 be_api=3") == {"be_api": 3}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8405/", ("127.0.0.1", 8405, "/")),
        ("http://[::1]:8405", ("::1", 8405, "/")),
        ("http://localhost:80/health", ("localhost", 80, "/health")),
        ("https://127.0.0.1:8405/", None),
        ("http://127.0.0.1:8405/a b", None),
        ("http://evil.example:80/", None),
        ("http://127.0.0.1/", None),
    ],
)
def test_split_url_takes_plain_http_to_an_address(url, expected):
    assert hb.split_url(url) == expected


def test_held_addresses_reads_ip_o_addr():
    out = (
        "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever\n"
        "2: eth0    inet 172.30.77.11/24 brd 172.30.77.255 scope global eth0\\ ...\n"
        "2: eth0    inet 172.30.77.100/24 scope global secondary eth0\\ ...\n"
        "2: eth0    inet6 FD00:77::100/64 scope global \\ ...\n"
    )
    held = hb.held_addresses(out)
    assert {"127.0.0.1", "172.30.77.11", "172.30.77.100", "fd00:77::100"} <= set(held)
    assert held["172.30.77.100"] == "eth0" and held["127.0.0.1"] == "lo"
    assert hb.held_vips(["172.30.77.100", "172.30.77.200", "FD00:77::100"], held) == [
        ("eth0", "172.30.77.100"),
        ("eth0", "FD00:77::100"),
    ]


def test_arp_frame_is_a_gratuitous_arp_request_from_the_vip():
    mac = bytes.fromhex("020000000a0b")
    frame = hb.arp_frame(mac, "172.30.77.100")
    assert len(frame) == 42
    assert frame[:6] == b"\xff" * 6 and frame[6:12] == mac and frame[12:14] == b"\x08\x06"
    htype, ptype, hlen, plen, op = __import__("struct").unpack("!HHBBH", frame[14:22])
    assert (htype, ptype, hlen, plen, op) == (1, 0x0800, 6, 4, 1)
    vip = bytes([172, 30, 77, 100])
    assert frame[22:28] == mac and frame[28:32] == vip  # sender: the VIP at this MAC
    assert frame[32:38] == b"\x00" * 6 and frame[38:42] == vip  # target: the VIP itself


# --- when to alert -----------------------------------------------------------

BACKENDS = ["be_web", "be_api"]


def _run(steps, alert_after=10):
    """Feed (t, counts, holds) steps through decide(); return the alerts with their times."""
    state, sent = {}, []
    for now, counts, holds in steps:
        alerts, state = hb.decide(state, counts, BACKENDS, holds, now, alert_after)
        sent += [(now, *a) for a in alerts]
    return sent, state


def test_no_alert_while_every_backend_has_a_server():
    sent, state = _run([(t, {"be_web": 2, "be_api": 1}, True) for t in range(30)])
    assert sent == [] and state == {"alerted": {}, "down_since": {}}


def test_the_vip_holder_alerts_once_after_alert_after_and_again_on_recovery():
    steps = [(t, {"be_web": 0, "be_api": 1}, True) for t in range(0, 25)]
    steps += [(t, {"be_web": 1, "be_api": 1}, True) for t in range(25, 30)]
    sent, state = _run(steps)
    assert sent == [(10, "be_web", "DOWN", 0), (25, "be_web", "UP", 1)]
    assert state == {"alerted": {}, "down_since": {}}


def test_a_node_without_the_vip_does_not_alert():
    """The VIP moved to a peer that can serve: nobody needs a mail."""
    sent, _state = _run([(t, {"be_web": 0, "be_api": 0}, False) for t in range(60)])
    assert sent == []


def test_the_vip_leaving_within_alert_after_resets_the_clock():
    steps = [(t, {"be_web": 0, "be_api": 1}, t < 5 or t >= 8) for t in range(0, 20)]
    sent, _state = _run(steps)
    assert sent == [(18, "be_web", "DOWN", 0)]


def test_an_alerted_node_sends_the_recovery_even_without_the_vip():
    steps = [(t, {"be_web": 0, "be_api": 1}, t < 15) for t in range(0, 20)]
    steps += [(20, {"be_web": 2, "be_api": 1}, False)]
    sent, _state = _run(steps)
    assert sent == [(10, "be_web", "DOWN", 0), (20, "be_web", "UP", 2)]


def test_no_answer_from_haproxy_changes_nothing():
    """HAProxy down is the fail-over alerts' business, not a backend alert."""
    state = {"alerted": {"be_web": 3.0}, "down_since": {"be_api": 1.0}}
    alerts, new = hb.decide(state, None, BACKENDS, True, 100.0, 10)
    assert alerts == [] and new == state


def test_a_backend_missing_from_the_answer_counts_as_empty():
    sent, _state = _run([(t, {"be_api": 1}, True) for t in range(12)])
    assert sent == [(10, "be_web", "DOWN", 0)]


# --- the program, end to end ------------------------------------------------


class _Health(http.server.BaseHTTPRequestHandler):
    body = "halb-health be_web=1"
    status = 200

    def do_GET(self):  # noqa: N802 (http.server's name)
        data = type(self).body.encode()
        self.send_response(type(self).status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def health():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        _Health.body = "halb-health be_web=1"
        _Health.status = 200


@pytest.fixture
def settings(tmp_path, health, monkeypatch):
    notify = tmp_path / "notify"
    notify.write_text(
        f"#!{sys.executable}\nimport json, sys\n"
        f"open({str(tmp_path / 'calls.jsonl')!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
    )
    notify.chmod(0o755)
    state = tmp_path / "state"
    state.mkdir()
    path = tmp_path / "halb-backends.json"
    path.write_text(
        json.dumps(
            {
                "url": f"http://127.0.0.1:{health.server_address[1]}/",
                "backends": ["be_web"],
                "vips": ["172.30.77.100"],
                "notify": str(notify),
                "alert_after": 0,
                "state_dir": str(state),
                "timeout": 2,
            }
        )
    )
    monkeypatch.setattr(hb, "holds_vip", lambda vips: True)
    return path


def _calls(settings):
    calls = settings.parent / "calls.jsonl"
    return [json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else []


def test_main_asks_once_exits_0_with_a_server_and_1_without_and_never_alerts(settings, capsys):
    assert hb.main([str(settings)]) == 0
    assert capsys.readouterr().out == "be_web=1\n"
    _Health.body = "halb-health be_web=0"
    assert hb.main([str(settings)]) == 1
    assert _calls(settings) == []  # alerts are the service's


def test_the_service_alerts_once_on_the_vip_holder_and_again_on_recovery(settings, tmp_path):
    checker, _down_file = _checker(settings, tmp_path)
    _Health.body = "halb-health be_web=0"
    checker.step(0.0)
    assert _calls(settings) == [["BACKEND", "be_web", "DOWN", "0"]]  # alert_after 0
    checker.step(1.0)
    assert len(_calls(settings)) == 1  # once
    again = hb.Checker(checker.cfg)  # a restart remembers what was alerted
    again.step(2.0)
    assert len(_calls(settings)) == 1
    _Health.body = "halb-health be_web=2"
    again.step(3.0)
    assert _calls(settings)[1:] == [["BACKEND", "be_web", "UP", "2"]]
    state = json.loads((settings.parent / "state" / "backends.json").read_text())
    assert state == {"alerted": {}, "down_since": {}}


def test_an_answer_that_is_not_200_counts_as_no_answer(settings):
    _Health.status = 503
    assert hb.main([str(settings)]) == 1
    assert _calls(settings) == []


def test_main_exits_1_when_haproxy_does_not_answer(settings, health):
    data = json.loads(settings.read_text())
    health.shutdown()
    health.server_close()
    assert hb.main([str(settings)]) == 1
    assert _calls(settings) == []
    data["url"] = "http://127.0.0.1:9/"
    settings.write_text(json.dumps(data))
    assert hb.main([str(settings)]) == 1


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"url": "file:///etc/shadow"}, 2),
        ({"backends": []}, 2),
        ({"backends": ["be web"]}, 2),
        ({"notify": "halb-notify"}, 2),
        ({"interval": "abc"}, 2),
        ({"alert_after": -1}, 2),
        ({"garp_interval": True}, 2),
    ],
)
def test_main_refuses_settings_it_cannot_use(settings, change, expected):
    data = {**json.loads(settings.read_text()), **change}
    settings.write_text(json.dumps(data))
    assert hb.main([str(settings)]) == expected
    assert hb.main([]) == 2
    assert hb.main([str(settings.parent / "missing.json")]) == 2


# --- the service (--watch): the track file keepalived reads ---------------


def _checker(settings, tmp_path):
    data = json.loads(settings.read_text())
    data["track_file"] = str(tmp_path / "down")
    settings.write_text(json.dumps(data))
    return hb.Checker(hb.load_settings(str(settings))), tmp_path / "down"


def test_the_track_file_says_1_at_once_when_a_backend_has_no_server(settings, tmp_path):
    checker, track = _checker(settings, tmp_path)
    assert checker.step(0.0) is False and track.read_text() == "0\n"
    _Health.body = "halb-health be_web=0"
    assert checker.step(1.0) is True and track.read_text() == "1\n"
    _Health.body = "halb-health be_web=1"
    assert checker.step(2.0) is False and track.read_text() == "0\n"


def test_one_missed_answer_changes_nothing_two_mean_cannot_serve(settings, tmp_path, health):
    checker, track = _checker(settings, tmp_path)
    checker.step(0.0)
    health.shutdown()
    health.server_close()
    assert checker.step(1.0) is False and track.read_text() == "0\n"
    assert checker.step(2.0) is True and track.read_text() == "1\n"


def test_the_track_file_is_written_only_on_a_change(settings, tmp_path):
    checker, track = _checker(settings, tmp_path)
    checker.step(0.0)
    before = track.stat().st_mtime_ns, track.stat().st_ino
    checker.step(1.0)
    assert (track.stat().st_mtime_ns, track.stat().st_ino) == before


def test_watch_rereads_changed_settings(settings, tmp_path, monkeypatch):
    _check, track = _checker(settings, tmp_path)
    monkeypatch.setattr(hb.time, "sleep", lambda seconds: None)
    assert hb.watch(str(settings), limit=2) == 0
    assert track.read_text() == "0\n"
    data = json.loads(settings.read_text())
    data["backends"] = ["be_web", "be_api"]  # be_api: not in the answer, so none
    seen = []
    real_step = hb.Checker.step

    def step(self, now):
        seen.append(list(self.cfg["backends"]))
        if len(seen) == 1:
            settings.write_text(json.dumps(data))
            os_stat = settings.stat()
            os.utime(settings, ns=(os_stat.st_atime_ns, os_stat.st_mtime_ns + 10**9))
        return real_step(self, now)

    monkeypatch.setattr(hb.Checker, "step", step)
    hb.watch(str(settings), limit=2)
    assert seen == [["be_web"], ["be_web", "be_api"]]
    assert track.read_text() == "1\n"


# --- gratuitous ARP only from a node that can serve ---------------------------


def test_the_arp_refresh_comes_only_from_a_vip_holder_that_can_serve(
    settings, tmp_path, monkeypatch
):
    checker, _down_file = _checker(settings, tmp_path)
    checker.cfg = {**checker.cfg, "garp_interval": 1.0, "vips": ["172.30.77.100", "fd00:77::100"]}
    sent = []
    monkeypatch.setattr(hb, "addresses", lambda: {"172.30.77.100": "eth0", "fd00:77::100": "eth0"})
    monkeypatch.setattr(
        hb, "send_garp", lambda interface, vip: sent.append((interface, vip)) or True
    )
    checker.step(0.0)
    assert sent == [("eth0", "172.30.77.100")]  # IPv6: keepalived's own NAs
    checker.step(0.5)
    assert len(sent) == 1  # once per garp_interval
    checker.step(1.0)
    assert len(sent) == 2
    _Health.body = "halb-health be_web=0"
    checker.step(2.0)
    checker.step(3.0)
    assert len(sent) == 2  # cannot serve: silent, the peer keeps the clients
    _Health.body = "halb-health be_web=1"
    checker.step(3.2)
    assert len(sent) == 3  # at once when it can serve again
    monkeypatch.setattr(hb, "addresses", dict)
    checker.step(5.0)
    assert len(sent) == 3  # no VIP held: nothing to announce


def test_the_arp_refresh_is_off_with_interval_0(settings, tmp_path, monkeypatch):
    checker, _down_file = _checker(settings, tmp_path)
    monkeypatch.setattr(hb, "addresses", lambda: {"172.30.77.100": "eth0"})
    monkeypatch.setattr(hb, "send_garp", lambda *a: pytest.fail("sent"))
    checker.step(0.0)
    checker.step(5.0)
