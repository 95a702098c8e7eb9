"""`bench.py run --only pairs`: how site.yml grows with the number of pairs.

Deploy time (site.yml on fresh containers) and idempotent-run time of 1, 2
and 3 pairs, each at Ansible's default forks (5) and at forks = 2 x the load
balancers of the run. Every deploy figure is a first run on containers
created for it: a round creates 2 x N fresh load balancers, prepares them
(molecule/shared/prepare-stack.yml), times site.yml once (the deploy), checks
that every pair's VIP answers, times site.yml again (idempotent runs) and
removes the load balancers. One nginx web server serves every round.

Everything runs on the bench's own docker network halb-bpairs
(172.30.91.0/24, the controller is .1) in containers named halb-bpairs-*,
started with the Molecule scenarios' run options (.config/molecule/config.yml),
not in the lab. The inventory is written to build/bench/pairs/ in the N-pair
shape: a group per pair (pair_a, pair_b, ...) under loadbalancers, each with
its own VRID and VIP. The containers and the network are removed at the end,
also when a run fails or the bench is stopped (SIGTERM), and a stale run's are
removed by name before the first round.

The pure functions (inventory, plan, derive, section) are unit-tested in
tests/unit/benchmarks/test_pairs.py.
"""

from __future__ import annotations

import atexit
import datetime
import ipaddress
import json
import os
import pathlib
import signal
import subprocess
import time

import yaml

from . import analysis as A
from .client import answers

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Beside the inventory, not in it (ansible-playbook -i DIR reads every file in DIR).
WORK_DIR = ROOT / "build" / "bench" / "pairs"
INVENTORY_DIR = WORK_DIR / "inventory"
SECRETS_DIR = WORK_DIR / "secrets"
LOG_DIR = WORK_DIR / "logs"
PARTIAL = WORK_DIR / "partial.json"
MOLECULE_CONFIG = ROOT / ".config" / "molecule" / "config.yml"
PREPARE = ROOT / "molecule" / "shared" / "prepare-stack.yml"
# The installed collection's site.yml (as `ansible-playbook halb.cluster.site`): the
# playbook and the roles from the same tarball (`make collection`).
SITE = "halb.cluster.site"

NETWORK = "halb-bpairs"
SUBNET = "172.30.91.0/24"
GATEWAY = "172.30.91.1"
PREFIX = "halb-bpairs-"
WEB = ("halb-bpairs-web1", "172.30.91.21")
WEB_PORT = 8000
# Ansible's own default (ansible-core DEFAULT_FORKS); always passed with -f,
# so that an ANSIBLE_FORKS in the environment changes nothing.
DEFAULT_FORKS = 5
FORKS_SETTINGS = ("default", "double")
# Pair k (1-based): group pair_<letter>, load balancers .(30 + 2k - 1) and
# .(30 + 2k), VIP .(100 + k), VRID 100 + k. Nine pairs fit the addresses.
MAX_PAIRS = 9
LABEL = {"owner": "halb-bench-pairs"}

PLAYBOOK_TIMEOUT = 1800
VIP_TIMEOUT = 90.0
BOOT_TIMEOUT = 120.0


class PairsError(RuntimeError):
    """A bad option of the pairs suite, or a round that failed."""


def _count(value, name, lo, hi):
    """``value`` as an int in [lo, hi]; PairsError naming ``name`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise PairsError(f"{name}: expected a whole number, got {type(value).__name__}")
    if not lo <= value <= hi:
        raise PairsError(f"{name}: {value} is not between {lo} and {hi}")
    return value


# --- the plan and the inventory (pure) ------------------------------------------


def pair_layout(pairs):
    """The ``pairs`` pairs: [{group, vrid, vip, hosts: [(name, address), ...]}]."""
    _count(pairs, "pairs", 1, MAX_PAIRS)
    net = ipaddress.ip_network(SUBNET)
    layout = []
    for k in range(1, pairs + 1):
        letter = "abcdefghi"[k - 1]
        layout.append(
            {
                "group": f"pair_{letter}",
                "vrid": 100 + k,
                "vip": str(net.network_address + 100 + k),
                "hosts": [
                    (f"{PREFIX}{letter}-lb{j}", str(net.network_address + 30 + 2 * (k - 1) + j))
                    for j in (1, 2)
                ],
            }
        )
    return layout


def forks_for(setting, hosts):
    """The forks of a setting: Ansible's default, or 2 x the load balancers."""
    _count(hosts, "hosts", 1, 2 * MAX_PAIRS)
    if setting == "default":
        return DEFAULT_FORKS
    if setting == "double":
        return 2 * hosts
    raise PairsError(f"forks setting: {setting!r} is not one of {', '.join(FORKS_SETTINGS)}")


