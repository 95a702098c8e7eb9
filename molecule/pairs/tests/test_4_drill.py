"""The shipped fail-over drill on one pair of three (halb_pair=pair_c):
it moves pair_c's VIP, measures, restores it to c1, and reports figures
naming the pair, while pair_a's and pair_b's VIPs never change holder and
never fail a request.

Not in `make test`'s run: the drill costs 95-120 s on the shared 2-core
machine, which the CI budget does not have (docs/testing.md); it runs with
HALB_PAIRS_DRILL=1 in the environment (`HALB_PAIRS_DRILL=1 make molecule
S=pairs`). The per-pair rolling restart is left out for the same reason: its
order (one pair completely, then the next) is proved by
tests/unit/test_pair_playbooks.py."""

from __future__ import annotations

import os
import time

import pytest
from halb_common import SteadyLoad, playbook
from pairs import PAIRS, Holders, ask


@pytest.mark.skipif(
    os.environ.get("HALB_PAIRS_DRILL") != "1",
    reason="the drill runs with HALB_PAIRS_DRILL=1 (CI budget)",
)
def test_the_drill_of_pair_c_leaves_the_other_pairs_alone(pairs):
    c1, c2 = PAIRS["pair_c"]["hosts"]
    others = ("pair_a", "pair_b")
    loads = {
        name: SteadyLoad(f"http://{PAIRS[name]['vip']}/", interval=0.03, timeout=2.0)
        for name in others
    }
    started = time.monotonic()
    with loads["pair_a"], loads["pair_b"], Holders() as watch:
        proc = playbook(
            "halb.cluster.failover_drill",
            "-e",
            "halb_pair=pair_c",
            "-e",
            "drill_fault=stop_haproxy",
            # The probe runs 8 s instead of 20: the VIP moves in about 1 s.
            "-e",
            "drill_observe=8",
        )
    seconds = time.monotonic() - started
    print(f"\nthe drill of pair_c took {seconds:.0f} s, exit {proc.returncode}")
    for name, load in loads.items():
        print(f"{name}: {load}")
    print(watch)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    for expected in (
        '"pair": "pair_c"',
        f'"from": "{c1}"',
        f'"to": "{c2}"',
        f'"holder_after_restore": "{c1}"',
    ):
        assert expected in proc.stdout, (expected, proc.stdout[-4000:])
    assert (c2,) in watch.seen(PAIRS["pair_c"]["vip"]), str(watch)
    for name in others:
        vip = PAIRS[name]["vip"]
        assert watch.seen(vip) == [(PAIRS[name]["hosts"][0],)], (name, watch.seen(vip))
        assert loads[name].requests > 100, (name, str(loads[name]))
        assert loads[name].failed == 0, (name, str(loads[name]))
    assert len(watch.known) >= 8, str(watch)
    assert ask(PAIRS["pair_c"]["vip"]) == "web1"
