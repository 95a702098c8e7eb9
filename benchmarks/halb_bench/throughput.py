"""The throughput suite: wrk through the VIP, through the master's own
address and straight to a web server, with the load generator and the lab on
separate CPUs, and the CPU the lab spent per request.

On a 2-CPU machine wrk gets CPU 0 and every lab container (both load
balancers, both web servers, the relay) CPU 1: the containers are what is
measured and share one whole CPU, as HAProxy and nginx would share a host;
wrk cannot take CPU time from them. The pinning is done with the Docker API
(the containers' cpuset) and ``sched_setaffinity`` for wrk, and undone
afterwards, also when a run fails.

The CPU figures are read from the controller, around each run: the CPU
time of every thread of the processes that serve a request (HAProxy and
rsyslog on the master, nginx on the web servers; /proc/<pid>/task/*/schedstat,
nanoseconds), the containers' cgroup counters (cpuacct.usage), wrk's own CPU
time (its rusage) and /proc/stat for each CPU's busy share (which also shows
what else ran on the machine).
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import resource
import signal
import subprocess
import time

from . import analysis as A
from .lab import LabError

# The paths, in the order they run within a repetition: what a request
# crosses on each, and why it is there.
PATHS = {
    "vip": {
        "label": "through the VIP",
        "hops": "client → HAProxy on the master → nginx (web1, web2)",
        "why": "what users get",
    },
    "lb_address": {
        "label": "through the master's own address",
        "hops": "client → HAProxy on the master → nginx (web1, web2)",
        "why": "the same HAProxy and hop count without the VIP: the VIP's own cost",
    },
    "direct": {
        "label": "straight to one web server",
        "hops": "client → nginx (web1)",
        "why": "one hop less: what the HAProxy hop costs",
    },
}

PROC = pathlib.Path("/proc")
CGROUP = pathlib.Path("/sys/fs/cgroup")


def online_cpus():
    """The machine's CPUs (/sys/devices/system/cpu/online) as a cpuset list."""
    try:
        return pathlib.Path("/sys/devices/system/cpu/online").read_text().strip()
    except OSError:
        return f"0-{os.cpu_count() - 1}"


def split_cpus(cpus):
    """(client CPUs, lab CPUs) as cpuset lists: the first CPU for wrk, the
    others for the lab; None when there is only one CPU."""
    numbers = A.parse_cpuset(cpus)
    if len(numbers) < 2:
        return None
    return str(numbers[0]), ",".join(str(n) for n in numbers[1:])


class Pinned:
    """The containers on ``cpus`` while the block runs, then back to the
    cpuset each had. Docker treats an empty cpuset as "leave it", so a
    container that had none (every CPU) gets the machine's CPU list back,
    which is the same set; what each had, got and got back is in
    ``self.record``. SIGTERM becomes SystemExit meanwhile, so that the
    restore also runs when the bench is stopped."""

    def __init__(self, containers, cpus, all_cpus=None):
        self.containers = list(containers)
        self.cpus = cpus
        self.all_cpus = all_cpus or online_cpus()
        self.record = {}
        self._old_handler = None

    def _restore(self):
        errors = []
        for box in self.containers:
            entry = self.record.get(box.name)
            if not entry or "during" not in entry:
                continue
            back = entry["before"] or self.all_cpus
            try:
                box.update(cpuset_cpus=back)
                box.reload()
                entry["restored"] = box.attrs["HostConfig"]["CpusetCpus"]
            except Exception as exc:  # noqa: BLE001 - restore the others, then fail
                errors.append(f"{box.name}: {exc}")
        if errors:
            raise LabError("could not restore the cpusets of " + "; ".join(errors))

    def __enter__(self):
        def stop(signum, _frame):
            raise SystemExit(128 + signum)

        self._old_handler = signal.signal(signal.SIGTERM, stop)
        try:
            for box in self.containers:
                box.reload()
                self.record[box.name] = {"before": box.attrs["HostConfig"]["CpusetCpus"]}
                box.update(cpuset_cpus=self.cpus)
                self.record[box.name]["during"] = self.cpus
        except BaseException:
            try:
                self._restore()
            finally:
                signal.signal(signal.SIGTERM, self._old_handler)
            raise
        return self

    def __exit__(self, *exc):
        try:
            self._restore()
        finally:
            signal.signal(signal.SIGTERM, self._old_handler)
        return False


