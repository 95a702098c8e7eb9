"""The throughput suite's arithmetic and bookkeeping (benchmarks/halb_bench/
throughput.py, analysis.py): CPU readings parsed, CPU per request, the
cpusets given back, its section of docs/performance.md, and the results file
merged when two runs save the same day (benchmarks/bench.py)."""

from __future__ import annotations

import bench
import pytest
from halb_bench import analysis as A, report, throughput as T

PROC_STAT = """cpu  300 0 200 1000 10 0 5 0 0 0
cpu0 100 0 100 500 5 0 5 0 0 0
cpu1 200 0 100 500 5 0 0 0 0 0
intr 12345 0 0
ctxt 999
"""


def test_cpuset_lists():
    assert A.parse_cpuset("0-1") == [0, 1]
    assert A.parse_cpuset("1") == [1]
    assert A.parse_cpuset("0,2-3\n") == [0, 2, 3]
    for bad in ("", "a", "1-", "0-1-2x"):
        with pytest.raises(ValueError, match="not a cpuset list"):
            A.parse_cpuset(bad)


def test_the_first_cpu_for_wrk_the_others_for_the_lab():
    assert T.split_cpus("0-1") == ("0", "1")
    assert T.split_cpus("0-3") == ("0", "1,2,3")
    assert T.split_cpus("0") is None


def test_schedstat_and_proc_stat():
    assert A.parse_schedstat("349255657 1155389975 3561\n") == 349255657
    with pytest.raises(ValueError, match="not a schedstat line"):
        A.parse_schedstat("12 34")
    # busy = everything but idle and iowait; the aggregate line is left out
    assert A.parse_proc_stat(PROC_STAT) == {0: (205, 710), 1: (300, 805)}


def test_cpu_busy_shares():
    before = {0: (205, 710), 1: (300, 805)}
    after = {0: (255, 810), 1: (400, 905)}
    assert A.cpu_busy(before, after) == {0: 0.5, 1: 1.0}
    assert A.cpu_busy(before, before) == {0: None, 1: None}


def test_cpu_per_request():
    # 1.2 s of CPU over 20,000 requests: 60 us each
    assert A.cpu_per_request(3_000_000_000, 4_200_000_000, 20_000) == 60.0
    assert A.cpu_per_request(0, 1_000, 3) == 0.33
    assert A.cpu_per_request(0, 1_000, 0) is None
    assert A.cpu_per_request(None, 1_000, 10) is None
    assert A.cpu_per_request(5_000, 1_000, 10) is None  # a counter that went back
    assert A.per_cpu_second(21_000, 3.0) == 7000.0
    assert A.per_cpu_second(21_000, 0) is None


def reading(t, cgroups, procs, stat, children):
    return {"time": t, "cgroups": cgroups, "procs": procs, "stat": stat, "children_s": children}


def test_processes_cpu_time():
    assert A.processes_ns({1: 10, 2: 5}, {1: 30, 2: 25}) == 40
    assert A.processes_ns({1: 10}, {1: 30, 3: 1}) is None  # a worker replaced
    assert A.processes_ns({1: 10}, {1: None}) is None  # gone before the second reading