def plan(max_pairs=3, rounds=1):
    """The rounds, in the order they run: for each repetition, forks 5 on 1
    to ``max_pairs`` pairs, then forks 2 x hosts from ``max_pairs`` pairs down
    to 1. Ansible runs min(forks, hosts) workers, so 2 x hosts differs from 5
    only where there are more than 5 hosts: those rounds come first, and a
    run cut short by its time budget (pairs(budget_s=...)) loses the rounds
    that tell the least. Each round gets fresh load balancers."""
    _count(max_pairs, "--pairs", 1, MAX_PAIRS)
    _count(rounds, "--pairs-rounds", 1, 20)
    order = [(n, "default") for n in range(1, max_pairs + 1)]
    order += [(n, "double") for n in range(max_pairs, 0, -1)]
    return [
        {"pairs": n, "hosts": 2 * n, "forks_setting": s, "forks": forks_for(s, 2 * n)}
        for _rep in range(rounds)
        for n, s in order
    ]


def inventory(pairs):
    """The inventory of ``pairs`` pairs, {relative path: data}: hosts.yml
    (loadbalancers with a child group per pair, the web server) and
    group_vars (shared settings in loadbalancers, each pair's VRID, VIP and
    keepalived_cluster_group in its own group). Secrets are password lookups
    into ``bpairs_secrets_dir`` (build/bench/pairs/secrets, 0700, beside the
    inventory)."""
    layout = pair_layout(pairs)
    web_name, web_address = WEB
    password = (
        "{{{{ lookup('ansible.builtin.password', bpairs_secrets_dir ~ '/{name}', "
        "length={length}, chars=['ascii_letters', 'digits']) }}}}"
    )
    files = {
        "hosts.yml": {
            "all": {
                "vars": {
                    "ansible_connection": "community.docker.docker",
                    "ansible_python_interpreter": "/usr/bin/python3",
                    "bpairs_secrets_dir": "{{ inventory_dir }}/../secrets",
                },
                "children": {
                    "loadbalancers": {
                        "children": {
                            p["group"]: {
                                "hosts": {
                                    name: {"lab_address": address, "lab_name": name[len(PREFIX) :]}
                                    for name, address in p["hosts"]
                                }
                            }
                            for p in layout
                        }
                    },
                    "webservers": {
                        "hosts": {web_name: {"lab_address": web_address, "lab_name": "web1"}}
                    },
                },
            }
        },
        "group_vars/webservers.yml": {
            "lab_web_port": WEB_PORT,
            "lab_server": {
                "name": "{{ lab_name }}",
                "address": "{{ lab_address }}",
                "port": "{{ lab_web_port }}",
                "check": True,
                "inter": "1s",
                "rise": 2,
                "fall": 2,
            },
        },
        "group_vars/loadbalancers.yml": {
            "haproxy_certificates": [
                {"name": "www", "self_signed": True, "common_name": "www.bpairs.halb.test"}
            ],
            "haproxy_frontends": [
                {
                    "name": "fe_web",
                    "binds": [
                        {"port": 80},
                        {"port": 443, "ssl": True, "crt": "/etc/haproxy/certs/www.pem"},
                    ],
                    "options": ["forwardfor"],
                    "default_backend": "be_web",
                }
            ],
            "haproxy_backends": [
                {
                    "name": "be_web",
                    "balance": "roundrobin",
                    "httpchk": {"method": "GET", "uri": "/test.html"},
                    "servers": "{{ groups['webservers'] | map('extract', hostvars, 'lab_server') | list }}",
                }
            ],
            "haproxy_stats_password": password.format(name="stats-password", length=20),
            "haproxy_stats_allowed_networks": [f"{GATEWAY}/32"],
            "haproxy_stats_admin_networks": [f"{GATEWAY}/32"],
        },
    }
    for p in layout:
        files[f"group_vars/{p['group']}.yml"] = {
            "keepalived_cluster_group": p["group"],
            "keepalived_instances": [
                {
                    "name": f"VI_{p['group'][5:].upper()}",
                    "interface": "eth0",
                    "virtual_router_id": p["vrid"],
                    "authentication": {
                        "type": "PASS",
                        "password": password.format(name=f"vrrp-{p['group']}", length=8),
                    },
                    "virtual_ipaddresses": [{"address": p["vip"], "prefix": 24, "dev": "eth0"}],
                }
            ],
        }
    return files