def _cgroup_file(pid):
    """The CPU counter of the cgroup of process ``pid`` (a container's
    init): (path, cgroup v1?)."""
    for line in (PROC / str(pid) / "cgroup").read_text().splitlines():
        _num, controllers, path = line.split(":", 2)
        if "cpuacct" in controllers.split(","):
            return CGROUP / "cpuacct" / path.lstrip("/") / "cpuacct.usage", True
    for line in (PROC / str(pid) / "cgroup").read_text().splitlines():
        if line.startswith("0::"):
            path = line[3:].removesuffix("/init.scope").lstrip("/")
            return CGROUP / path / "cpu.stat", False
    raise LabError(f"no CPU accounting cgroup for process {pid}")


def read_cgroup_ns(counter):
    path, v1 = counter
    text = path.read_text()
    if v1:
        return int(text.strip())
    for line in text.splitlines():
        if line.startswith("usage_usec "):
            return int(line.split()[1]) * 1000
    raise LabError(f"no usage_usec in {path}")


def processes(container_id, name):
    """The host PIDs of the processes called ``name`` in a container (by
    their cgroup)."""
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != name:
                continue
            if container_id in (entry / "cgroup").read_text():
                found.append(int(entry.name))
        except OSError:  # gone meanwhile
            continue
    return sorted(found)


def process_ns(pid):
    """Nanoseconds on a CPU of every thread of ``pid`` (None when it is gone)."""
    total = 0
    try:
        for task in (PROC / str(pid) / "task").iterdir():
            try:
                total += A.parse_schedstat((task / "schedstat").read_text())
            except OSError:  # a thread that ended meanwhile
                continue
    except OSError:
        return None
    return total


def _children_cpu_s():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# The processes that serve a request, by name, and whose containers they
# are read in: HAProxy and rsyslog (a log line per request) on the master,
# nginx on the web servers. Read by process, not by container: the lab's
# containers also run what a site.yml on them starts.
SERVING = (("haproxy", "master"), ("rsyslogd", "master"), ("nginx", "webs"))
FIGURE = {"haproxy": "haproxy", "rsyslogd": "rsyslog", "nginx": "nginx"}


class Meter:
    """The CPU counters of the lab around one run."""

    def __init__(self, lab, master):
        self.boxes = {name: lab.container(name) for name in lab.address}
        self.counters = {
            name: _cgroup_file(box.attrs["State"]["Pid"]) for name, box in self.boxes.items()
        }
        self.where = {
            "master": [self.boxes[master].id],
            "webs": [self.boxes[w].id for w in lab.webs],
        }

    def reading(self):
        procs = {}
        for name, where in SERVING:
            pids = [pid for box in self.where[where] for pid in processes(box, name)]
            procs[name] = {pid: process_ns(pid) for pid in pids}
        return {
            "time": time.monotonic(),
            "cgroups": {name: read_cgroup_ns(c) for name, c in self.counters.items()},
            "procs": procs,
            "stat": A.parse_proc_stat((PROC / "stat").read_text()),
            "children_s": _children_cpu_s(),
        }

    @staticmethod
    def figures(before, after, requests):
        """What a run cost: CPU per request of HAProxy, rsyslog and nginx
        (None for one whose processes changed during the run: a reload),
        of the three together, and requests per second of that CPU; each
        CPU's busy share; the seconds of CPU the lab's containers and wrk
        used."""
        found = {}
        serving = 0
        for name, _where in SERVING:
            spent = A.processes_ns(before["procs"][name], after["procs"][name])
            found[f"{FIGURE[name]}_us_per_request"] = (
                None if spent is None else A.cpu_per_request(0, spent, requests)
            )
            serving = None if spent is None or serving is None else serving + spent
        lab_ns = sum(after["cgroups"].values()) - sum(before["cgroups"].values())
        return {
            **found,
            "replaced": sorted(
                FIGURE[name]
                for name, _where in SERVING
                if set(before["procs"][name]) != set(after["procs"][name])
            ),
            "serving_us_per_request": A.cpu_per_request(0, serving, requests),
            # What the serving processes would answer with one CPU of their
            # own, whatever else the machine ran meanwhile.
            "requests_per_serving_cpu_s": (
                None if serving is None else A.per_cpu_second(requests, serving / 1e9)
            ),
            "lab_cpu_s": round(lab_ns / 1e9, 3),
            "wrk_cpu_s": round(after["children_s"] - before["children_s"], 3),
            "elapsed_s": round(after["time"] - before["time"], 3),
            "cpu_busy": {str(k): v for k, v in A.cpu_busy(before["stat"], after["stat"]).items()},
        }