def test_what_a_run_cost():
    before = reading(
        10.0,
        {"lb1": 1_000_000_000, "lb2": 0, "web1": 0, "web2": 0},
        {
            "haproxy": {101: 500_000_000, 102: 0},
            "rsyslogd": {201: 0},
            "nginx": {301: 0, 302: 0},
        },
        {0: (0, 0), 1: (0, 0)},
        1.0,
    )
    after = reading(
        18.0,
        {"lb1": 3_000_000_000, "lb2": 10_000_000, "web1": 1_500_000_000, "web2": 1_500_000_000},
        {
            "haproxy": {101: 1_700_000_000, 102: 100_000_000},
            "rsyslogd": {201: 200_000_000},
            "nginx": {301: 600_000_000, 302: 400_000_000},
        },
        {0: (300, 800), 1: (780, 800)},
        2.6,
    )
    figures = T.Meter.figures(before, after, 20_000)
    assert figures == {
        "haproxy_us_per_request": 65.0,  # 1.3 s over both HAProxy processes
        "rsyslog_us_per_request": 10.0,
        "nginx_us_per_request": 50.0,
        "replaced": [],
        "serving_us_per_request": 125.0,
        "requests_per_serving_cpu_s": 8000.0,  # 20,000 requests for 2.5 s of CPU
        "lab_cpu_s": 5.01,  # the containers' counters: everything in them
        "wrk_cpu_s": 1.6,
        "elapsed_s": 8.0,
        "cpu_busy": {"0": 0.375, "1": 0.975},
    }
    # HAProxy reloaded during the run: another worker, no HAProxy figure
    after["procs"]["haproxy"] = {101: 1_700_000_000, 103: 1_000}
    figures = T.Meter.figures(before, after, 20_000)
    assert figures["haproxy_us_per_request"] is None
    assert figures["serving_us_per_request"] is None
    assert figures["requests_per_serving_cpu_s"] is None
    assert figures["replaced"] == ["haproxy"]
    assert figures["nginx_us_per_request"] == 50.0


class Box:
    def __init__(self, name, cpuset, fail_on=None):
        self.name = name
        self.attrs = {"HostConfig": {"CpusetCpus": cpuset}}
        self.calls = []
        self.fail_on = fail_on

    def reload(self):
        pass

    def update(self, cpuset_cpus):
        self.calls.append(cpuset_cpus)
        if cpuset_cpus == self.fail_on:
            raise RuntimeError("refused")
        if cpuset_cpus:  # Docker: an empty cpuset leaves it as it is
            self.attrs["HostConfig"]["CpusetCpus"] = cpuset_cpus


def test_the_cpusets_are_given_back():
    boxes = [Box("lb1", ""), Box("web1", "0")]
    with T.Pinned(boxes, "1", all_cpus="0-1") as pinned:
        assert [b.attrs["HostConfig"]["CpusetCpus"] for b in boxes] == ["1", "1"]
    assert boxes[0].calls == ["1", "0-1"]  # none (every CPU) comes back as the list
    assert boxes[1].calls == ["1", "0"]
    assert pinned.record == {
        "lb1": {"before": "", "during": "1", "restored": "0-1"},
        "web1": {"before": "0", "during": "1", "restored": "0"},
    }


def test_the_cpusets_are_given_back_when_a_run_fails():
    boxes = [Box("lb1", ""), Box("web1", "")]
    with pytest.raises(ValueError, match="wrk"), T.Pinned(boxes, "1", all_cpus="0-1"):
        raise ValueError("not a wrk report")
    assert [b.attrs["HostConfig"]["CpusetCpus"] for b in boxes] == ["0-1", "0-1"]


def test_a_container_that_refuses_the_pinning_leaves_the_others_as_they_were():
    boxes = [Box("lb1", "0-1"), Box("web1", "0-1", fail_on="1"), Box("web2", "0-1")]
    with pytest.raises(RuntimeError, match="refused"), T.Pinned(boxes, "1", all_cpus="0-1"):
        pytest.fail("the block must not run")
    assert boxes[0].calls == ["1", "0-1"]
    assert boxes[1].calls == ["1"]  # never pinned, nothing to give back
    assert boxes[2].calls == []


def test_summary_keys_and_ratios():
    assert T._summary_key("rps") == "rps"
    assert T._summary_key("requests_per_serving_cpu_s") == "requests_per_serving_cpu"
    assert T._summary_key("haproxy_us_per_request") == "haproxy_us"
    assert T._ratio({"median": 3.0}, {"median": 8.0}) == 0.375
    assert T._ratio({"median": None}, {"median": 8.0}) is None