def write_inventory(pairs, directory=INVENTORY_DIR):
    """inventory(pairs) as YAML files under ``directory`` (the group_vars of
    pairs of an earlier round removed); returns the directory."""
    directory = pathlib.Path(directory)
    (directory / "group_vars").mkdir(parents=True, exist_ok=True)
    (directory.parent / "secrets").mkdir(mode=0o700, exist_ok=True)
    os.chmod(directory.parent / "secrets", 0o700)
    for stale in (directory / "group_vars").glob("pair_*.yml"):
        stale.unlink()
    for rel, data in inventory(pairs).items():
        (directory / rel).write_text(
            "---\n# Written by benchmarks/halb_bench/pairs.py for one round of the pairs suite.\n"
            + yaml.safe_dump(data, sort_keys=False, width=200)
        )
    return directory


def run_options(config):
    """docker SDK keyword arguments of a load balancer and of the web server
    from .config/molecule/config.yml's driver.halb_platform_defaults (and
    halb_group_defaults.loadbalancers for the load balancers), the run
    options of every Molecule scenario: {"loadbalancers": {...}, "webservers": {...}}."""
    driver = (config or {}).get("driver") or {}
    base = driver.get("halb_platform_defaults")
    if not isinstance(base, dict) or not base.get("image"):
        raise PairsError(
            "driver.halb_platform_defaults.image: missing in .config/molecule/config.yml"
        )
    common = {
        "image": base["image"],
        "command": base.get("command"),
        "stop_signal": base.get("stop_signal"),
        "environment": dict(base.get("env") or {}),
        "cgroupns": base.get("cgroupns_mode"),
        "volumes": list(base.get("volumes") or []),
        "tmpfs": {path: "" for path in base.get("tmpfs") or []},
        "cap_add": list(base.get("capabilities") or []),
    }
    lbs = dict(common)
    group = (driver.get("halb_group_defaults") or {}).get("loadbalancers") or {}
    if group.get("sysctls"):
        lbs["sysctls"] = {k: str(v) for k, v in group["sysctls"].items()}
    return {"loadbalancers": lbs, "webservers": common}


# --- the figures (pure) -------------------------------------------------------------


def _slope(points):
    """Least-squares slope and intercept of (x, y) points; None with fewer
    than two distinct x."""
    points = [(x, y) for x, y in points if y is not None]
    xs = {x for x, _y in points}
    if len(xs) < 2:
        return None
    n = len(points)
    mx = sum(x for x, _y in points) / n
    my = sum(y for _x, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _y in points)
    sxy = sum((x - mx) * (y - my) for x, y in points)
    slope = sxy / sxx
    return {"seconds_per_pair": round(slope, 2), "intercept_s": round(my - slope * mx, 2)}


def _per_minute(pairs, seconds):
    return round(pairs * 60.0 / seconds, 2) if seconds else None


