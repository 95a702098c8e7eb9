"""The figures of `make bench` from recorded data (benchmarks/halb_bench/analysis.py)."""

from __future__ import annotations

import datetime

import pytest
from halb_bench import analysis as A


def reqs(pattern, start=100.0, step=0.01):
    """Requests from a string: '.' ok, 'x' failed, one every ``step`` s."""
    return [(round(start + i * step, 3), c == ".") for i, c in enumerate(pattern)]


def test_outages_are_runs_of_failures_ended_by_the_next_success():
    found = A.outages(reqs("..xxx..x."))
    assert found == [
        {"start": 100.02, "end": 100.05, "failed": 3},
        {"start": 100.07, "end": 100.08, "failed": 1},
    ]


def test_an_outage_that_lasts_to_the_end_has_no_end():
    assert A.outages(reqs("..xx")) == [{"start": 100.02, "end": None, "failed": 2}]


def test_outages_sort_by_send_time_whatever_the_completion_order():
    records = [(100.02, True), (100.00, True), (100.01, False)]
    assert A.outages(records) == [{"start": 100.01, "end": 100.02, "failed": 1}]


def test_answers_again_is_the_end_of_the_first_outage_after_the_fault():
    records = reqs("xx....xxxx...x.")  # an earlier failure does not count
    assert A.answers_again(records, fault_at=100.05) == pytest.approx(0.05)


def test_answers_again_is_zero_without_failure_and_none_when_it_never_answers():
    assert A.answers_again(reqs("......"), 100.02) == 0.0
    assert A.answers_again(reqs("..xxxx"), 100.02) is None


def test_dead_stretch_counts_from_the_undo_to_the_first_answer():
    # Undone at 100.00; failures until 100.05, then answers.
    dead = A.dead_stretch(reqs("xxxxx....."), since=100.0, until=100.1)
    assert dead == {"seconds": 0.05, "start": 100.0, "end": 100.05, "answered": True}


def test_dead_stretch_is_the_longest_gap_between_answers():
    records = reqs(".." + "x" * 30 + "...." + "x" * 50 + "..")  # gaps of 0.31 s and 0.51 s
    dead = A.dead_stretch(records, since=100.0, until=100.9)
    assert dead["seconds"] == pytest.approx(0.51)
    assert dead["start"] == pytest.approx(100.35) and dead["end"] == pytest.approx(100.86)


def test_dead_stretch_of_a_clean_give_back_is_the_client_grain():
    assert A.dead_stretch(reqs("." * 100), 100.0, 100.995)["seconds"] == pytest.approx(0.01)


def test_dead_stretch_before_the_undo_does_not_count_and_an_open_end_is_a_lower_bound():
    records = reqs("xxxxx" + "." * 5 + "x" * 20)  # the first failures precede the undo
    dead = A.dead_stretch(records, since=100.05, until=100.30)
    assert dead["seconds"] == pytest.approx(0.21)  # from the last answer (100.09) to the end
    assert dead["end"] is None and dead["answered"] is True
    # Nothing answered after the undo: the whole watch, and answered is False.
    never = A.dead_stretch(reqs(".." + "x" * 8), since=100.02, until=100.5)
    assert never == {"seconds": 0.48, "start": 100.02, "end": None, "answered": False}


def test_quiet_waits_for_answers_only_beyond_the_requests_in_flight():
    records = reqs("x" + "." * 400)  # a failure at 100.00, answers to 103.99
    assert not A.quiet(records, now=103.0, quiet_s=3.0, timeout=0.5)
    assert A.quiet(records, now=103.6, quiet_s=3.0, timeout=0.5)
    assert not A.quiet([], now=103.6, quiet_s=3.0, timeout=0.5)  # no answer is no quiet


def test_giveback_over_after_the_minimum_when_quiet_or_at_the_limit():
    records = reqs("." * 100)
    assert A.giveback_over(records, 101.0, 100.0, minimum=0, quiet_s=0.3, timeout=0.5, limit=90)
    assert not A.giveback_over(
        records, 101.0, 100.0, minimum=60, quiet_s=0.3, timeout=0.5, limit=90
    )
    failing = reqs("x" * 100)
    assert not A.giveback_over(failing, 101.0, 100.0, minimum=0, quiet_s=0.3, timeout=0.5, limit=90)
    assert A.giveback_over(failing, 190.0, 100.0, minimum=0, quiet_s=0.3, timeout=0.5, limit=90)


LINES = """\
[2026-11-21T20:00:30.844177] 954: eth0    inet 172.30.70.100/24 scope global secondary eth0\\       valid_lft forever preferred_lft forever
[2026-11-21T20:00:31.065699] Deleted 954: eth0    inet 172.30.70.100/24 scope global secondary eth0\\       valid_lft forever preferred_lft forever
[2026-11-21T20:00:31.100000] 954: eth0    inet6 fe80::1/64 scope link \\       valid_lft forever preferred_lft forever
Timestamp: something else
"""


