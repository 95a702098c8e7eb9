"""_loglink: is anything receiving HAProxy's logs? The /proc/net/udp and
/proc/net/udp6 samples in loglink/ are real: read on an x86_64 Linux 6.x
kernel while a script held UDP sockets bound to 127.0.0.53:53, 127.0.0.1:514
(with two datagrams queued), 127.0.0.1:1514 (a 1-byte buffer: 49 drops),
0.0.0.0:5353, ::1:514, [::]:10514 (dual-stack), ::ffff:127.0.0.1:20514, and
two sockets connected to port 514 (one per family)."""

from __future__ import annotations

import errno
import pathlib

import pytest

from ansible_collections.halb.cluster.plugins.module_utils import _loglink as ll

HERE = pathlib.Path(__file__).parent
UDP = (HERE / "loglink" / "proc_net_udp.txt").read_text()
UDP6 = (HERE / "loglink" / "proc_net_udp6.txt").read_text()
GOLDEN = HERE / "golden_haproxy"


def sockets():
    return ll.parse_proc_udp(UDP, 4) + ll.parse_proc_udp(UDP6, 6)


# --- /proc/net/udp -----------------------------------------------------------


def test_ipv4_addresses_and_hex_ports():
    found = {(s["address"], s["port"]) for s in ll.parse_proc_udp(UDP, 4)}
    assert {
        ("127.0.0.53", 53),  # 3500007F:0035
        ("127.0.0.1", 514),  # 0100007F:0202
        ("127.0.0.1", 1514),  # 0100007F:05EA
        ("0.0.0.0", 5353),  # 00000000:14E9
    } <= found
    assert len(found) == 5


def test_ipv4_queue_drops_state_and_remote():
    by_port = {s["port"]: s for s in ll.parse_proc_udp(UDP, 4)}
    assert by_port[514]["rx_queue"] == 0x340 and by_port[514]["drops"] == 0
    assert by_port[514]["state"] == 0x07 and by_port[514]["remote_port"] == 0
    assert by_port[1514]["drops"] == 49 and by_port[1514]["rx_queue"] == 0x500
    assert by_port[514]["inode"] > 0
    (connected,) = [s for s in by_port.values() if s["state"] == 0x01]
    assert connected["remote_address"] == "127.0.0.1" and connected["remote_port"] == 514
    assert connected["port"] == 0x864D


def test_ipv6_addresses_and_hex_ports():
    found = {(s["address"], s["port"], s["state"]) for s in ll.parse_proc_udp(UDP6, 6)}
    assert found == {
        ("::", 10514, 7),  # 32 zeros:2912
        ("::1", 514, 7),  # 00000000000000000000000001000000:0202
        ("::1", 0xCB0C, 1),  # connected to ::1 port 514
        ("::ffff:127.0.0.1", 20514, 7),  # 0000000000000000FFFF00000100007F:5022
    }
    connected = [s for s in ll.parse_proc_udp(UDP6, 6) if s["state"] == 1][0]
    assert (connected["remote_address"], connected["remote_port"]) == ("::1", 514)


def test_a_big_endian_host_writes_the_words_the_other_way():
    line = (
        "  1: 7F000001:0202 00000000:0000 07 00000000:00000000 00:00000000 00000000 0 0 7 2 0 3\n"
    )
    (sock,) = ll.parse_proc_udp(line, 4, "big")
    assert (sock["address"], sock["port"], sock["drops"]) == ("127.0.0.1", 514, 3)
    v6 = (
        "  1: 00000000000000000000000000000001:0202 "
        + "0" * 32
        + ":0000 07 0:0 0:0 0 0 0 9 2 0 0\n"
    )
    assert ll.parse_proc_udp(v6, 6, "big")[0]["address"] == "::1"
    # The same text read as little-endian is another address: the byte order matters.
    assert ll.parse_proc_udp(line, 4, "little")[0]["address"] == "1.0.0.127"


