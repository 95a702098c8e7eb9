"""A results file (benchmarks/results/<date>.json) as a PNG plot beside it
and as docs/performance.md: generated tables, the targets met or missed, and
the hand-written explanations of benchmarks/notes.md."""

from __future__ import annotations

import json
import pathlib
import shutil

from . import pairs
from .analysis import number as _num, spread

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "performance.md"
DOC_IMAGE = ROOT / "docs" / "images" / "performance.png"
NOTES = ROOT / "benchmarks" / "notes.md"

# network_cut (eth0 only, 8 s or 5 s) is in results files from before issue
# 16 only: the partition replaced it.
FAULT_ORDER = (
    "haproxy_stopped",
    "haproxy_killed",
    "keepalived_killed",
    "master_paused",
    "partition",
    "network_cut",
    "switchover",
)
LABELS = {
    "haproxy_stopped": "HAProxy stopped",
    "haproxy_killed": "HAProxy killed",
    "keepalived_killed": "keepalived killed",
    "master_paused": "node loss (paused)",
    "partition": "partition (15 s)",
    "network_cut": "network cut (eth0)",
    "switchover": "planned switchover",
}

# (what, profile or None, where in the results, limit, unit); "where" is a
# function of the results that returns (median, worst) or None.
TARGETS = (
    ("Node loss: VIP answers again", "fast", ("master_paused", "answers_again_s"), 0.4),
    ("Node loss: VIP answers again", "default", ("master_paused", "answers_again_s"), 3.7),
    ("Partition: VIP answers again", "fast", ("partition", "answers_again_s"), 0.4),
    ("Partition: VIP answers again", "default", ("partition", "answers_again_s"), 3.7),
    (
        "Partition healed: longest stretch without an answer",
        "fast",
        ("partition", "dead_after_undo_s"),
        1.0,
    ),
    (
        "Partition healed: longest stretch without an answer",
        "default",
        ("partition", "dead_after_undo_s"),
        4.0,
    ),
    ("HAProxy stopped: VIP answers again", "fast", ("haproxy_stopped", "answers_again_s"), 0.5),
    ("HAProxy stopped: VIP answers again", "default", ("haproxy_stopped", "answers_again_s"), 1.5),
    ("HAProxy killed: VIP answers again", "fast", ("haproxy_killed", "answers_again_s"), 0.5),
    ("HAProxy killed: VIP answers again", "default", ("haproxy_killed", "answers_again_s"), 1.5),
    (
        "keepalived killed: seconds with two VIP holders",
        "fast",
        ("keepalived_killed", "two_holders_s"),
        1.0,
    ),
    (
        "keepalived killed: seconds with two VIP holders",
        "default",
        ("keepalived_killed", "two_holders_s"),
        1.0,
    ),
)


def _when(results):
    """The day and the hours the suites of a results file ran (UTC)."""
    started = sorted((results.get("suite_started") or {}).values())
    if not started:
        return results.get("date", "?")
    first, last = started[0], started[-1]
    if first[:10] != last[:10]:
        return f"from {first[:16]} to {last[:16]} UTC"
    return f"on {first[:10]} between {first[11:16]} and {last[11:16]} UTC (when the last suite started)"


def verdict(median, worst, limit):
    """Whether a figure reached its target, and by how much it missed."""
    if median is None:
        return "not measured"
    if worst is not None and worst <= limit:
        return "met"
    if median <= limit:
        return f"met by the median; the worst run missed by {worst - limit:.2f} s"
    return f"missed by {median - limit:.2f} s (median)"


def _range(values):
    """'a-b' of some counts, or 'a' when they are all equal."""
    lo, hi = min(values), max(values)
    return str(lo) if lo == hi else f"{lo}-{hi}"


def giveback_row(profile, data):
    """The target 'no request fails during any give-back' for one profile:
    the faults whose give-back lost requests, and in how many runs."""
    faults = data.get("faults", {})
    runs = failing = 0
    missed = []
    for fault in FAULT_ORDER:
        entry = faults.get(fault)
        if not entry:
            continue
        counts = [r.get("failed_giveback", 0) for r in entry["runs"]]
        bad = sum(1 for c in counts if c)
        runs += len(counts)
        failing += bad
        if bad:
            missed.append(f"{LABELS[fault]} {_range(counts)} ({bad} of {len(counts)} runs)")
    measured = "; ".join(missed) + "; 0 in the other runs" if missed else f"0 in all {runs} runs"
    return (
        "Failed requests during the give-back (after the undo), every fault",
        profile,
        "0 in every run",
        measured,
        "met" if not failing else f"missed in {failing} of {runs} runs",
    )