def derive(rounds):
    """The figures of the rounds: per forks setting and pair count, the
    deploy seconds (median over the rounds) and the idempotent seconds
    (median over every idempotent run), each as pairs per minute one
    controller handles (pairs x 60 / seconds); per forks setting, what one
    pair more adds (least-squares slope over the pair counts) and the pairs
    per minute at the largest pair count measured."""
    out = {}
    for setting in FORKS_SETTINGS:
        mine = [r for r in rounds if r.get("forks_setting") == setting and r.get("deploy")]
        if not mine:
            continue
        rows = []
        for n in sorted({r["pairs"] for r in mine}):
            of_n = [r for r in mine if r["pairs"] == n]
            deploy = A.summary([r["deploy"]["seconds"] for r in of_n])
            idem = A.summary(
                [run["seconds"] for r in of_n for run in r.get("idempotent", {}).get("runs", [])]
            )
            rows.append(
                {
                    "pairs": n,
                    "hosts": of_n[0]["hosts"],
                    "forks": sorted({r["forks"] for r in of_n}),
                    "rounds": len(of_n),
                    "deploy_s": deploy,
                    "idempotent_s": idem,
                    "deploy_pairs_per_minute": _per_minute(n, deploy["median"]),
                    "idempotent_pairs_per_minute": _per_minute(n, idem["median"]),
                    "idempotent_changed": sum(
                        run["changed"]
                        for r in of_n
                        for run in r.get("idempotent", {}).get("runs", [])
                    ),
                    "vips_answering": [r["deploy"].get("vips_answering") for r in of_n],
                }
            )
        largest = rows[-1]
        out[setting] = {
            "rows": rows,
            "deploy_growth": _slope([(r["pairs"], r["deploy"]["seconds"]) for r in mine]),
            "idempotent_growth": _slope(
                [
                    (r["pairs"], run["seconds"])
                    for r in mine
                    for run in r.get("idempotent", {}).get("runs", [])
                ]
            ),
            "at_pairs": largest["pairs"],
            "deploy_pairs_per_minute": largest["deploy_pairs_per_minute"],
            "idempotent_pairs_per_minute": largest["idempotent_pairs_per_minute"],
        }
    return out


FORKS_TEXT = {"default": f"{DEFAULT_FORKS} (Ansible's default)", "double": "2 x hosts"}


def section(data, note=""):
    """The Markdown section of docs/performance.md for results["pairs"]."""
    derived = data.get("derived") or derive(data.get("rounds", []))
    if not derived:
        return ""
    rows = []
    for setting in FORKS_SETTINGS:
        for row in (derived.get(setting) or {}).get("rows", []):
            rows.append(
                (
                    row["pairs"],
                    row["hosts"],
                    ", ".join(str(f) for f in row["forks"]),
                    A.spread(row["deploy_s"], 1),
                    A.number(row["deploy_pairs_per_minute"], 2),
                    A.spread(row["idempotent_s"], 1),
                    A.number(row["idempotent_pairs_per_minute"], 2),
                    row["idempotent_changed"],
                )
            )
    header = (
        "Pairs",
        "Load balancers",
        "Forks",
        "Deploy (s)",
        "Pairs per minute, deploy",
        "Idempotent run (s)",
        "Pairs per minute, idempotent",
        "Changed in idempotent runs",
    )
    table = "\n".join(
        ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    )
    rounds = data.get("rounds", [])
    idem_runs = max((len(r.get("idempotent", {}).get("runs", [])) for r in rounds), default=0)
    per_key = max(
        (
            sum(1 for r in rounds if (r["pairs"], r["forks_setting"]) == key)
            for key in {(r["pairs"], r["forks_setting"]) for r in rounds}
        ),
        default=0,
    )
    lines = [
        f"## Many pairs{note}\n",
        "site.yml on 1, 2 and 3 pairs (two load balancers each, a group per pair under "
        "`loadbalancers`, one shared nginx server), in containers of their own on the docker "
        "network halb-bpairs, not the lab. Deploy: the first site.yml run on load balancers "
        "created for it ("
        + ("one fresh set per row" if per_key == 1 else f"{per_key} fresh sets per row, median")
        + f"); idempotent: {idem_runs} idempotent run{'s' if idem_runs != 1 else ''} right "
        "after each deploy (median and range). Forks: Ansible's default (5) and 2 x the load "
        "balancers. Pairs per minute: pairs x 60 / seconds, what one controller gets through "
        "at that setting.\n",
        table + "\n",
    ]
    growth = []
    for setting in FORKS_SETTINGS:
        d = derived.get(setting)
        if not d:
            continue
        dg, ig = d.get("deploy_growth"), d.get("idempotent_growth")
        growth.append(
            f"- forks {FORKS_TEXT[setting]}: one pair more adds "
            f"{A.number(dg and dg['seconds_per_pair'], 1)} s to a deploy and "
            f"{A.number(ig and ig['seconds_per_pair'], 1)} s to an idempotent run (least squares over "
            f"the pair counts); at {d['at_pairs']} pairs one controller deploys "
            f"{A.number(d['deploy_pairs_per_minute'], 2)} pairs per minute and runs site.yml over "
            f"{A.number(d['idempotent_pairs_per_minute'], 2)} pairs per minute with nothing to change."
        )
    if growth:
        lines.append("\n".join(growth) + "\n")
    skipped = data.get("skipped") or []
    if skipped:
        budget = (data.get("context") or {}).get("budget_s")
        lines.append(
            "Not measured"
            + (f" (the run's time budget of {budget / 60:.0f} min was spent)" if budget else "")
            + ": "
            + ", ".join(
                f"{r['pairs']} pair{'s' if r['pairs'] != 1 else ''} at forks {r['forks']}"
                for r in skipped
            )
            + ".\n"
        )
    context = data.get("context") or {}
    if context:
        lines.append(
            f"Measured {context.get('started', '?')[:16].replace('T', ' ')} UTC to "
            f"{context.get('finished', '?')[:16].replace('T', ' ')} UTC on "
            f"{context.get('cpus', '?')} CPUs, {context.get('nodes', '')}; load average "
            f"{context.get('load_start', '?')} at the start, {context.get('load_end', '?')} at "
            f"the end. {context.get('note', '')}".strip()
            + "\n"
        )
    return "\n".join(lines)