def test_an_older_kernel_without_the_drops_column():
    line = "  0: 0100007F:0202 00000000:0000 07 00000000:00000000 00:00000000 00000000 0 0 42 2 ffff8800\n"
    (sock,) = ll.parse_proc_udp(line, 4)
    assert sock["drops"] is None and sock["inode"] == 42


def test_only_the_header_is_no_socket():
    assert ll.parse_proc_udp(UDP.splitlines()[0] + "\n", 4) == []
    assert ll.parse_proc_udp("", 6) == []


@pytest.mark.parametrize(
    "text, family",
    [
        ("  0: 0100007F 00000000:0000 07 0:0 0:0 0 0 0 1 2 0 0", 4),
        ("  0: 0100007G:0202 00000000:0000 07 0:0 0:0 0 0 0 1 2 0 0", 4),
        ("  0: 0100007F:0202 00000000:0000 07 0:0 0:0 0 0 0 1 2 0 0", 6),
        ("  0: 0100007F:202 00000000:0000 07 0:0 0:0 0 0 0 1 2 0 0", 4),
        ("  0: 0100007F:0202 00000000:0000 zz 0:0 0:0 0 0 0 1 2 0 0", 4),
        ("garbage", 4),
    ],
)
def test_a_line_that_is_not_a_socket_is_an_error(text, family):
    with pytest.raises(ll.LogLinkError, match="line 1"):
        ll.parse_proc_udp(text, family)


def test_family_must_be_4_or_6():
    with pytest.raises(ll.LogLinkError):
        ll.parse_proc_udp(UDP, 5)


# --- who receives --------------------------------------------------------------


def ports(found):
    return sorted((s["address"], s["port"]) for s in found)


def test_the_bound_socket_receives_and_the_connected_one_does_not():
    assert ports(ll.receivers("127.0.0.1", 514, sockets())) == [("127.0.0.1", 514)]
    assert ports(ll.receivers("::1", 514, sockets())) == [("::1", 514)]


def test_wildcards_and_the_ipv4_mapped_address():
    assert ports(ll.receivers("127.0.0.1", 5353, sockets())) == [("0.0.0.0", 5353)]
    # A dual-stack [::] socket gets IPv4 datagrams too ...
    assert ports(ll.receivers("127.0.0.1", 10514, sockets())) == [("::", 10514)]
    assert ports(ll.receivers("127.0.0.1", 20514, sockets())) == [("::ffff:127.0.0.1", 20514)]
    # ... but an IPv4 wildcard gets no IPv6 datagram.
    assert ll.receivers("::1", 5353, sockets()) == []


def test_another_loopback_address_or_port_is_nobody():
    assert ll.receivers("127.0.0.2", 514, sockets()) == []
    assert ll.receivers("127.0.0.1", 515, sockets()) == []
    assert ll.receivers("127.0.0.1", 514, []) == []


# --- haproxy.cfg -----------------------------------------------------------------


def test_the_role_default_config_has_one_udp_target():
    parsed = ll.log_targets((GOLDEN / "haproxy_article.cfg").read_text())
    assert parsed["chroot"] is None
    assert parsed["targets"] == [
        {
            "address": "127.0.0.1:514",
            "sections": ["global"],
            "facilities": ["local6", "local5"],
            "kind": "udp",
            "host": "127.0.0.1",
            "port": 514,
            "family": 4,
            "loopback": True,
            "checked": True,
        }
    ]


def test_a_unix_socket_target():
    parsed = ll.log_targets((GOLDEN / "haproxy_tcp_userlists.cfg").read_text())
    (target,) = parsed["targets"]
    assert target["kind"] == "unix" and target["path"] == "/dev/log" and target["checked"]


