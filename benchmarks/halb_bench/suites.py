"""The measurements of `make bench`, each a function that returns plain data
for the results file. They run against the lab (`make lab`) and leave it as
they found it: the master holding the VIP, every service started."""

from __future__ import annotations

import importlib
import json
import os
import pathlib
import platform
import signal
import subprocess
import sys
import time

from . import analysis as A
from .client import OpenLoopClient, answers
from .faults import FAULTS
from .lab import ROOT, AddressWatch, LabError

BUILD = ROOT / "build" / "bench"


def collection_module(name):
    """A module of the collection's rendering library (plugins/module_utils):
    from the collection `make collection` installed into build/collections (a
    dependency of `make bench` and `make bench-report`), what users run. The
    path is appended, so a PYTHONPATH (the unit tests' source tree) comes first."""
    collections = str(ROOT / "build" / "collections")
    if collections not in sys.path:
        sys.path.append(collections)
    return importlib.import_module(f"ansible_collections.halb.cluster.plugins.module_utils.{name}")


# The profiles' VRRP settings are the keepalived role's own (_keepalived.PROFILES);
# what a profile leaves unset is keepalived's default (version 2, advert_int 1).
# The bench adds how long it watches a fault (window) and how long the pair
# must be at rest before one (settle).
_BENCH_TIMES = {
    "default": {"window": 8.0, "settle": 4.0},
    "fast": {"window": 5.0, "settle": 2.0},
}


def _role_profiles():
    model = collection_module("_keepalived").PROFILES
    return {
        name: {
            "version": int(model[name].get("version", 2)),
            "advert_int": float(model[name].get("advert_int", 1.0)),
            **times,
        }
        for name, times in _BENCH_TIMES.items()
    }


PROFILES = _role_profiles()

# What each keepalived_profile promises (keepalived.conf(5), RFC 3768/5798):
# a backup declares the master dead after 3 adverts plus its skew time,
# (256 - priority) / 256 adverts; the lab's backup has priority 140.
BACKUP_PRIORITY = 140


def master_down_interval(advert_int, priority=BACKUP_PRIORITY):
    return round(3 * advert_int + (256 - priority) / 256 * advert_int, 3)


def skew_time(advert_int, priority=BACKUP_PRIORITY):
    return round((256 - priority) / 256 * advert_int, 3)


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- ansible-playbook against the lab ------------------------------------------


def playbook(lab, path, *options, timeout=1800):
    """ansible-playbook against inventories/lab with the environment `make`
    gives (the installed collection); returns (seconds, recap, output)."""
    argv = ["ansible-playbook", "-i", str(lab.inventory), str(path), *options]
    env = {
        **os.environ,
        "ANSIBLE_PIPELINING": "True",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
    }
    start = time.monotonic()
    proc = subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, env=env, check=False, cwd=ROOT
    )
    took = round(time.monotonic() - start, 2)
    output = proc.stdout + proc.stderr
    BUILD.mkdir(parents=True, exist_ok=True)
    (BUILD / f"{pathlib.Path(path).stem}-{int(time.time())}.log").write_text(output)
    if proc.returncode != 0:
        raise LabError(f"{' '.join(argv)} failed ({proc.returncode}): {output[-3000:]}")
    return took, A.play_recap(output), output


def set_profile(lab, profile):
    """Deploy the pair with keepalived_profile ``profile`` (site.yml)."""
    log(f"site.yml with keepalived_profile={profile}")
    took, recap, _output = playbook(lab, ROOT / "site.yml", "-e", f"keepalived_profile={profile}")
    lab.wait_settled(lab.lbs[0], stable_for=PROFILES[profile]["settle"])
    return {"seconds": took, "changed": sum(h["changed"] for h in recap.values())}


# --- fail-over -------------------------------------------------------------------


# The give-back after every undoing is watched until the master holds the VIP
# alone again (the profile's settle time) and the client has had this many
# seconds of answers only, at most GIVEBACK_LIMIT seconds after the undoing
# (or the fault's own give-back plus 30 s, if longer).
GIVEBACK_QUIET = 3.0
GIVEBACK_LIMIT = 90.0
CLIENT_TIMEOUT = 0.5


def watch_giveback(client, undone_at, minimum=0.0):
    """Wait until the give-back after ``undone_at`` may end (analysis.giveback_over)."""
    limit = max(GIVEBACK_LIMIT, minimum + 30.0)
    while not A.giveback_over(
        list(client.records),
        time.time(),
        undone_at,
        minimum,
        GIVEBACK_QUIET,
        CLIENT_TIMEOUT,
        limit,
    ):
        time.sleep(0.2)