# --- the rounds (docker, ansible-playbook) ----------------------------------------


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] pairs: {message}", flush=True)


class Containers:
    """The suite's docker network and containers: created on demand, every
    one removed by close() (also at exit and on SIGTERM while open); what a
    stale run left (names halb-bpairs-*, the network) is removed on entry."""

    def __init__(self, client=None):
        import docker

        self.client = client or docker.from_env(timeout=120)
        config = yaml.safe_load(MOLECULE_CONFIG.read_text())
        self.options = run_options(config)
        self.network = None
        self._old_handler = None

    def _remove_ours(self, names=None):
        errors = []
        for box in self.client.containers.list(all=True, filters={"name": PREFIX}):
            if not box.name.startswith(PREFIX) or (names is not None and box.name not in names):
                continue
            try:
                box.remove(force=True)
            except Exception as exc:  # noqa: BLE001 - remove the others, then report
                errors.append(f"{box.name}: {exc}")
        return errors

    def close(self):
        errors = self._remove_ours()
        for net in self.client.networks.list(names=[NETWORK]):
            if net.name == NETWORK:
                try:
                    net.remove()
                except Exception as exc:  # noqa: BLE001
                    errors.append(f"network {NETWORK}: {exc}")
        self.network = None
        return errors

    def __enter__(self):
        def stop(signum, _frame):
            raise SystemExit(128 + signum)

        self._old_handler = signal.signal(signal.SIGTERM, stop)
        atexit.register(self.close)
        stale = self.close()
        if stale:
            raise PairsError("could not remove a stale run's containers: " + "; ".join(stale))
        import docker

        self.client.images.get(self.options["loadbalancers"]["image"])  # `make image` first
        ipam = docker.types.IPAMConfig(
            pool_configs=[docker.types.IPAMPool(subnet=SUBNET, gateway=GATEWAY)]
        )
        self.network = self.client.networks.create(
            NETWORK, driver="bridge", ipam=ipam, labels=LABEL
        )
        return self

    def __exit__(self, *exc):
        try:
            errors = self.close()
        finally:
            atexit.unregister(self.close)
            signal.signal(signal.SIGTERM, self._old_handler)
        if errors and exc[0] is None:
            raise PairsError("could not remove " + "; ".join(errors))
        return False

    def start(self, name, address, kind):
        if not name.startswith(PREFIX):
            raise PairsError(f"container name {name!r} does not start with {PREFIX}")
        opts = {k: v for k, v in self.options[kind].items() if v not in (None, {}, [])}
        endpoint = self.client.api.create_endpoint_config(ipv4_address=address)
        box = self.client.containers.create(
            name=name,
            hostname=name,
            detach=True,
            network=NETWORK,
            networking_config={NETWORK: endpoint},
            labels=LABEL,
            **opts,
        )
        box.start()
        return box

    def remove(self, names):
        errors = self._remove_ours(set(names))
        if errors:
            raise PairsError("could not remove " + "; ".join(errors))