HAND_WRITTEN = r"""
# A hand-written configuration (adoption): every kind of log target.
global
    chroot /var/lib/haproxy   # Debian's
    log /dev/log local0
    log /dev/log local1 notice
    log 127.0.0.1 len 1024 format rfc5424 local2 info
    log ipv6@::1: local3
    log udp6@::1:1514 local3
    log [::1]:2514 local3
    log 10.0.0.5:514 local4
    log loghost:514 local4
    log stdout format raw local0
    log ring@buf local0
    log fd@3 local0
    log tcp@10.0.0.5:601 local0
    log abns@syslog local0
    log "${LOGHOST}" local0
    log '127.0.0.1:5514' local5   # quoted
    log 127.0.0.1:99999 local5
    log-send-hostname
defaults
    log global
    mode http
frontend fe_web
    bind :80
    no log
    log 127.0.0.1:514 local6 info
backend be_web
    log 127.0.0.1:514 local6
    log unix@/run/rsyslog/haproxy.sock daemon
log-forward syslog
    dgram-bind 127.0.0.1:1514
    log 127.0.0.1:514 local7
"""


def test_every_kind_of_target_in_a_hand_written_config():
    parsed = ll.log_targets(HAND_WRITTEN)
    assert parsed["chroot"] == "/var/lib/haproxy"
    by = {t["address"]: t for t in parsed["targets"]}
    assert list(by) == [
        "/dev/log",
        "127.0.0.1",
        "ipv6@::1:",
        "udp6@::1:1514",
        "[::1]:2514",
        "10.0.0.5:514",
        "loghost:514",
        "stdout",
        "ring@buf",
        "fd@3",
        "tcp@10.0.0.5:601",
        "abns@syslog",
        "${LOGHOST}",
        "127.0.0.1:5514",
        "127.0.0.1:99999",
        "127.0.0.1:514",
        "unix@/run/rsyslog/haproxy.sock",
    ]
    assert by["/dev/log"]["facilities"] == ["local0", "local1"]
    assert (by["127.0.0.1"]["port"], by["127.0.0.1"]["facilities"]) == (514, ["local2"])
    assert (by["ipv6@::1:"]["host"], by["ipv6@::1:"]["port"]) == ("::1", 514)
    assert (by["udp6@::1:1514"]["host"], by["udp6@::1:1514"]["port"]) == ("::1", 1514)
    assert by["udp6@::1:1514"]["family"] == 6 and by["udp6@::1:1514"]["checked"]
    assert (by["[::1]:2514"]["host"], by["[::1]:2514"]["port"]) == ("::1", 2514)
    assert by["10.0.0.5:514"]["checked"] is False and not by["10.0.0.5:514"]["loopback"]
    assert by["loghost:514"]["checked"] is False and "host name" in by["loghost:514"]["reason"]
    for other in ("stdout", "ring@buf", "fd@3", "tcp@10.0.0.5:601", "abns@syslog", "${LOGHOST}"):
        assert (by[other]["kind"], by[other]["checked"]) == ("other", False), other
    assert by["${LOGHOST}"]["reason"] == "an environment variable"
    assert by["127.0.0.1:5514"]["port"] == 5514
    assert by["127.0.0.1:99999"]["checked"] is False
    assert by["127.0.0.1:514"]["sections"] == [
        "frontend fe_web",
        "backend be_web",
        "log-forward syslog",
    ]
    assert by["127.0.0.1:514"]["facilities"] == ["local6", "local7"]
    assert by["unix@/run/rsyslog/haproxy.sock"]["path"] == "/run/rsyslog/haproxy.sock"


def test_words_quotes_escapes_and_comments():
    assert ll._words(r"log '/x y' local0 # c") == (["log", "/x y", "local0"], False)
    assert ll._words(r"log /a\ b local0") == (["log", "/a b", "local0"], False)
    assert ll._words(r"log /a\#b local0") == (["log", "/a#b", "local0"], False)
    assert ll._words('log "a#b" local0') == (["log", "a#b", "local0"], False)
    assert ll._words("log $HOST local0") == (["log", "$HOST", "local0"], True)
    assert ll._words("log '$HOST' local0") == (["log", "$HOST", "local0"], False)
    assert ll._words("log '' local0") == (["log", "", "local0"], False)
    assert ll._words("   # only a comment") == ([], False)