def pinned_results():
    def run(rps, hap, log, web, lab_s, wrk_s, busy0, busy1, replaced=()):
        serving = None if hap is None else hap + log + web
        return {
            "rps": rps,
            "requests": int(rps * 8),
            "failed": 0,
            "haproxy_us_per_request": hap,
            "rsyslog_us_per_request": log,
            "nginx_us_per_request": web,
            "serving_us_per_request": serving,
            "requests_per_serving_cpu_s": serving and round(1e6 / serving, 1),
            "replaced": list(replaced),
            "lab_cpu_s": lab_s,
            "wrk_cpu_s": wrk_s,
            "elapsed_s": 8.0,
            "cpu_busy": {"0": busy0, "1": busy1},
        }

    runs = {
        "vip": [
            run(6000, 60.0, 10.0, 60.0, 7.2, 1.2, 0.9, 1.0),
            run(6200, None, 12.0, 62.0, 7.4, 1.2, 0.8, 1.0, ["haproxy"]),
        ],
        "lb_address": [run(6100, 61.0, 11.0, 53.0, 7.3, 1.2, 0.9, 1.0)] * 2,
        "direct": [run(10000, 0.1, 0.0, 49.9, 4.0, 2.0, 0.9, 0.6)] * 2,
    }
    data = {
        "method": {
            "pinned": True,
            "client_cpus": "0",
            "lab_cpus": "1",
            "cpus": "0-1",
            "cpusets": {},
            "master": "halb-lab-lb1",
            "paths": T.PATHS,
        },
        "seconds": 8,
        "connections": 32,
        "threads": 1,
        "targets": {
            "vip": "http://172.30.70.100/",
            "lb_address": "http://172.30.70.11/",
            "direct": "http://172.30.70.21:8000/",
        },
        "runs": runs,
    }
    for key in T.SUMMARIES:
        data[T._summary_key(key)] = {
            name: A.summary([r[key] for r in rs]) for name, rs in runs.items()
        }
    data["ratio"] = 0.61
    data["ratio_per_serving_cpu"] = 0.38
    data["ratio_lb_address"] = 1.0
    data["ratio_lb_address_per_serving_cpu"] = 0.96
    return data


def test_the_pinned_section():
    text = report.throughput_section(pinned_results())
    assert text.startswith("## Throughput\n")
    assert "wrk (1 thread, 32 keep-alive connections, 8 s per run)" in text
    assert "2 runs of each" in text
    assert "wrk on CPU 0 (nice -10), every lab container on CPU 1" in text
    assert (
        "| through the VIP | client → HAProxy on the master → nginx (web1, web2) "
        "| http://172.30.70.100/ | 6100 (6000-6200) | 7692, 1 of 2 runs left out "
        "| 60.0, 1 of 2 runs left out | 11.0 (10.0-12.0) | 61.0 (60.0-62.0) "
        "| 130.0, 1 of 2 runs left out |" in text
    )
    assert "| straight to one web server | client → nginx (web1) |" in text
    assert "| 10000 | 20000 | - | - | 49.9 | 50.0 |" in text  # no HAProxy on the direct path
    assert "Left out of the CPU figures of the processes a reload replaced during the run: " in text
    assert "through the VIP #2 (haproxy)." in text
    assert (
        "VIP / direct (medians): **0.61** in requests/s, **0.38** per second of serving CPU" in text
    )
    assert "| through the VIP | 90 % (15 %) | 100 % (92 %) |" in text
    assert "| straight to one web server | 90 % (25 %) | 60 % (50 %) |" in text


def test_the_paths_keep_their_order_in_a_sorted_results_file():
    data = pinned_results()
    data["runs"] = dict(sorted(data["runs"].items()))
    text = report.throughput_section(data)
    labels = [PATH["label"] for PATH in T.PATHS.values()]
    rows = [
        line
        for line in text.splitlines()
        if line.startswith("| through") or line.startswith("| straight")
    ]
    assert [row.split(" | ")[0][2:] for row in rows] == labels * 2


def test_the_section_of_results_from_before_the_pinning():
    old = {
        "connections": 32,
        "seconds": 8,
        "threads": 2,
        "ratio": 0.375,
        "targets": {"vip": "http://172.30.70.100/", "direct": "http://172.30.70.21:8000/"},
        "rps": {
            "vip": A.summary([7487.65, 6737.06, 8272.74]),
            "direct": A.summary([19953.5]),
        },
        "runs": {},
    }
    text = report.throughput_section(old, " (measured on 2026-11-21, not run again since)")
    assert text.startswith("## Throughput (measured on 2026-11-21, not run again since)\n")
    assert "wrk and the lab on the same CPUs" in text
    assert (
        "| through the VIP (HAProxy, 2 servers) | http://172.30.70.100/ | 7488 (6737-8273) |"
        in text
    )
    assert "Ratio VIP / direct (medians): **0.38**." in text


