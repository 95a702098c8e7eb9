"""The pairs suite of `make bench` (halb_bench/pairs.py): its inventory, its
plan, the run options of its containers, the figures it derives and the
section of docs/performance.md it writes."""

from __future__ import annotations

import ipaddress
import json
import pathlib
import shutil
import subprocess
import sys

import pytest
import yaml
from halb_bench import pairs, report
from hypothesis import given, settings, strategies as st

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "benchmarks"))
import bench  # noqa: E402

# --- the layout and the inventory ----------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, pairs.MAX_PAIRS])
def test_layout_addresses_are_distinct_and_in_the_network(n):
    layout = pairs.pair_layout(n)
    assert [p["group"] for p in layout] == [f"pair_{c}" for c in "abcdefghi"[:n]]
    net = ipaddress.ip_network(pairs.SUBNET)
    addresses = [a for p in layout for _n, a in p["hosts"]] + [p["vip"] for p in layout]
    addresses += [pairs.GATEWAY, pairs.WEB[1]]
    assert len(set(addresses)) == len(addresses)
    assert all(ipaddress.ip_address(a) in net for a in addresses)
    assert len({p["vrid"] for p in layout}) == n
    assert all(1 <= p["vrid"] <= 255 for p in layout)
    names = [name for p in layout for name, _a in p["hosts"]] + [pairs.WEB[0]]
    assert len(set(names)) == len(names)
    assert all(name.startswith(pairs.PREFIX) for name in names)


def test_inventory_has_the_n_pair_shape():
    files = pairs.inventory(3)
    hosts = files["hosts.yml"]["all"]["children"]
    assert list(hosts["loadbalancers"]["children"]) == ["pair_a", "pair_b", "pair_c"]
    assert "hosts" not in hosts["loadbalancers"]
    assert list(hosts["webservers"]["hosts"]) == [pairs.WEB[0]]
    shared = files["group_vars/loadbalancers.yml"]
    # Per pair, never shared: the cluster group and the VRRP instance.
    assert "keepalived_instances" not in shared
    assert "keepalived_cluster_group" not in shared
    for p in pairs.pair_layout(3):
        own = files[f"group_vars/{p['group']}.yml"]
        assert own["keepalived_cluster_group"] == p["group"]
        (instance,) = own["keepalived_instances"]
        assert instance["virtual_router_id"] == p["vrid"]
        assert instance["virtual_ipaddresses"] == [
            {"address": p["vip"], "prefix": 24, "dev": "eth0"}
        ]
        assert "lookup('ansible.builtin.password'" in instance["authentication"]["password"]
    assert "lookup('ansible.builtin.password'" in shared["haproxy_stats_password"]


def test_one_pair_inventory_has_one_group():
    files = pairs.inventory(1)
    assert list(files["hosts.yml"]["all"]["children"]["loadbalancers"]["children"]) == ["pair_a"]
    assert not any(k.startswith("group_vars/pair_b") for k in files)