def test_a_config_without_log_lines():
    assert ll.log_targets("global\n    maxconn 10\ndefaults\n    log global\n") == {
        "chroot": None,
        "targets": [],
    }


def test_unix_paths_are_checked_inside_the_chroot():
    assert ll.in_chroot("/var/lib/haproxy", "/dev/log") == "/var/lib/haproxy/dev/log"
    assert ll.in_chroot("/var/lib/haproxy/", "/dev/log") == "/var/lib/haproxy/dev/log"
    assert ll.in_chroot(None, "/dev/log") == "/dev/log"
    assert ll.in_chroot("/", "/dev/log") == "/dev/log"


# --- unix sockets ----------------------------------------------------------------


@pytest.mark.parametrize(
    "probe, listening, reason",
    [
        ((True, True, 0), True, None),
        ((False, False, None), False, "no such file"),
        ((True, False, None), False, "not a socket"),
        ((True, True, errno.ECONNREFUSED), False, "nothing is bound"),
        ((True, True, errno.EPROTOTYPE), False, "stream socket"),
        ((True, True, errno.EACCES), None, "not allowed"),
        ((True, True, errno.EIO), None, "EIO"),
        ((True, True, None), None, "not checked"),
    ],
)
def test_unix_receiver(probe, listening, reason):
    got, why = ll.unix_receiver(*probe)
    assert got is listening
    assert (why is None) if reason is None else (reason in why)


# --- free space ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("5%", ("percent", 5.0)),
        ("0.5 %", ("percent", 0.5)),
        ("512M", ("bytes", 512 * 1024**2)),
        ("1g", ("bytes", 1024**3)),
        ("1.5GiB", ("bytes", 3 * 1024**3 // 2)),
        ("1048576", ("bytes", 1048576)),
        (0, ("bytes", 0)),
    ],
)
def test_min_free(text, expected):
    assert ll.parse_min_free(text) == expected


@pytest.mark.parametrize("text", ["", "five", "-1%", "101%", "5 percent", "1X"])
def test_min_free_refused(text):
    with pytest.raises(ll.LogLinkError):
        ll.parse_min_free(text)


def test_disk_space_against_a_share_and_a_size():
    # 4 KiB blocks: 1,000,000 blocks, 30,000 available (3%); inodes 10% free.
    space = ll.disk_space(4096, 1_000_000, 30_000, 500_000, 50_000, ("percent", 5.0))
    assert space == {
        "free_bytes": 30_000 * 4096,
        "free_percent": 3.0,
        "free_inodes_percent": 10.0,
        "low": True,
        "inodes_low": False,
    }
    assert (
        ll.disk_space(4096, 1_000_000, 30_000, 500_000, 50_000, ("bytes", 100 * 1024**2))["low"]
        is False
    )
    # A size threshold holds inodes to 1%.
    assert ll.disk_space(4096, 100, 50, 1000, 5, ("bytes", 0))["inodes_low"] is True
    # Nothing left is low whatever the threshold; no inode count is never low on inodes.
    empty = ll.disk_space(4096, 100, 0, 0, 0, ("bytes", 0))
    assert empty["low"] is True and empty["inodes_low"] is False
    assert empty["free_inodes_percent"] is None


# --- the report --------------------------------------------------------------------

ROOMY = {
    "path": "/var/log/haproxy",
    "checked_path": "/var/log/haproxy",
    "exists": True,
    "min_free": "5%",
    "free_bytes": 10 * 1024**3,
    "free_percent": 50.0,
    "free_inodes_percent": 90.0,
    "low": False,
    "inodes_low": False,
}
ROLE_CONFIG = (GOLDEN / "haproxy_article.cfg").read_text()