def rolling_restart_row(data):
    runs = data["runs"]
    counts = [r["failed"] for r in runs]
    bad = sum(1 for c in counts if c)
    errors = [i + 1 for i, r in enumerate(runs) if r.get("error")]
    measured = f"{', '.join(str(c) for c in counts)} ({len(runs)} runs)"
    if errors:
        measured += f"; the playbook failed in run(s) {', '.join(map(str, errors))}"
    reasons = sorted({x for r in runs for x in r.get("reasons", [])})
    if reasons:
        measured += f"; {', '.join(reasons)}"
    return (
        "Rolling restart (playbooks/rolling_restart.yml): failed requests",
        data.get("profile", "default"),
        f"0 in {len(runs)} of {len(runs)} runs",
        measured,
        "met"
        if not bad and not errors
        else f"missed in {max(bad, len(errors))} of {len(runs)} runs",
    )


def target_rows(results):
    rows = []
    failover = results.get("failover", {})
    for what, profile, (fault, key), limit in TARGETS:
        stat = failover.get(profile, {}).get("faults", {}).get(fault, {}).get(key)
        median = stat.get("median") if stat else None
        worst = stat.get("max") if stat else None
        rows.append((what, profile, f"≤ {limit} s", spread(stat), verdict(median, worst, limit)))
    for profile in ("default", "fast"):
        if profile in failover:
            rows.append(giveback_row(profile, failover[profile]))
    if results.get("rolling_restart"):
        rows.append(rolling_restart_row(results["rolling_restart"]))
    reloads = results.get("reloads")
    if reloads:
        failed = sum(r["client_failed"] + r["wrk"]["failed"] for r in reloads["runs"])
        total = sum(r["client_requests"] + r["wrk"]["requests"] for r in reloads["runs"])
        runs = len(reloads["runs"])
        reasons = sorted({x for r in reloads["runs"] for x in r.get("client_reasons", [])})
        per_run = ", ".join(str(r["client_failed"] + r["wrk"]["failed"]) for r in reloads["runs"])
        rows.append(
            (
                f"Failed requests over {reloads['count']} reloads",
                "-",
                "0",
                f"{failed} of {total:,} in {runs} runs ({per_run})"
                + (f"; {', '.join(reasons)}" if reasons else ""),
                "met" if failed == 0 else f"missed by {failed} request(s)",
            )
        )
    deploy = results.get("deploy", {}).get("idempotent")
    if deploy:
        stat = deploy["seconds"]
        rows.append(
            (
                "Idempotent re-run of site.yml",
                "default",
                "≤ 10 s",
                f"{spread(stat, 1)} s, changed {spread(deploy['changed'], 0)}",
                verdict(stat["median"], stat["max"], 10.0),
            )
        )
    return rows


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def protocol_limit(fault, profile):
    """What VRRP itself allows for a fault, from the profile's advert interval."""
    adv = profile["advert_int"]
    down = profile["master_down_interval_s"]
    skew = profile["skew_time_s"]
    if fault in ("master_paused", "partition", "network_cut"):
        return f"{down - adv:.2f}-{down:.2f} s (master down interval after the last advert)"
    if fault in ("haproxy_stopped", "haproxy_killed"):
        return (
            f"{skew:.3f} s (skew time after the priority-0 advert) + the time HAProxy takes to stop"
        )
    if fault == "keepalived_killed":
        return (
            f"none while keepalived is down (the VIP stays on the master); a restarted keepalived "
            f"starts as BACKUP and drops it, the backup takes over {down - adv:.2f}-{down:.2f} s "
            "after the master's last advert"
        )
    return (
        f"no outage: the master keeps the VIP until the backup took it over, {down - adv:.2f}-{down:.2f} s "
        "after the master's last advert at its own priority"
    )