def test_monitor_lines_give_time_address_and_direction():
    events = [A.parse_monitor_line(line) for line in LINES.splitlines()]
    base = datetime.datetime(2026, 11, 21, 20, 0, 30, 844177).timestamp()
    assert events[0] == (base, "172.30.70.100", True)
    assert events[1][1:] == ("172.30.70.100", False)
    assert events[1][0] - base == pytest.approx(0.221522)
    assert events[2][1:] == ("fe80::1", True)
    assert events[3] is None


def test_held_intervals_from_the_initial_state_and_the_events():
    events = [(5.0, "vip", False), (7.0, "vip", True), (8.0, "other", False)]
    assert A.held_intervals(True, events, "vip", 0.0, 10.0) == [(0.0, 5.0), (7.0, 10.0)]
    assert A.held_intervals(False, events, "vip", 0.0, 6.0) == []
    # Events outside the watch are ignored.
    assert A.held_intervals(False, [(11.0, "vip", True)], "vip", 0.0, 10.0) == []


def test_intersect_and_subtract():
    assert A.intersect([(0, 5), (7, 10)], [(4, 8)]) == [(4, 5), (7, 8)]
    assert A.subtract([(0, 10)], [(2, 3), (5, 12)]) == [(0, 2), (3, 5)]
    assert A.subtract([(0, 1)], [(2, 3)]) == [(0, 1)]


def test_two_holders_counts_only_reachable_nodes():
    held = {"lb1": [(0.0, 10.0)], "lb2": [(3.0, 6.5)]}
    # lb1 kept the address on its interface but was paused from 1 s to 6 s:
    # only the 0.5 s after it came back count.
    assert A.two_holders(held, {"lb1": [(1.0, 6.0)]}) == 0.5
    assert A.two_holders(held) == 3.5
    assert A.two_holders({"lb1": [(0, 1)], "lb2": [(2, 3)]}) == 0


def test_two_holders_merges_overlaps_of_three_nodes():
    held = {"a": [(0, 4)], "b": [(1, 3)], "c": [(2, 5)]}
    assert A.two_holders(held) == 3.0  # 1-4 has at least two holders


def test_first_taken():
    held = [(1.0, 2.0), (5.0, 9.0)]
    assert A.first_taken(held, 3.0) == 5.0
    assert A.first_taken(held, 1.5) == 1.5  # held at that moment already
    assert A.first_taken(held, 9.5) is None


def test_summary_median_range_and_missing():
    assert A.summary([3, 1, 2, None]) == {"n": 4, "missing": 1, "median": 2, "min": 1, "max": 3}
    assert A.summary([None]) == {"n": 1, "missing": 1, "median": None, "min": None, "max": None}


RECAP = """
PLAY RECAP *********************************************************************
halb-lab-lb1               : ok=120  changed=3    unreachable=0    failed=0    skipped=40   rescued=0    ignored=0
halb-lab-lb2               : ok=118  changed=0    unreachable=0    failed=0    skipped=40   rescued=0    ignored=0
"""


def test_play_recap():
    assert A.play_recap(RECAP) == {
        "halb-lab-lb1": {"ok": 120, "changed": 3, "unreachable": 0, "failed": 0, "skipped": 40},
        "halb-lab-lb2": {"ok": 118, "changed": 0, "unreachable": 0, "failed": 0, "skipped": 40},
    }
    # ok counts the changed tasks already.
    assert A.tasks_per_host(A.play_recap(RECAP)) == 160


WRK = """Running 8s test @ http://172.30.70.100/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.10ms    1.20ms  20.00ms   80.00%
    Req/Sec     5.20k   300.00     6.00k    70.00%
  82000 requests in 8.00s, 60.00MB read
  Socket errors: connect 0, read 3, write 0, timeout 1
  Non-2xx or 3xx responses: 2
Requests/sec:  10250.00
Transfer/sec:      7.50MB
"""


def test_wrk_report():
    report = A.parse_wrk(WRK)
    assert report["requests"] == 82000
    assert report["rps"] == 10250.0
    assert report["errors"] == {"connect": 0, "read": 3, "write": 0, "timeout": 1, "non_2xx_3xx": 2}
    assert report["failed"] == 6


def test_wrk_report_without_errors_and_garbage():
    clean = "\n".join(
        line for line in WRK.splitlines() if "errors" not in line and "Non-2xx" not in line
    )
    assert A.parse_wrk(clean)["failed"] == 0
    with pytest.raises(ValueError, match="not a wrk report"):
        A.parse_wrk("unable to connect to 172.30.70.100:80 Connection refused")


def test_wrk_report_of_a_run_longer_than_a_minute():
    long_run = WRK.replace("82000 requests in 8.00s", "653100 requests in 1.41m")
    assert A.parse_wrk(long_run)["requests"] == 653100