def _outages(records, origin, cap=20):
    """The outages of ``records`` relative to ``origin`` (the first ``cap``)."""
    return [
        {
            "start_s": round(o["start"] - origin, 3),
            "end_s": None if o["end"] is None else round(o["end"] - origin, 3),
            "failed": o["failed"],
        }
        for o in A.outages(records)[:cap]
    ]


def failover_run(lab, fault, profile, lead=1.0):
    """One fault on the master, with the open-loop client on the VIP and the
    address watch on both nodes; always undone, then the give-back is
    watched (watch_giveback). Returns its figures."""
    settings = PROFILES[profile]
    master, backup = lab.lbs[0], lab.lbs[1]
    lab.wait_settled(master, stable_for=settings["settle"])
    lasts = fault.lasts or settings["window"]
    with (
        AddressWatch(lab) as watch,
        OpenLoopClient(lab.vip, 80, "/", interval=0.01, timeout=CLIENT_TIMEOUT) as client,
    ):
        time.sleep(lead)
        fault_at = None
        try:
            fault_at = fault.inject(master)
            time.sleep(lasts)
        finally:
            restore_at = time.time()
            fault.restore(master)
        restored_at = time.time()
        settled_after = lab.wait_settled(master, stable_for=settings["settle"])
        watch_giveback(client, restore_at, fault.giveback)
    held = {node: watch.held(node, lab.vip) for node in lab.lbs}
    unreachable = {master: [(fault_at, restored_at)]} if fault.unreachable else {}
    window = client.between(fault_at, restore_at)
    giveback = client.between(restore_at, watch.end_time)
    dead = A.dead_stretch(giveback, restore_at, watch.end_time)
    taken = A.first_taken(held[backup], fault_at)
    return {
        "lasted_s": round(restore_at - fault_at, 3),
        "answers_again_s": A.answers_again(client.between(fault_at - lead, restore_at), fault_at),
        "failed": sum(1 for r in window if not r[1]),
        "requests": len(window),
        "two_holders_s": A.two_holders(held, unreachable),
        "backup_took_vip_after_s": None if taken is None else round(taken - fault_at, 3),
        "master_kept_vip": any(t0 <= fault_at + 0.5 < t1 for t0, t1 in held[master]),
        "failed_giveback": sum(1 for r in giveback if not r[1]),
        "requests_giveback": len(giveback),
        # When the master last took the VIP (back) after the undo, from the
        # undo; None when it did not take it during the give-back (it kept
        # it, or never got it back): set beside the give-back's outages.
        "master_took_vip_s": max(
            (round(t0 - restore_at, 3) for t0, _t1 in held[master] if t0 > restore_at),
            default=None,
        ),
        "giveback_s": round(watch.end_time - restore_at, 3),
        "dead_after_undo_s": dead["seconds"],
        "dead_after_undo_from_s": round(dead["start"] - restore_at, 3),
        "answered_after_undo": dead["answered"],
        "settled_after_restore_s": settled_after,
        "outages": _outages(window, fault_at),
        "reasons": sorted({r[3] for r in window if not r[1]}),
        "outages_giveback": _outages(giveback, restore_at),
        "reasons_giveback": sorted({r[3] for r in giveback if not r[1]}),
    }


FAILOVER_SUMMARIES = (
    "answers_again_s",
    "failed",
    "two_holders_s",
    "backup_took_vip_after_s",
    "failed_giveback",
    "dead_after_undo_s",
)


def failover(lab, profile, repetitions=5, faults=None, fault_repetitions=None):
    """Every fault (or ``faults``) ``repetitions`` times; ``fault_repetitions``
    maps a fault to its own count (the partition's runs are long)."""
    results = {}
    fault_repetitions = fault_repetitions or {}
    for name in faults or list(FAULTS):
        fault = FAULTS[name](lab)
        runs = []
        for rep in range(fault_repetitions.get(name, repetitions)):
            run = failover_run(lab, fault, profile)
            log(
                f"{profile} {name} #{rep + 1}: answers again after {run['answers_again_s']} s, "
                f"{run['failed']}/{run['requests']} failed, two holders {run['two_holders_s']} s; "
                f"give-back {run['failed_giveback']}/{run['requests_giveback']} failed, "
                f"longest dead stretch after the undo {run['dead_after_undo_s']} s"
            )
            runs.append(run)
        results[name] = {
            "description": fault.description,
            "lasts_s": fault.lasts or PROFILES[profile]["window"],
            "giveback_min_s": fault.giveback,
            "runs": runs,
            **{key: A.summary([r[key] for r in runs]) for key in FAILOVER_SUMMARIES},
        }
    settings = PROFILES[profile]
    return {
        "profile": profile,
        "version": settings["version"],
        "advert_int": settings["advert_int"],
        "master_down_interval_s": master_down_interval(settings["advert_int"]),
        "skew_time_s": skew_time(settings["advert_int"]),
        "window_s": settings["window"],
        "giveback_quiet_s": GIVEBACK_QUIET,
        "repetitions": repetitions,
        "faults": results,
    }