# wrk's nice value while pinned: the machine may run other work on the
# client's CPU, and a client that waits for its turn leaves the lab idle.
CLIENT_NICE = -10


def _wrk(url, seconds, connections, threads, cpus):
    argv = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"]
    argv += ["--timeout", "2s", url]
    affinity = set(A.parse_cpuset(cpus)) if cpus else None

    def pin():
        os.sched_setaffinity(0, affinity)
        try:
            os.nice(CLIENT_NICE)
        except PermissionError:  # not root: the affinity alone
            pass

    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
        preexec_fn=pin if affinity else None,
    ).stdout


SUMMARIES = (
    "rps",
    "requests_per_serving_cpu_s",
    "haproxy_us_per_request",
    "rsyslog_us_per_request",
    "nginx_us_per_request",
    "serving_us_per_request",
)


def throughput(lab, log, seconds=8, repetitions=5, connections=32, threads=1, pin=True):
    """wrk on every path of PATHS, alternating, ``repetitions`` times; with
    ``pin``, wrk on the first CPU and the lab's containers on the others."""
    master = lab.lbs[0]
    lab.wait_settled(master, stable_for=2.0)
    targets = {
        "vip": f"http://{lab.vip}/",
        "lb_address": f"http://{lab.address[master]}/",
        "direct": f"http://{lab.address[lab.webs[0]]}:{lab.web_port}/",
    }
    all_cpus = online_cpus()
    split = split_cpus(all_cpus) if pin else None
    client_cpus, lab_cpus = split or (None, None)
    meter = Meter(lab, master)
    runs = {name: [] for name in targets}
    pinned = None
    if split:
        pinned = Pinned(meter.boxes.values(), lab_cpus, all_cpus)
    with pinned or contextlib.nullcontext():
        for url in targets.values():  # warm-up, not recorded
            _wrk(url, 2, connections, threads, client_cpus)
        for rep in range(repetitions):
            for name, url in targets.items():
                before = meter.reading()
                out = _wrk(url, seconds, connections, threads, client_cpus)
                after = meter.reading()
                report = A.parse_wrk(out)
                run = {**report, **meter.figures(before, after, report["requests"])}
                log(
                    f"throughput #{rep + 1} {name}: {run['rps']:.0f} rps, {run['failed']} failed, "
                    f"HAProxy {run['haproxy_us_per_request']} us/request, "
                    f"CPU busy {run['cpu_busy']}"
                )
                runs[name].append(run)
    result = {
        "method": {
            "pinned": bool(split),
            "client_cpus": client_cpus,
            "lab_cpus": lab_cpus,
            "cpus": all_cpus,
            "cpusets": pinned.record if pinned else {},
            "master": master,
            "paths": PATHS,
        },
        "seconds": seconds,
        "connections": connections,
        "threads": threads,
        "targets": targets,
        "runs": runs,
    }
    for key in SUMMARIES:
        result[_summary_key(key)] = {
            name: A.summary([r[key] for r in reports]) for name, reports in runs.items()
        }
    for suffix, key in (("", "rps"), ("_per_serving_cpu", "requests_per_serving_cpu_s")):
        stats = result[_summary_key(key)]
        result["ratio" + suffix] = _ratio(stats["vip"], stats["direct"])
        result["ratio_lb_address" + suffix] = _ratio(stats["vip"], stats["lb_address"])
    return result


def _summary_key(key):
    """The results' key of a run figure's summary: rps,
    requests_per_serving_cpu, haproxy_us, rsyslog_us, nginx_us, serving_us."""
    return (
        key.removesuffix("_s") if key.startswith("requests") else key.removesuffix("_per_request")
    )


def _ratio(a, b):
    if not a.get("median") or not b.get("median"):
        return None
    return round(a["median"] / b["median"], 3)