def test_two_runs_on_the_same_day_keep_each_others_suites():
    # The file as another run left it while this one measured throughput.
    on_disk = {
        "date": "T1",
        "deploy": {"new": True},
        "throughput": {"old": True},
        "suite_started": {"deploy": "T1"},
        "machine": {"cpus": 2},
    }
    # This run loaded the file before the other one saved its deploy figures.
    ours = {
        "date": "T2",
        "deploy": {"stale": True},
        "throughput": {"pinned": True},
        "suite_started": {"throughput": "T2"},
        "machine": {"cpus": 2, "wrk": "4"},
    }
    merged = bench.merge(on_disk, ours, {"throughput"})
    assert merged == {
        "date": "T2",
        "deploy": {"new": True},
        "throughput": {"pinned": True},
        "suite_started": {"deploy": "T1", "throughput": "T2"},
        "machine": {"cpus": 2, "wrk": "4"},
    }


def fake_proc(tmp_path, cgroup_lines):
    """A /proc with the container's init (pid 10), an haproxy worker of that
    container with two threads (pid 11), one of another container (pid 12),
    and something else (pid 13)."""
    proc = tmp_path / "proc"
    for pid, comm, cid, threads in (
        (10, "systemd", "abc", {10: "5 0 1"}),
        (11, "haproxy", "abc", {11: "100 7 3", 14: "50 1 1"}),
        (12, "haproxy", "def", {12: "999 0 1"}),
        (13, "bash", "abc", {13: "1 0 1"}),
    ):
        (proc / str(pid) / "task").mkdir(parents=True)
        (proc / str(pid) / "comm").write_text(comm + "\n")
        (proc / str(pid) / "cgroup").write_text(cgroup_lines.replace("ID", cid))
        for tid, line in threads.items():
            (proc / str(pid) / "task" / str(tid)).mkdir()
            (proc / str(pid) / "task" / str(tid) / "schedstat").write_text(line + "\n")
    (proc / "self").mkdir()
    return proc


def test_processes_and_counters_read_from_proc_and_cgroup_v1(tmp_path, monkeypatch):
    proc = fake_proc(
        tmp_path, "3:cpuset:/docker/ID\n2:cpu,cpuacct:/docker/ID\n0::/docker/ID/init.scope\n"
    )
    cgroup = tmp_path / "cgroup"
    (cgroup / "cpuacct" / "docker" / "abc").mkdir(parents=True)
    (cgroup / "cpuacct" / "docker" / "abc" / "cpuacct.usage").write_text("123456789\n")
    monkeypatch.setattr(T, "PROC", proc)
    monkeypatch.setattr(T, "CGROUP", cgroup)
    assert T.processes("abc", "haproxy") == [11]
    assert T.process_ns(11) == 150  # both threads
    assert T.process_ns(99) is None  # gone
    counter = T._cgroup_file(10)
    assert counter == (cgroup / "cpuacct" / "docker" / "abc" / "cpuacct.usage", True)
    assert T.read_cgroup_ns(counter) == 123456789


def test_the_cgroup_v2_counter(tmp_path, monkeypatch):
    proc = fake_proc(tmp_path, "0::/system.slice/docker-ID.scope/init.scope\n")
    cgroup = tmp_path / "cgroup"
    (cgroup / "system.slice" / "docker-abc.scope").mkdir(parents=True)
    (cgroup / "system.slice" / "docker-abc.scope" / "cpu.stat").write_text(
        "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n"
    )
    monkeypatch.setattr(T, "PROC", proc)
    monkeypatch.setattr(T, "CGROUP", cgroup)
    counter = T._cgroup_file(10)
    assert counter == (cgroup / "system.slice" / "docker-abc.scope" / "cpu.stat", False)
    assert T.read_cgroup_ns(counter) == 2_500_000
