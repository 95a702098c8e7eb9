#!/usr/bin/env python
"""`make bench`: measure the lab and record the figures.

    bench.py run [--fresh] [--repetitions N] [--partition-repetitions N] [--only SUITE ...]
                 [--pairs N] [--pairs-rounds N] [--pairs-budget MIN] [--pairs-note TEXT]
                 [--no-report]
    bench.py report [RESULTS.json]

`run` needs the lab (`make lab`; `make bench` builds a fresh one and passes
--fresh, so that the first site.yml run is timed), except the suite `pairs`,
which starts containers of its own (halb_bench/pairs.py), and merges what it measured
into benchmarks/results/<date>.json; `report` turns a results file into its
PNG plot and docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from halb_bench import pairs, report, suites, throughput  # noqa: E402
from halb_bench.lab import Lab  # noqa: E402

RESULTS = pathlib.Path(__file__).resolve().parent / "results"
# The results key of a suite whose name differs (fail-over profiles are merged).
RESULTS_KEY = {
    "rolling-restart": "rolling_restart",
    "failover-default": "failover",
    "failover-fast": "failover",
}
SUITES = (
    "deploy",
    "failover-default",
    "rolling-restart",
    "reloads",
    "throughput",
    "scale",
    "failover-fast",
    "pairs",
)
# Suites that need no lab (their own containers): a run of these only leaves
# the results file's machine entry as it is (it describes the lab's nodes).
LAB_FREE = {"pairs"}


def _now():
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


# What a run writes besides its suites' own results: merged key by key.
_MERGED = ("suite_started", "suite_seconds", "profile_switch", "failover")


def merge(on_disk, results, measured):
    """``results`` of this run laid over the results file as it is now on
    disk: the suites this run measured (``measured``, results keys) replace
    theirs, the per-suite dictionaries are merged, the rest is this run's.
    Two `bench.py run --only` on the same day (different suites) then keep
    each other's figures, whichever saves last."""
    merged = dict(on_disk)
    for key, value in results.items():
        if key in _MERGED and isinstance(value, dict):
            merged[key] = {**on_disk.get(key, {}), **value}
        elif key in measured or key not in on_disk or key in ("date", "machine"):
            merged[key] = value
    return merged


def _save(path, results, measured=()):
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        results = merge(json.loads(path.read_text()), results, set(measured))
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    tmp.replace(path)


def run(args):
    lab = Lab()
    path = RESULTS / f"{datetime.date.today().isoformat()}.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results["date"] = _now()
    wanted = args.only or list(SUITES)
    started = time.monotonic()
    profile = "default"
    deployed = None  # the profile this run deployed (a fresh or reused lab may run anything)
    measured = set()  # the results keys this run wrote (_save)
    try:
        for name in SUITES:
            if name not in wanted:
                continue
            suites.log(f"suite {name}")
            results.setdefault("suite_started", {})[name] = _now()
            t0 = time.monotonic()
            if name == "deploy":
                results["deploy"] = suites.deploy(
                    lab, fresh=args.fresh, repetitions=args.deploy_repetitions
                )
                deployed = "default"
            elif name.startswith("failover-"):
                # Deploy the suite's profile first, also the default one (a
                # reused lab may run anything).
                wanted_profile = name.split("-", 1)[1]
                results.setdefault("profile_switch", {})[wanted_profile] = suites.set_profile(
                    lab, wanted_profile
                )
                profile = deployed = wanted_profile
                results.setdefault("failover", {})[wanted_profile] = suites.failover(
                    lab,
                    wanted_profile,
                    repetitions=args.repetitions,
                    fault_repetitions={"partition": args.partition_repetitions},
                )
            elif name == "rolling-restart":
                switched = None
                if deployed != "default":
                    switched = suites.set_profile(lab, "default")
                    profile = deployed = "default"
                results["rolling_restart"] = suites.rolling_restart(
                    lab, repetitions=args.repetitions
                )
                results["rolling_restart"]["deployed_first"] = switched
            elif name == "reloads":
                results["reloads"] = suites.reloads(lab)
            elif name == "throughput":
                results["throughput"] = throughput.throughput(
                    lab, suites.log, repetitions=args.repetitions
                )
            elif name == "scale":
                results["scale"] = {
                    "haproxy": suites.scale_haproxy(lab, repetitions=args.repetitions),
                    "vrrp": suites.scale_vrrp(lab),
                }
            elif name == "pairs":
                results["pairs"] = pairs.pairs(
                    max_pairs=args.pairs,
                    rounds=args.pairs_rounds,
                    repetitions=args.deploy_repetitions,
                    note=args.pairs_note,
                    budget_s=None if args.pairs_budget is None else args.pairs_budget * 60,
                )
            results.setdefault("suite_seconds", {})[name] = round(time.monotonic() - t0, 1)
            measured.add(RESULTS_KEY.get(name, name))
            _save(path, results, measured)
    finally:
        if profile != "default":
            suites.set_profile(lab, "default")
        # Read once the lab is deployed (a fresh lab has no haproxy yet).
        if not set(wanted) <= LAB_FREE:
            results["machine"] = suites.machine(lab)
        else:
            results.setdefault("machine", {"cpus": os.cpu_count()})
        _save(path, results, measured)
    suites.log(f"done in {time.monotonic() - started:.0f} s: {path}")
    if args.report:
        report.write(path)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="measure the lab")
    p_run.add_argument(
        "--fresh", action="store_true", help="the lab was just created: time the first site.yml"
    )
    p_run.add_argument(
        "--repetitions", type=int, default=5, help="repetitions of each measurement (default 5)"
    )
    p_run.add_argument(
        "--partition-repetitions",
        type=int,
        default=3,
        help="runs of the partition fault, 15 s and 60 s of give-back (default 3)",
    )
    p_run.add_argument(
        "--deploy-repetitions", type=int, default=3, help="idempotent site.yml runs (default 3)"
    )
    p_run.add_argument("--only", nargs="+", choices=SUITES, help="these suites only")
    p_run.add_argument(
        "--pairs", type=int, default=3, help="pairs: 1 to N pairs (default 3, at most 9)"
    )
    p_run.add_argument(
        "--pairs-rounds",
        type=int,
        default=1,
        help="pairs: fresh deploys of each pair count and forks setting (default 1)",
    )
    p_run.add_argument(
        "--pairs-budget",
        type=int,
        default=None,
        help="pairs: start no round after this many minutes (default: no limit)",
    )
    p_run.add_argument(
        "--pairs-note",
        default="",
        help="pairs: one line written beside the figures (e.g. what else ran on the machine)",
    )
    p_run.add_argument(
        "--no-report",
        dest="report",
        action="store_false",
        help="only the results file: neither docs/performance.md nor the PNG",
    )
    p_report = sub.add_parser("report", help="PNG and docs/performance.md from a results file")
    p_report.add_argument(
        "results", nargs="?", help="default: the newest file in benchmarks/results"
    )
    args = parser.parse_args(argv)
    if args.command == "run":
        if args.repetitions < 1 or args.partition_repetitions < 1:
            parser.error("--repetitions and --partition-repetitions must be at least 1")
        try:
            pairs.plan(args.pairs, args.pairs_rounds)
            pairs.check_note(args.pairs_note)
            if args.pairs_budget is not None:
                pairs._count(args.pairs_budget, "--pairs-budget", 1, 24 * 60)
        except pairs.PairsError as exc:
            parser.error(str(exc))
        return run(args)
    path = pathlib.Path(args.results) if args.results else max(RESULTS.glob("*.json"), default=None)
    if path is None:
        parser.error("no results in benchmarks/results: run `make bench` first")
    report.write(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