def playbook(path, inventory_dir, *options, timeout=PLAYBOOK_TIMEOUT):
    """ansible-playbook with the environment `make` gives (the installed
    collection); returns (seconds, recap). Output logged to build/bench/pairs/logs."""
    argv = ["ansible-playbook", "-i", str(inventory_dir), str(path), *options]
    env = {
        **os.environ,
        "ANSIBLE_PIPELINING": "True",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
    }
    start = time.monotonic()
    try:
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, env=env, check=False, cwd=ROOT
        )
    except subprocess.TimeoutExpired as exc:
        raise PairsError(f"{' '.join(argv)} took more than {timeout} s") from exc
    took = round(time.monotonic() - start, 2)
    output = proc.stdout + proc.stderr
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    name = "site" if path == SITE else pathlib.Path(path).stem
    (LOG_DIR / f"{name}-{int(time.time() * 1000)}.log").write_text(output)
    if proc.returncode != 0:
        raise PairsError(f"{' '.join(argv)} failed ({proc.returncode}): {output[-3000:]}")
    return took, A.play_recap(output)


def wait_vips(vips, timeout=VIP_TIMEOUT):
    """Seconds until every VIP answered HTTP 200 once (None if some did not
    within ``timeout``), and how many did."""
    start = time.monotonic()
    left = set(vips)
    while left and time.monotonic() - start < timeout:
        left = {v for v in left if not answers(v)}
        if left:
            time.sleep(0.5)
    took = round(time.monotonic() - start, 2)
    return (None if left else took), len(vips) - len(left)


def wait_booted(boxes, names, timeout=BOOT_TIMEOUT):
    """Until systemd in each container answers `systemctl is-system-running`
    with running or degraded (prepare-stack.yml's own wait fails on a
    container whose systemd is not up enough to run a command)."""
    start = time.monotonic()
    left = list(names)
    while left and time.monotonic() - start < timeout:
        still = []
        for name in left:
            result = boxes.client.containers.get(name).exec_run(["systemctl", "is-system-running"])
            if result.output.decode(errors="replace").strip() not in ("running", "degraded"):
                still.append(name)
        left = still
        if left:
            time.sleep(0.5)
    if left:
        raise PairsError(
            f"systemd did not finish booting within {timeout:.0f} s in {', '.join(left)}"
        )
    return round(time.monotonic() - start, 2)


def _now():
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def _load():
    return round(os.getloadavg()[0], 2)