def test_report_with_rsyslog_listening():
    logs, problems = ll.report(ll.log_targets(ROLE_CONFIG), sockets(), {}, ROOMY, dropped_logs=0)
    assert problems == [] and logs["ok"] is True and logs["receiving"] is True
    (target,) = logs["targets"]
    assert target["listening"] is True and target["drops"] == 0
    assert target["receivers"] == [
        {
            "address": "127.0.0.1",
            "port": 514,
            "inode": target["receivers"][0]["inode"],
            "rx_queue": 0x340,
            "drops": 0,
        }
    ]
    assert logs["dropped_logs"] == 0 and logs["log_dir"] is ROOMY


def test_report_with_rsyslog_stopped():
    nothing = ll.parse_proc_udp(UDP6, 6)  # no IPv4 socket on 514, and ::1 gets no IPv4 datagram
    logs, problems = ll.report(ll.log_targets(ROLE_CONFIG), nothing, {}, ROOMY)
    assert logs["ok"] is False and logs["receiving"] is False
    assert logs["targets"][0]["listening"] is False and logs["targets"][0]["receivers"] == []
    assert problems == [
        "nothing receives HAProxy's logs at 127.0.0.1:514 (no UDP socket bound to 127.0.0.1 "
        "port 514): every line sent there is lost (is rsyslog running?)"
    ]
    assert logs["problems"] == problems and "dropped_logs" not in logs


def test_report_counts_the_receivers_drops():
    config = "global\n    log 127.0.0.1:1514 local0\n"
    logs, problems = ll.report(ll.log_targets(config), sockets(), {}, ROOMY)
    assert problems == [] and logs["targets"][0]["drops"] == 49


def test_report_when_proc_cannot_be_read():
    logs, problems = ll.report(ll.log_targets(ROLE_CONFIG), None, {}, ROOMY, udp_error="boom")
    assert problems == [] and logs["receiving"] is None and logs["ok"] is True
    assert logs["targets"][0]["listening"] is None and logs["targets"][0]["reason"] == "boom"


def test_report_unix_targets_in_the_chroot():
    config = "global\n    chroot /var/lib/haproxy\n    log /dev/log local0\n    log /run/ok.sock local1\n"
    probes = {
        "/var/lib/haproxy/dev/log": (False, False, None),
        "/var/lib/haproxy/run/ok.sock": (True, True, 0),
    }
    logs, problems = ll.report(ll.log_targets(config), [], probes, ROOMY)
    first, second = logs["targets"]
    assert first["checked_path"] == "/var/lib/haproxy/dev/log" and first["listening"] is False
    assert second["listening"] is True and logs["receiving"] is False
    assert problems == [
        "nothing receives HAProxy's logs at /dev/log (/var/lib/haproxy/dev/log: no such file): "
        "every line sent there is lost (is rsyslog or journald running, and does it listen there?)"
    ]


def test_report_unchecked_targets_are_no_problem():
    config = "global\n    log 10.0.0.5:514 local0\n    log stdout local0\n"
    logs, problems = ll.report(ll.log_targets(config), [], {}, ROOMY)
    assert problems == [] and logs["receiving"] is None and logs["ok"] is True
    assert [t["listening"] for t in logs["targets"]] == [None, None]


def test_report_a_full_log_directory():
    full = {
        **ROOMY,
        "free_bytes": 0,
        "free_percent": 0.0,
        "low": True,
        "free_inodes_percent": 0.0,
        "inodes_low": True,
    }
    logs, problems = ll.report(ll.log_targets(ROLE_CONFIG), sockets(), {}, full)
    assert logs["receiving"] is True and logs["ok"] is False
    assert problems == [
        "/var/log/haproxy has 0 B (0.0%) free, below 5%: rsyslog cannot write HAProxy's logs "
        "when it is full, and they are lost",
        "/var/log/haproxy has 0.0% of its inodes free: no new log file can be made when none is left",
    ]


def test_human_sizes():
    assert ll._human(512) == "512 B"
    assert ll._human(1536) == "1.5 KiB"
    assert ll._human(3 * 1024**3) == "3.0 GiB"
    assert ll._human(5 * 1024**4) == "5.0 TiB"