@pytest.mark.skipif(not shutil.which("ansible-inventory"), reason="needs ansible-inventory")
def test_written_inventory_is_read_by_ansible_as_meant(tmp_path):
    """ansible-inventory reads what write_inventory writes: every load
    balancer in loadbalancers and in its pair, with its pair's VIP; a later
    round with fewer pairs leaves no pair of the earlier one behind."""
    directory = tmp_path / "inventory"
    pairs.write_inventory(3, directory)
    pairs.write_inventory(2, directory)
    assert (tmp_path / "secrets").stat().st_mode & 0o777 == 0o700
    out = subprocess.run(
        ["ansible-inventory", "-i", str(directory), "--list"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    data = json.loads(out.stdout)
    assert data["loadbalancers"]["children"] == ["pair_a", "pair_b"]
    hostvars = data["_meta"]["hostvars"]
    for p in pairs.pair_layout(2):
        assert data[p["group"]]["hosts"] == [name for name, _a in p["hosts"]]
        for name, address in p["hosts"]:
            assert hostvars[name]["keepalived_cluster_group"] == p["group"]
            assert hostvars[name]["lab_address"] == address
            vip = hostvars[name]["keepalived_instances"][0]["virtual_ipaddresses"][0]
            assert vip["address"] == p["vip"]
    assert "pair_c" not in data
    assert not list((directory / "group_vars").glob("pair_c*"))


# --- the plan ---------------------------------------------------------------------------


def test_plan_runs_both_forks_settings_per_pair_count():
    plan = pairs.plan(3)
    assert [(r["pairs"], r["forks"]) for r in plan] == [
        (1, 5),
        (2, 5),
        (3, 5),
        (3, 12),
        (2, 8),
        (1, 4),
    ]
    assert [r["hosts"] for r in plan] == [2, 4, 6, 6, 4, 2]
    assert len(pairs.plan(2, rounds=3)) == 12


@given(
    st.one_of(st.integers(-1000, 1000), st.floats(), st.text(max_size=5), st.booleans(), st.none())
)
@settings(max_examples=200, deadline=None)
def test_plan_refuses_what_is_not_a_pair_count(value):
    """Any value: a plan, or our own error naming the option."""
    try:
        plan = pairs.plan(value)
    except pairs.PairsError as exc:
        assert str(exc).startswith("--pairs: ")
        return
    assert isinstance(value, int) and not isinstance(value, bool)
    assert 1 <= value <= pairs.MAX_PAIRS
    assert len(plan) == 2 * value


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: pairs.plan(3, rounds=0), "--pairs-rounds: 0 is not between 1 and 20"),
        (lambda: pairs.plan(10), "--pairs: 10 is not between 1 and 9"),
        (lambda: pairs.plan("3"), "--pairs: expected a whole number, got str"),
        (lambda: pairs.forks_for("triple", 4), "forks setting: 'triple' is not one of"),
        (lambda: pairs.pair_layout(True), "pairs: expected a whole number, got bool"),
    ],
)
def test_bad_options_are_refused_by_name(call, message):
    with pytest.raises(pairs.PairsError, match=message.replace("(", r"\(")):
        call()


@given(st.text(max_size=400))
@settings(max_examples=300, deadline=None)
def test_note_is_one_printable_line(text):
    try:
        assert pairs.check_note(text) == text
    except pairs.PairsError as exc:
        assert str(exc).startswith("--pairs-note: ")
        assert len(text) > 300 or not text.isprintable()
    else:
        assert "\n" not in text and "\x7f" not in text and len(text) <= 300


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--only", "pairs", "--pairs", "0"],
        ["run", "--only", "pairs", "--pairs-rounds", "0"],
        ["run", "--only", "pairs", "--pairs-note", "two\nlines"],
    ],
)
def test_bench_refuses_bad_pairs_options_before_running(argv, monkeypatch, capsys):
    monkeypatch.setattr(bench, "run", lambda args: pytest.fail("ran with a bad option"))
    with pytest.raises(SystemExit) as exc:
        bench.main(argv)
    assert exc.value.code == 2
    assert "--pairs" in capsys.readouterr().err


# --- the containers ------------------------------------------------------------------


def test_run_options_are_the_molecule_scenarios():
    config = yaml.safe_load((ROOT / ".config" / "molecule" / "config.yml").read_text())
    options = pairs.run_options(config)
    lb, web = options["loadbalancers"], options["webservers"]
    base = config["driver"]["halb_platform_defaults"]
    for kind in (lb, web):
        assert kind["image"] == base["image"] == "halb/debian-systemd:bookworm"
        assert kind["cap_add"] == base["capabilities"]
        assert kind["cgroupns"] == "host"
        assert kind["stop_signal"] == base["stop_signal"]
        assert set(kind["tmpfs"]) == set(base["tmpfs"])
        assert kind["volumes"] == base["volumes"]
    assert lb["sysctls"] == {"net.ipv4.ip_nonlocal_bind": "1", "net.ipv4.ip_forward": "0"}
    assert "sysctls" not in web


def test_run_options_without_an_image_are_refused():
    with pytest.raises(pairs.PairsError, match=r"driver\.halb_platform_defaults\.image"):
        pairs.run_options({"driver": {"halb_platform_defaults": {"command": "x"}}})


class _Box:
    def __init__(self, name, removed):
        self.name = name
        self._removed = removed

    def remove(self, force=False):
        assert force
        self._removed.append(self.name)