# --- rolling restart under the client ------------------------------------------------


def _unstandby(lab):
    """After a rolling restart that stopped half-way: standby files to 0 and
    both services started on every node (what the playbook says to do)."""
    for node in lab.lbs:
        lab.nsenter(
            node,
            "echo 0 > /run/keepalived-standby; systemctl start haproxy keepalived",
            check=False,
        )


def rolling_restart(lab, repetitions=5, profile="default"):
    """playbooks/rolling_restart.yml (haproxy and keepalived, one node at a
    time, the master's VIP handed over through the standby file) under the
    open-loop client, ``repetitions`` times; every request sent from the
    start of the playbook to the end of the give-back counts."""
    settings = PROFILES[profile]
    master = lab.lbs[0]
    path = ROOT / "playbooks" / "rolling_restart.yml"
    runs = []
    for rep in range(repetitions):
        lab.wait_settled(master, stable_for=settings["settle"])
        error = None
        took = changed = None
        with (
            AddressWatch(lab) as watch,
            OpenLoopClient(lab.vip, 80, "/", interval=0.01, timeout=CLIENT_TIMEOUT) as client,
        ):
            time.sleep(1.0)
            start = time.time()
            try:
                took, recap, _output = playbook(lab, path)
                changed = sum(h["changed"] for h in recap.values())
            except LabError as exc:
                error = str(exc)[-600:]
                _unstandby(lab)
            end = time.time()
            lab.wait_settled(master, stable_for=settings["settle"])
            watch_giveback(client, end)
        held = {node: watch.held(node, lab.vip) for node in lab.lbs}
        records = client.between(start, watch.end_time)
        dead = A.dead_stretch(records, start, watch.end_time)
        run = {
            "playbook_s": took,
            "changed": changed,
            "error": error,
            "failed": sum(1 for r in records if not r[1]),
            "requests": len(records),
            "seconds": round(watch.end_time - start, 2),
            "dead_s": dead["seconds"],
            "two_holders_s": A.two_holders(held),
            "vip_moves": sum(len(spans) for spans in held.values()) - 1,
            # When each node took the VIP (seconds from the start of the
            # playbook), to set the failed requests beside.
            "vip_taken_s": sorted(
                (round(t0 - start, 3), node)
                for node, spans in held.items()
                for t0, _t1 in spans
                if t0 > watch.start_time
            ),
            "outages": _outages(records, start),
            "reasons": sorted({r[3] for r in records if not r[1]}),
        }
        log(
            f"rolling restart #{rep + 1}: playbook {took} s"
            + (f" FAILED ({error[-200:]})" if error else "")
            + f", {run['failed']}/{run['requests']} failed, longest dead stretch "
            f"{run['dead_s']} s, two holders {run['two_holders_s']} s"
        )
        runs.append(run)
    return {
        "profile": profile,
        "playbook": "playbooks/rolling_restart.yml",
        "runs": runs,
        "failed": A.summary([r["failed"] for r in runs]),
        "dead_s": A.summary([r["dead_s"] for r in runs]),
        "playbook_s": A.summary([r["playbook_s"] for r in runs]),
    }


# --- reloads under load ------------------------------------------------------------