def _median(values):
    return sorted(values)[len(values) // 2]


def _giveback_cells(entry):
    """The give-back columns of a fault: failed requests (of how many, and
    why), the longest stretch without an answer after the undo (with the
    runs in which nothing answered again before the watch ended), and how
    long the give-back was watched. Results from before issue 16 have only
    the failed count."""
    runs = entry["runs"]
    counts = [r.get("failed_giveback", 0) for r in runs]
    failed = _range(counts)
    requests = [r["requests_giveback"] for r in runs if "requests_giveback" in r]
    if requests:
        failed += f" of ~{_median(requests)}"
    reasons = sorted({x for r in runs for x in r.get("reasons_giveback", [])})
    if reasons:
        failed += f" ({', '.join(reasons)})"
    dead = spread(entry.get("dead_after_undo_s"))
    never = sum(1 for r in runs if r.get("answered_after_undo") is False)
    if never:
        dead += f"; {never} run(s) never answered again"
    watched = [r["giveback_s"] for r in runs if "giveback_s" in r]
    return failed, dead, _range([round(w) for w in watched]) if watched else "-"


def failover_section(name, data, note=""):
    if "giveback_quiet_s" in data:
        giveback = (
            "the give-back is watched until the master holds the VIP alone again and the client "
            f"has had {data['giveback_quiet_s']:.0f} s of answers only (at least 60 s for the "
            "partition)"
        )
    else:  # results from before issue 16
        giveback = "the give-back is watched until the master holds the VIP alone again"
    head = (
        f"### Profile `{name}`: VRRP version {data['version']}, advert_int {data['advert_int']} s"
        f"{note}\n\n"
        f"Master down interval {data['master_down_interval_s']} s, skew time "
        f"{data['skew_time_s']} s (backup priority 140). {data['repetitions']} runs per fault "
        "(fewer where the table says so); each fault lasts "
        f"{data['window_s']:.0f} s unless its name says otherwise, then it is undone and "
        f"{giveback}. A new connection every 10 ms, 0.5 s timeout.\n"
    )
    rows = []
    for fault in FAULT_ORDER:
        entry = data["faults"].get(fault)
        if not entry:
            continue
        requests = [r["requests"] for r in entry["runs"]]
        failed_giveback, dead, watched = _giveback_cells(entry)
        rows.append(
            (
                LABELS[fault]
                + ("" if len(requests) == data["repetitions"] else f", {len(requests)} runs"),
                spread(entry["answers_again_s"]),
                spread(entry["failed"], 0) + f" of ~{_median(requests)}",
                spread(entry["two_holders_s"], 3),
                spread(entry["backup_took_vip_after_s"]),
                failed_giveback,
                dead,
                watched,
                protocol_limit(fault, data),
            )
        )
    header = (
        "Fault",
        "VIP answers again after (s)",
        "Failed during the fault",
        "Two holders (s)",
        "Backup took the VIP after (s)",
        "Failed during the give-back",
        "Longest stretch without an answer after the undo (s)",
        "Give-back watched (s)",
        "Protocol limit",
    )
    return head + "\n" + _table(header, rows) + "\n"


def rolling_restart_section(data, note=""):
    rows = [
        (
            i + 1,
            _num(r["playbook_s"], 1) if r.get("playbook_s") is not None else "failed",
            f"{r['failed']} of {r['requests']}",
            _num(r["dead_s"], 2),
            _num(r["two_holders_s"], 3),
            r.get("vip_moves", "-"),
            ", ".join(r.get("reasons", [])) or "-",
        )
        for i, r in enumerate(data["runs"])
    ]
    return "\n".join(
        [
            f"## Rolling restart under the client{note}\n",
            f"`{data['playbook']}` (HAProxy and keepalived restarted one node at a time, the "
            "master's VIP handed to the backup through the standby file first and given back "
            f"afterwards; profile `{data.get('profile', 'default')}`) while the client opens a new "
            "connection to the VIP every 10 ms, from the start of the playbook until the master "
            "holds the VIP alone again and the client has had 3 s of answers only.\n",
            _table(
                (
                    "Run",
                    "Playbook (s)",
                    "Failed requests",
                    "Longest stretch without an answer (s)",
                    "Two holders (s)",
                    "VIP moves",
                    "Why they failed",
                ),
                rows,
            )
            + "\n",
        ]
    )


def _share(runs, cpu_key, own_key):
    """'busy (own)' of one CPU over some runs, medians in per cent: how busy
    the CPU was and how much of it the measured processes used."""
    busy = [r["cpu_busy"].get(cpu_key) for r in runs if r.get("cpu_busy")]
    own = [r[own_key] / r["elapsed_s"] for r in runs if r.get("elapsed_s")]
    busy = [b for b in busy if b is not None]
    if not busy or not own:
        return "-"
    return f"{_median(busy) * 100:.0f} % ({_median(own) * 100:.0f} %)"


def _ratio_text(value):
    return "-" if value is None else f"**{value:.2f}**"


def throughput_section(data, note=""):
    """The throughput section: the old one (wrk and the lab on the same CPUs,
    two paths, requests per second) or, with ``method``, the pinned one."""
    rps = data["rps"]
    head = f"## Throughput{note}\n"
    if "method" not in data:  # results from before issue 18
        return "\n".join(
            [
                head,
                f"wrk, {data['threads']} threads, {data['connections']} keep-alive connections, "
                f"{data['seconds']} s per run, {rps['vip']['n']} runs each, alternating; wrk and "
                "the lab on the same CPUs.\n",
                _table(
                    ("Path", "URL", "Requests/s"),
                    [
                        (
                            "through the VIP (HAProxy, 2 servers)",
                            data["targets"]["vip"],
                            spread(rps["vip"], 0),
                        ),
                        (
                            "straight to one web server",
                            data["targets"]["direct"],
                            spread(rps["direct"], 0),
                        ),
                    ],
                )
                + "\n",
                f"Ratio VIP / direct (medians): **{data['ratio']:.2f}**.\n",
            ]
        )
    method = data["method"]
    paths = method["paths"]
    n = max(len(r) for r in data["runs"].values())
    if method["pinned"]:
        where = (
            f"wrk on CPU {method['client_cpus']} (nice -10), every lab container on CPU "
            f"{method['lab_cpus']} (their cpuset, set through the Docker API for the suite and "
            "given back afterwards)"
        )
    else:
        where = "wrk and the lab on the same CPUs (not pinned)"
    threads = f"{data['threads']} thread" + ("s" if data["threads"] != 1 else "")
    # The paths in their running order (the results file sorts its keys).
    order = [p for p in ("vip", "lb_address", "direct") if p in data["runs"]]
    order += sorted(set(data["runs"]) - set(order))
    rows = []
    replaced = []
    for name in order:
        runs = data["runs"][name]
        through_haproxy = "HAProxy" in paths[name]["hops"]

        def cell(figure, name=name, digits=1):
            stat = data[figure][name]
            text = spread({**stat, "missing": 0}, digits)
            if stat.get("missing"):  # runs during which a reload replaced a process
                text += f", {stat['missing']} of {stat['n']} runs left out"
            return text

        rows.append(
            (
                paths[name]["label"],
                paths[name]["hops"],
                data["targets"][name],
                spread(rps[name], 0),
                cell("requests_per_serving_cpu", digits=0),
                cell("haproxy_us") if through_haproxy else "-",
                cell("rsyslog_us") if through_haproxy else "-",
                cell("nginx_us"),
                cell("serving_us"),
            )
        )
        for i, r in enumerate(runs):
            if r.get("replaced"):
                replaced.append(f"{paths[name]['label']} #{i + 1} ({', '.join(r['replaced'])})")
    client_cpu = (method["client_cpus"] or "0").split(",")[0]
    lab_cpu = (method["lab_cpus"] or "1").split(",")[0]
    load = [
        (
            paths[name]["label"],
            _share(data["runs"][name], client_cpu, "wrk_cpu_s"),
            _share(data["runs"][name], lab_cpu, "lab_cpu_s"),
        )
        for name in order
    ]
    return "\n".join(
        [
            head,
            f"wrk ({threads}, {data['connections']} keep-alive connections, {data['seconds']} s "
            f"per run) against each path in turn, {n} runs of each, after a 2 s warm-up; {where}. "
            "Around each run the controller reads, from /proc, the CPU time of every thread "
            "of the processes that serve a request (HAProxy and rsyslog, which writes a log "
            "line per request, in the master's container; nginx in the web containers); their "
            "growth divided by the requests wrk counted is the CPU per request, and the "
            "requests divided by their sum the requests per second of serving CPU: what the "
            "lab answers with one CPU of its own, whatever else the machine ran meanwhile. "
            "By process, not by container: a site.yml run on the lab runs in the same "
            "containers.\n",
            _table(
                (
                    "Path",
                    "What a request crosses",
                    "URL",
                    "Requests/s",
                    "Requests per second of serving CPU",
                    "HAProxy CPU per request (µs)",
                    "rsyslog CPU per request (µs)",
                    "nginx CPU per request (µs)",
                    "Serving CPU per request (µs)",
                ),
                rows,
            )
            + "\n",
            *(
                [
                    "Left out of the CPU figures of the processes a reload replaced during "
                    f"the run: {'; '.join(replaced)}.\n"
                ]
                if replaced
                else []
            ),
            f"VIP / direct (medians): {_ratio_text(data.get('ratio'))} in requests/s, "
            f"{_ratio_text(data.get('ratio_per_serving_cpu'))} per second of serving CPU. VIP / "
            f"the master's own address: {_ratio_text(data.get('ratio_lb_address'))} and "
            f"{_ratio_text(data.get('ratio_lb_address_per_serving_cpu'))}.\n",
            "How busy the two CPUs were during the runs (medians), and how much of that was "
            "wrk's and the lab's own: the rest is other work on the machine, which the "
            "requests per second feel and the CPU per request much less.\n",
            _table(
                (
                    "Path",
                    f"CPU {client_cpu} busy (wrk)",
                    f"CPU {lab_cpu} busy (the lab's containers)",
                ),
                load,
            )
            + "\n",
        ]
    )


# What a results file may lack because `bench.py run --only` skipped it: the
# report takes it from the newest earlier file that has it, and says so.
CARRIED = ("deploy", "reloads", "throughput", "scale", "rolling_restart", "pairs")


def carry_over(results_path, results):
    """Fill in the suites (and fail-over profiles) ``results`` lacks from the
    newest earlier results file beside it that has them; records what came
    from where in ``results["carried_over"]`` ({suite: date})."""
    results_path = pathlib.Path(results_path)
    earlier = sorted(
        (p for p in results_path.parent.glob("*.json") if p.name < results_path.name),
        reverse=True,
    )
    carried = {}
    loaded = {}

    def older(read):
        for path in earlier:
            data = loaded.setdefault(path, json.loads(path.read_text()))
            found = read(data)
            if found is not None:
                return path.stem, found
        return None, None

    for suite in CARRIED:
        if suite not in results:
            date, found = older(lambda d, suite=suite: d.get(suite))
            if found is not None:
                results[suite], carried[suite] = found, date
    for profile in ("default", "fast"):
        if profile not in results.get("failover", {}):
            date, found = older(lambda d, profile=profile: d.get("failover", {}).get(profile))
            if found is not None:
                results.setdefault("failover", {})[profile] = found
                carried[f"failover-{profile}"] = date
    results["carried_over"] = carried
    return results


def _from(results, suite):
    """' (measured on <date>)' for a suite carried over from an earlier file."""
    date = (results.get("carried_over") or {}).get(suite)
    return f" (measured on {date}, not run again since)" if date else ""


def markdown(results, image_name):
    m = results.get("machine", {})
    parts = [
        "# Performance\n",
        "<!-- Generated by `make bench` (benchmarks/bench.py report) from "
        f"benchmarks/results/{results.get('date', '')[:10]}.json; edit benchmarks/notes.md, "
        "not this file. -->\n",
        "Every figure here was measured on the lab (`make lab`: two Debian 12 load balancers, two "
        "nginx servers, an SMTP relay, all systemd containers on one docker bridge) by `make bench`, "
        "which rebuilds the lab, deploys it with site.yml and runs every measurement again; "
        "`benchmarks/results/` keeps the raw figures of each run. Medians, with the range over the "
        "runs in brackets. The client is the controller, on the docker bridge.\n",
        f"Measured {_when(results)}, on {m.get('cpus', '?')} CPUs ({m.get('cpu') or 'unknown'}), "
        f"{m.get('memory_gib', '?')} GiB, kernel {m.get('kernel', '?')}, Docker {m.get('docker', '?')}; "
        f"{m.get('haproxy', '')}; {m.get('keepalived', '')}; {m.get('wrk', '')}.\n",
        *(
            [
                "Not measured again in this run, carried over from earlier results files: "
                + ", ".join(
                    f"{suite} ({date})" for suite, date in sorted(results["carried_over"].items())
                )
                + ".\n"
            ]
            if results.get("carried_over")
            else []
        ),
        f"![Fail-over figures of both profiles](images/{image_name})\n",
        "## Targets\n",
        _table(("Target", "Profile", "Limit", "Measured", "Result"), target_rows(results)) + "\n",
    ]
    failover = results.get("failover", {})
    if failover:
        parts.append("## Fail-over\n")
        for name in ("default", "fast"):
            if name in failover:
                parts.append(
                    failover_section(name, failover[name], _from(results, f"failover-{name}"))
                )
    if results.get("rolling_restart"):
        parts.append(
            rolling_restart_section(results["rolling_restart"], _from(results, "rolling_restart"))
        )
    reloads = results.get("reloads")
    if reloads:
        rows = [
            (
                i + 1,
                r["reloads"],
                _num(r["seconds"], 1),
                _num(r["wrk"]["rps"], 0),
                f"{r['wrk']['failed']} of {r['wrk']['requests']}",
                f"{r['client_failed']} of {r['client_requests']}",
                spread(r["reload_s"], 3),
            )
            for i, r in enumerate(reloads["runs"])
        ]
        parts += [
            f"## Reloads under load{_from(results, 'reloads')}\n",
            f"`systemctl reload haproxy` on the master {reloads['count']} times, {reloads['gap_s']} s "
            "apart, while wrk (2 threads, 16 keep-alive connections) and the new-connection client "
            "(every 10 ms) send requests to the VIP.\n",
            _table(
                (
                    "Run",
                    "Reloads",
                    "Seconds",
                    "wrk requests/s",
                    "wrk failed",
                    "client failed",
                    "systemctl reload (s)",
                ),
                rows,
            )
            + "\n",
        ]
    throughput = results.get("throughput")
    if throughput:
        parts.append(throughput_section(throughput, _from(results, "throughput")))
    deploy = results.get("deploy")
    if deploy:
        rows = []
        if "fresh" in deploy:
            fresh = deploy["fresh"]
            rows.append(
                (
                    f"site.yml on the fresh lab ({len(fresh['runs'])} fresh labs)"
                    if "runs" in fresh
                    else "site.yml on the fresh lab",
                    spread(fresh["seconds_summary"], 1)
                    if "seconds_summary" in fresh
                    else _num(fresh["seconds"], 1),
                    deploy["fresh"]["changed"],
                    deploy["fresh"].get("tasks_per_host", "-"),
                )
            )
        idem = deploy["idempotent"]
        rows.append(
            (
                f"site.yml again, nothing to change ({len(idem['runs'])} runs)",
                spread(idem["seconds"], 1),
                spread(idem["changed"], 0),
                spread(idem["tasks_per_host"], 0) if "tasks_per_host" in idem else "-",
            )
        )
        parts += [
            f"## Deploy{_from(results, 'deploy')}\n",
            _table(("Run", "Seconds", "Changed (both nodes)", "Tasks per host"), rows) + "\n",
        ]
    scale = results.get("scale")
    if scale:
        hap = scale["haproxy"]
        vrrp = scale["vrrp"]
        parts += [
            f"## Scale{_from(results, 'scale')}\n",
            _table(
                ("Measurement", "Seconds"),
                [
                    (
                        f"render {hap['servers']} servers ({hap['config_bytes'] // 1024} KiB haproxy.cfg), Python on the controller",
                        spread(hap["render_s"], 3),
                    ),
                    ("`haproxy -c` of that file on a node", spread(hap["haproxy_check_s"], 3)),
                    (
                        "the haproxy_config module end to end (a playbook run: checks, render, `haproxy -c`, write)",
                        spread(hap["module_playbook_s"], 1),
                    ),
                    (
                        f"site.yml deploying {vrrp['instances']} VRRP instances (changed {vrrp['deploy_changed']})",
                        _num(vrrp["deploy_s"], 1),
                    ),
                    (
                        f"all {vrrp['instances']} VIPs on the master after that deploy",
                        _num(vrrp["settled_after_deploy_s"], 1),
                    ),
                    (
                        f"node loss: first of {vrrp['instances']} VIPs on the backup",
                        spread(vrrp["first_moved_after_s"]),
                    ),
                    (
                        f"node loss: all {vrrp['instances']} VIPs on the backup",
                        spread(vrrp["all_moved_after_s"]),
                    ),
                ],
            )
            + "\n",
            f"After each node loss, {', '.join(str(r['answered_on_backup']) for r in vrrp['runs'])} of "
            f"{vrrp['instances']} VIPs answered HTTP on the backup; back to one instance, "
            f"{len(vrrp['leftover_vips_after_restore'])} address(es) of the others were left behind.\n",
        ]
    if results.get("pairs"):
        parts.append(pairs.section(results["pairs"], _from(results, "pairs")))
    if NOTES.exists():
        parts.append(NOTES.read_text().strip() + "\n")
    return "\n".join(parts)


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    failover = results.get("failover", {})
    # (key, title, symlog threshold or None): the give-back panels span from
    # nothing to tens of seconds (or hundreds of requests), hence symlog.
    panels = (
        ("answers_again_s", "VIP answers again after (s)", None),
        ("failed", "failed requests during the fault (10 ms client)", None),
        ("two_holders_s", "seconds with two VIP holders", None),
        ("failed_giveback", "failed requests during the give-back", 1.0),
        ("dead_after_undo_s", "longest stretch without an answer after the undo (s)", 0.1),
    )
    colours = {"default": "#1f77b4", "fast": "#d62728"}
    fig, grid = plt.subplots(2, 3, figsize=(16, 9.5), constrained_layout=True)
    axes = list(grid.flat)
    rolling = (results.get("rolling_restart") or {}).get("runs") or []
    if rolling:
        ax = axes[-1]
        counts = [r["failed"] for r in rolling]
        ax.bar(range(1, len(counts) + 1), counts, color=colours["default"], alpha=0.7)
        for i, r in enumerate(rolling, 1):
            label = f"{counts[i - 1]}" + (" (playbook failed)" if r.get("error") else "")
            ax.annotate(label, (i, counts[i - 1]), ha="center", va="bottom", fontsize=9)
        ax.set_xticks(range(1, len(counts) + 1))
        ax.set_xlabel("run")
        ax.set_title("rolling restart: failed requests per run", fontsize=10)
        ax.set_yscale("symlog", linthresh=1.0)
        ax.set_ylim(bottom=0, top=max(10, max(counts) * 2))
        ax.grid(axis="y", alpha=0.3)
    else:
        axes[-1].axis("off")
    faults = [f for f in FAULT_ORDER if any(f in p.get("faults", {}) for p in failover.values())]
    for ax, (key, title, linthresh) in zip(axes, panels, strict=False):
        top = 0.0  # the highest dot or target, so that none is cut off
        for offset, name in ((-0.18, "default"), (0.18, "fast")):
            data = failover.get(name, {}).get("faults", {})
            for i, fault in enumerate(faults):
                runs = data.get(fault, {}).get("runs", [])
                values = [r[key] for r in runs if r.get(key) is not None]
                if not values:
                    continue
                top = max(top, *values)
                xs = [i + offset] * len(values)
                ax.scatter(xs, values, s=14, color=colours[name], alpha=0.6, zorder=3)
                stat = data[fault].get(key)
                median = stat["median"] if stat else sorted(values)[len(values) // 2]
                ax.hlines(
                    median,
                    i + offset - 0.14,
                    i + offset + 0.14,
                    color=colours[name],
                    linewidth=2.5,
                    zorder=4,
                )
            for _label, profile, (fault, target_key), limit in TARGETS:
                if profile == name and target_key == key and fault in faults:
                    at = faults.index(fault) + offset
                    top = max(top, limit)
                    ax.hlines(
                        limit, at - 0.16, at + 0.16, color=colours[name], linestyle=":", zorder=2
                    )
        ax.set_xticks(range(len(faults)))
        ax.set_xticklabels([LABELS[f] for f in faults], rotation=30, ha="right")
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        if linthresh:
            ax.set_yscale("symlog", linthresh=linthresh)
            ax.set_ylim(bottom=0, top=max(top * 2, linthresh * 10))
        else:
            ax.set_ylim(bottom=0, top=max(top * 1.08, 0.01))
    for name, colour in colours.items():
        if name in failover:
            p = failover[name]
            axes[0].scatter(
                [],
                [],
                color=colour,
                label=f"{name}: VRRPv{p['version']}, advert {p['advert_int']} s",
            )
    axes[0].legend(loc="upper left", fontsize=8)
    fig.suptitle(
        f"halb.cluster fail-over on the lab, {results.get('date', '')[:10]} (dots: runs, bars: medians, dotted: targets)"
    )
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write(results_path):
    results_path = pathlib.Path(results_path)
    results = carry_over(results_path, json.loads(results_path.read_text()))
    image = results_path.with_suffix(".png")
    plot(results, image)
    DOC_IMAGE.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(image, DOC_IMAGE)
    DOC.write_text(markdown(results, DOC_IMAGE.name))
    print(f"wrote {image}, {DOC_IMAGE} and {DOC}")