class _Client:
    """What Containers uses of the docker SDK; docker's name filter matches
    substrings, so it also returns a container that is not ours."""

    def __init__(self, names):
        self.removed = []
        self.boxes = [_Box(n, self.removed) for n in names]
        self.containers = self
        self.networks = self

    def list(self, all=False, filters=None, names=None):  # noqa: A002 - the SDK's name
        if names is not None:
            return []
        return [b for b in self.boxes if filters["name"] in b.name]


def test_cleanup_removes_only_our_containers():
    client = _Client(
        ["halb-bpairs-a-lb1", "halb-bpairs-web1", "x-halb-bpairs-a-lb1", "halb-lab-lb1"]
    )
    boxes = pairs.Containers(client=client)
    assert boxes.close() == []
    assert client.removed == ["halb-bpairs-a-lb1", "halb-bpairs-web1"]


def test_a_round_removes_only_its_own_load_balancers():
    client = _Client(["halb-bpairs-a-lb1", "halb-bpairs-a-lb2", "halb-bpairs-web1"])
    pairs.Containers(client=client).remove(["halb-bpairs-a-lb1", "halb-bpairs-a-lb2"])
    assert client.removed == ["halb-bpairs-a-lb1", "halb-bpairs-a-lb2"]


def test_start_refuses_a_name_that_is_not_ours():
    boxes = pairs.Containers(client=_Client([]))
    with pytest.raises(pairs.PairsError, match="does not start with halb-bpairs-"):
        boxes.start("halb-lab-lb1", "172.30.91.31", "loadbalancers")


# --- the figures ----------------------------------------------------------------------


def _round(n, setting, deploy, idempotent):
    return {
        "pairs": n,
        "hosts": 2 * n,
        "forks_setting": setting,
        "forks": pairs.forks_for(setting, 2 * n),
        "deploy": {"seconds": deploy, "changed": 12 * n, "vips_answering": n},
        "idempotent": {"runs": [{"seconds": s, "changed": 0} for s in idempotent]},
    }


ROUNDS = [
    _round(1, "default", 40.0, [12.0, 14.0]),
    _round(1, "double", 40.0, [12.0, 12.0]),
    _round(2, "default", 50.0, [16.0, 18.0]),
    _round(2, "double", 48.0, [15.0, 15.0]),
    _round(3, "default", 60.0, [20.0, 22.0]),
    _round(3, "double", 54.0, [18.0, 18.0]),
]


def test_derive_pairs_per_minute_and_growth():
    derived = pairs.derive(ROUNDS)
    default, double = derived["default"], derived["double"]
    assert [r["pairs"] for r in default["rows"]] == [1, 2, 3]
    row3 = default["rows"][2]
    assert row3["deploy_s"]["median"] == 60.0
    assert row3["idempotent_s"]["median"] == 21.0
    assert row3["deploy_pairs_per_minute"] == 3.0  # 3 x 60 / 60
    assert row3["idempotent_pairs_per_minute"] == round(180 / 21, 2)
    assert row3["forks"] == [5]
    assert double["rows"][2]["forks"] == [12]
    # Deploy 40, 50, 60: 10 s a pair more, 30 s for none.
    assert default["deploy_growth"] == {"seconds_per_pair": 10.0, "intercept_s": 30.0}
    assert default["idempotent_growth"]["seconds_per_pair"] == 4.0
    assert double["deploy_growth"]["seconds_per_pair"] == 7.0
    assert default["at_pairs"] == 3
    assert default["deploy_pairs_per_minute"] == 3.0
    assert double["deploy_pairs_per_minute"] == round(180 / 54, 2)
    assert all(r["idempotent_changed"] == 0 for r in default["rows"])


def test_derive_takes_the_median_of_several_rounds_and_counts_changes():
    rounds = [*ROUNDS, _round(1, "default", 50.0, [13.0])]
    rounds[-1]["idempotent"]["runs"][0]["changed"] = 2
    row1 = pairs.derive(rounds)["default"]["rows"][0]
    assert row1["rounds"] == 2
    assert row1["deploy_s"] == {"n": 2, "missing": 0, "median": 45.0, "min": 40.0, "max": 50.0}
    assert row1["idempotent_s"]["median"] == 13.0
    assert row1["idempotent_changed"] == 2