def _wrk(url, seconds=None, connections=16, threads=2):
    """wrk against ``url``: for ``seconds``, or until stopped (SIGINT) when
    None (it then still prints its report). Returns the Popen."""
    duration = f"{seconds}s" if seconds else "600s"
    return subprocess.Popen(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", duration, "--timeout", "2s", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def reloads(lab, count=100, gap=0.2, repetitions=3):
    master = lab.lbs[0]
    lab.wait_settled(master, stable_for=2.0)
    runs = []
    for rep in range(repetitions):
        client = OpenLoopClient(lab.vip, 80, "/", interval=0.01, timeout=0.5)
        wrk = _wrk(f"http://{lab.vip}/")
        took = []
        with client:
            time.sleep(1.0)
            start = time.time()
            for _reload in range(count):
                t0 = time.monotonic()
                lab.nsenter(master, "systemctl reload haproxy")
                took.append(time.monotonic() - t0)
                time.sleep(gap)
            end = time.time()
            time.sleep(1.0)
            wrk.send_signal(signal.SIGINT)
            out, _err = wrk.communicate(timeout=30)
        report = A.parse_wrk(out)
        sent = client.between(start, end + 1.0)
        run = {
            "reloads": count,
            "seconds": round(end - start, 2),
            "reload_s": A.summary(took),
            "wrk": report,
            "client_failed": sum(1 for r in sent if not r[1]),
            "client_requests": len(sent),
            "client_reasons": sorted({r[3] for r in sent if not r[1]}),
        }
        log(
            f"reloads #{rep + 1}: {count} reloads in {run['seconds']} s, wrk {report['rps']:.0f} rps, "
            f"{report['failed']} failed of {report['requests']}; client {run['client_failed']}/{run['client_requests']} failed"
        )
        runs.append(run)
    return {
        "count": count,
        "gap_s": gap,
        "runs": runs,
        "rps": A.summary([r["wrk"]["rps"] for r in runs]),
        "wrk_failed": A.summary([r["wrk"]["failed"] for r in runs]),
        "client_failed": A.summary([r["client_failed"] for r in runs]),
    }


# --- throughput: halb_bench/throughput.py ---------------------------------------------


# --- deploy ----------------------------------------------------------------------------


def deploy(lab, fresh=False, repetitions=5):
    result = {}
    if fresh:
        log("site.yml on the fresh lab")
        took, recap, _output = playbook(lab, ROOT / "site.yml")
        result["fresh"] = {
            "seconds": took,
            "changed": sum(h["changed"] for h in recap.values()),
            "tasks_per_host": A.tasks_per_host(recap),
            "recap": recap,
        }
        lab.wait_settled(lab.lbs[0], stable_for=4.0)
    runs = []
    for rep in range(repetitions):
        took, recap, _output = playbook(lab, ROOT / "site.yml")
        changed = sum(h["changed"] for h in recap.values())
        tasks = A.tasks_per_host(recap)
        log(f"site.yml again #{rep + 1}: {took} s, changed={changed}, {tasks} tasks per host")
        runs.append({"seconds": took, "changed": changed, "tasks_per_host": tasks})
    result["idempotent"] = {
        "runs": runs,
        "seconds": A.summary([r["seconds"] for r in runs]),
        "changed": A.summary([r["changed"] for r in runs]),
        "tasks_per_host": A.summary([r["tasks_per_host"] for r in runs]),
    }
    return result


# --- scale ------------------------------------------------------------------------------


def haproxy_servers_config(count):
    """An haproxy configuration (the haproxy_config module's model) with
    ``count`` checked servers in one backend."""
    servers = [
        {
            "name": f"s{i:05d}",
            "address": f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}",
            "port": 8080,
            "check": True,
        }
        for i in range(1, count + 1)
    ]
    return {
        "global": {"maxconn": 200000},
        "defaults": {
            "mode": "http",
            "timeouts": {"connect": "5s", "client": "30s", "server": "30s"},
        },
        "frontends": [
            {
                "name": "fe_scale",
                "binds": [{"address": "127.0.0.1", "port": 18080}],
                "default_backend": "be_scale",
            }
        ],
        "backends": [{"name": "be_scale", "balance": "roundrobin", "servers": servers}],
    }


def scale_haproxy(lab, count=10000, repetitions=5):
    _haproxy = collection_module("_haproxy")
    config = haproxy_servers_config(count)
    render_s = []
    for _repetition in range(repetitions):
        t0 = time.perf_counter()
        text = _haproxy.render(config)
        render_s.append(time.perf_counter() - t0)
    node = lab.lbs[0]
    lab.nsenter(
        node, "mkdir -p /tmp/halb-bench && cat > /tmp/halb-bench/scale.cfg", input_text=text
    )
    check_s = []
    for _repetition in range(repetitions):
        t0 = time.perf_counter()
        proc = lab.nsenter(node, "haproxy -c -q -f /tmp/halb-bench/scale.cfg", check=False)
        check_s.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise LabError(
                f"haproxy -c refused the {count}-server configuration: {proc.stderr[-2000:]}"
            )
    BUILD.mkdir(parents=True, exist_ok=True)
    varsfile = BUILD / "scale-haproxy.json"
    varsfile.write_text(json.dumps({"bench_config": config}))
    module_s = []
    for _run in range(3):
        lab.nsenter(node, "rm -f /tmp/halb-bench/module.cfg")
        took, recap, _output = playbook(
            lab, ROOT / "benchmarks" / "playbooks" / "scale_haproxy.yml", "-e", f"@{varsfile}"
        )
        module_s.append(took)
    lab.nsenter(node, "rm -rf /tmp/halb-bench")
    result = {
        "servers": count,
        "config_bytes": len(text.encode()),
        "render_s": A.summary(render_s),
        "haproxy_check_s": A.summary(check_s),
        "module_playbook_s": A.summary(module_s),
    }
    log(
        f"scale haproxy: {count} servers, render {result['render_s']['median']} s,"
        f" haproxy -c {result['haproxy_check_s']['median']} s,"
        f" module {result['module_playbook_s']['median']} s"
    )
    return result