def _first_line(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return out.strip().splitlines()[0] if out.strip() else None


def run_round(boxes, spec, repetitions, web_ready):
    """One round: fresh load balancers of spec["pairs"] pairs, prepare,
    deploy (timed), VIPs answer, ``repetitions`` idempotent runs (timed),
    load balancers removed. Returns the round's figures."""
    n, forks = spec["pairs"], spec["forks"]
    layout = pair_layout(n)
    names = [name for p in layout for name, _a in p["hosts"]]
    result = {**spec, "started": _now(), "load_start": _load()}
    try:
        for p in layout:
            for name, address in p["hosts"]:
                boxes.start(name, address, "loadbalancers")
        inv = write_inventory(n)
        wait_booted(boxes, names)
        t0 = time.monotonic()
        playbook(PREPARE, inv, *([] if not web_ready else ["--limit", "loadbalancers"]))
        result["prepare_s"] = round(time.monotonic() - t0, 2)
        took, recap = playbook(SITE, inv, "-f", str(forks))
        vips_s, answering = wait_vips([p["vip"] for p in layout])
        result["deploy"] = {
            "seconds": took,
            "changed": sum(h["changed"] for h in recap.values()),
            "tasks_per_host": A.tasks_per_host(recap),
            "hosts": len(recap),
            "vips_answering": answering,
            "vips_answer_after_s": vips_s,
        }
        log(
            f"{n} pair(s), forks {forks}: deploy {took} s, changed {result['deploy']['changed']}, "
            f"{answering} of {n} VIPs answer"
        )
        if answering != n:
            raise PairsError(f"only {answering} of {n} VIPs answered after the deploy")
        runs = []
        for rep in range(repetitions):
            took, recap = playbook(SITE, inv, "-f", str(forks))
            changed = sum(h["changed"] for h in recap.values())
            runs.append(
                {"seconds": took, "changed": changed, "tasks_per_host": A.tasks_per_host(recap)}
            )
            log(f"{n} pair(s), forks {forks}: idempotent #{rep + 1} {took} s, changed {changed}")
        result["idempotent"] = {
            "runs": runs,
            "seconds": A.summary([r["seconds"] for r in runs]),
            "changed": A.summary([r["changed"] for r in runs]),
        }
        if not result.get("versions"):
            node = layout[0]["hosts"][0][0]
            box = boxes.client.containers.get(node)
            result["versions"] = {
                cmd[0]: box.exec_run(["sh", "-c", cmd[1]]).output.decode(errors="replace").strip()
                for cmd in (
                    ("haproxy", "haproxy -v | head -1"),
                    ("keepalived", "keepalived --version 2>&1 | head -1"),
                )
            }
    finally:
        result["finished"] = _now()
        result["load_end"] = _load()
        boxes.remove(names)
    return result


def pairs(max_pairs=3, rounds=1, repetitions=3, note="", budget_s=None):
    """The suite: every round of plan(max_pairs, rounds), the web server
    started once; no round starts once ``budget_s`` seconds have passed
    (those are listed in "skipped"). Returns {"rounds", "skipped",
    "derived", "context"}."""
    _count(repetitions, "--deploy-repetitions", 1, 20)
    if budget_s is not None:
        _count(budget_s, "--pairs-budget", 60, 24 * 3600)
    specs = plan(max_pairs, rounds)
    began = time.monotonic()
    out = {
        "rounds": [],
        "skipped": [],
        "context": {
            "started": _now(),
            "load_start": _load(),
            "cpus": os.cpu_count(),
            "nodes": "Debian 12 systemd containers on the docker bridge halb-bpairs",
            "ansible": _first_line(["ansible-playbook", "--version"]),
            "note": note,
        },
    }
    with Containers() as boxes:
        boxes.start(*WEB, "webservers")
        web_ready = False
        for i, spec in enumerate(specs, 1):
            if budget_s is not None and time.monotonic() - began >= budget_s:
                log(f"time budget of {budget_s} s spent: round {i} and later not run")
                out["skipped"] = specs[i - 1 :]
                out["context"]["budget_s"] = budget_s
                break
            log(f"round {i} of {len(specs)}: {spec['pairs']} pair(s), forks {spec['forks']}")
            out["rounds"].append(run_round(boxes, spec, repetitions, web_ready))
            web_ready = True
            # What is done so far, should a later round fail or the run be stopped.
            PARTIAL.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    out["context"]["finished"] = _now()
    out["context"]["load_end"] = _load()
    versions = next((r["versions"] for r in out["rounds"] if r.get("versions")), {})
    out["context"].update(versions)
    out["derived"] = derive(out["rounds"])
    return out


def check_note(note):
    """The --pairs-note text (one line, printable, at most 300 characters)."""
    if not isinstance(note, str) or len(note) > 300 or not note.isprintable():
        raise PairsError("--pairs-note: expected one printable line of at most 300 characters")
    return note