def test_derive_without_two_pair_counts_has_no_growth():
    derived = pairs.derive(ROUNDS[:2])
    assert derived["default"]["deploy_growth"] is None
    assert derived["default"]["deploy_pairs_per_minute"] == 1.5
    assert pairs.derive([]) == {}


def test_section_has_a_row_per_pair_count_and_setting():
    text = pairs.section({"rounds": ROUNDS, "context": {"started": "2026-12-05T12:00:00+00:00"}})
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(table) == 1 + 6
    assert "| 3 | 6 | 12 | 54.0 | 3.33 | 18.0 | 10.00 | 0 |" in table
    assert "| 3 | 6 | 5 | 60.0 | 3.00 | 21.0 (20.0-22.0) | 8.57 | 0 |" in table
    assert "one pair more adds 10.0 s to a deploy and 4.0 s to an idempotent run" in text
    assert "at 3 pairs one controller deploys 3.00 pairs per minute" in text
    assert "2 idempotent runs" in text
    assert "Measured 2026-12-05 12:00 UTC" in text
    assert pairs.section({"rounds": []}) == ""


def test_report_carries_the_pairs_section_over(tmp_path):
    earlier = tmp_path / "2026-12-01.json"
    earlier.write_text(
        json.dumps({"date": "2026-12-01T10:00:00+00:00", "pairs": {"rounds": ROUNDS}})
    )
    later = tmp_path / "2026-12-05.json"
    later.write_text(json.dumps({"date": "2026-12-05T10:00:00+00:00"}))
    results = report.carry_over(later, json.loads(later.read_text()))
    assert results["carried_over"] == {"pairs": "2026-12-01"}
    text = report.markdown(results, "x.png")
    assert "## Many pairs (measured on 2026-12-01, not run again since)" in text
    assert "| 3 | 6 | 12 | 54.0 |" in text


def test_section_lists_the_rounds_the_budget_left_out():
    data = {
        "rounds": ROUNDS[:4],
        "skipped": [{"pairs": 2, "forks": 8}, {"pairs": 1, "forks": 4}],
        "context": {"budget_s": 2700},
    }
    text = pairs.section(data)
    assert (
        "Not measured (the run's time budget of 45 min was spent): 2 pairs at forks 8, "
        "1 pair at forks 4." in text
    )
    assert "Not measured" not in pairs.section({"rounds": ROUNDS})


def test_no_round_starts_after_the_budget(monkeypatch, tmp_path):
    """pairs() with fake containers and rounds that each take 1000 s: with
    a budget of 2500 s, three rounds run, the other three are skipped."""
    clock = [0.0]
    ran = []

    class FakeContainers:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def start(self, *args):
            ran.append(("start", args[0]))

    def fake_round(_boxes, spec, repetitions, web_ready):
        clock[0] += 1000.0
        ran.append((spec["pairs"], spec["forks"], web_ready))
        return {**spec, "deploy": {"seconds": 100.0 * spec["pairs"]}, "idempotent": {"runs": []}}

    monkeypatch.setattr(pairs, "Containers", FakeContainers)
    monkeypatch.setattr(pairs, "run_round", fake_round)
    monkeypatch.setattr(pairs, "PARTIAL", tmp_path / "partial.json")
    monkeypatch.setattr(pairs.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(pairs, "_first_line", lambda argv: "ansible-playbook [core x]")
    out = pairs.pairs(repetitions=1, budget_s=2500)
    assert ran == [("start", pairs.WEB[0]), (1, 5, False), (2, 5, True), (3, 5, True)]
    assert [(r["pairs"], r["forks"]) for r in out["skipped"]] == [(3, 12), (2, 8), (1, 4)]
    assert json.loads((tmp_path / "partial.json").read_text())["rounds"][-1]["pairs"] == 3
    assert out["derived"]["default"]["deploy_growth"]["seconds_per_pair"] == 100.0
    with pytest.raises(pairs.PairsError, match="--pairs-budget: 10 is not between 60"):
        pairs.pairs(budget_s=10)