def vrrp_instances_vars(lab, count):
    """keepalived_instances with ``count`` instances: the lab's VIP and the
    addresses after it, VRIDs from the lab's on."""
    base = int(lab.vip.rsplit(".", 1)[1])
    prefix = lab.vip.rsplit(".", 1)[0]
    vrid = int(lab.vars["lab_vrid"])
    return {
        "keepalived_instances": [
            {
                "name": f"VI_{i + 1:02d}",
                "interface": "eth0",
                "virtual_router_id": vrid + i,
                "advert_int": 1,
                "virtual_ipaddresses": [
                    {"address": f"{prefix}.{base + i}", "prefix": 24, "dev": "eth0"}
                ],
            }
            for i in range(count)
        ]
    }


def scale_vrrp(lab, count=20, repetitions=3):
    from .faults import MasterPaused

    master, backup = lab.lbs
    BUILD.mkdir(parents=True, exist_ok=True)
    varsfile = BUILD / f"vrrp-{count}.json"
    data = vrrp_instances_vars(lab, count)
    varsfile.write_text(json.dumps(data))
    vips = [inst["virtual_ipaddresses"][0]["address"] for inst in data["keepalived_instances"]]
    log(f"site.yml with {count} VRRP instances")
    took, recap, _output = playbook(lab, ROOT / "site.yml", "-e", f"@{varsfile}")
    deploy_s = took
    settle_s = lab.wait_settled(master, vips, stable_for=4.0, timeout=120)
    fault = MasterPaused(lab)
    runs = []
    try:
        for rep in range(repetitions):
            lab.wait_settled(master, vips, stable_for=4.0, timeout=120)
            with AddressWatch(lab) as watch:
                time.sleep(0.5)
                try:
                    fault_at = fault.inject(master)
                    lab_deadline = time.monotonic() + 20
                    while time.monotonic() < lab_deadline and sorted(
                        lab.holders_of(vips, backup)
                    ) != sorted(vips):
                        time.sleep(0.2)
                    answered = sum(1 for vip in vips if answers(vip))
                finally:
                    fault.restore(master)
                lab.wait_settled(master, vips, stable_for=4.0, timeout=120)
            taken = [A.first_taken(watch.held(backup, v), fault_at) for v in vips]
            moved = [None if t is None else round(t - fault_at, 3) for t in taken]
            run = {
                "moved": sum(1 for m in moved if m is not None),
                "first_s": min((m for m in moved if m is not None), default=None),
                "last_s": None if None in moved else max(moved),
                "answered_on_backup": answered,
            }
            log(f"{count} instances, node loss #{rep + 1}: {run}")
            runs.append(run)
    finally:
        log("site.yml back to the lab's own instances")
        playbook(lab, ROOT / "site.yml")
    lab.wait_settled(master, stable_for=4.0)
    leftovers = [vip for vip in vips[1:] if lab.holders(vip)]
    return {
        "instances": count,
        "deploy_s": deploy_s,
        "deploy_changed": sum(h["changed"] for h in recap.values()),
        "settled_after_deploy_s": settle_s,
        "runs": runs,
        "all_moved_after_s": A.summary([r["last_s"] for r in runs]),
        "first_moved_after_s": A.summary([r["first_s"] for r in runs]),
        "leftover_vips_after_restore": leftovers,
    }


# --- the machine ------------------------------------------------------------------------------


def machine(lab):
    def first_line(command):
        try:
            out = subprocess.run(
                command, capture_output=True, text=True, timeout=30, check=False
            ).stdout
        except OSError:
            return None
        return out.strip().splitlines()[0] if out.strip() else None

    cpu = None
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    node = lab.lbs[0]
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "docker": first_line(["docker", "version", "--format", "{{.Server.Version}}"]),
        "wrk": (first_line(["sh", "-c", "wrk -v 2>&1"]) or "").split(" Copyright")[0] or None,
        "nodes": "Debian 12 systemd containers on one docker bridge (the lab)",
        "haproxy": lab.nsenter(node, "haproxy -v | head -1", check=False).stdout.strip(),
        "keepalived": lab.nsenter(
            node, "keepalived --version 2>&1 | head -1", check=False
        ).stdout.strip(),
    }
