"""Three pairs side by side on one network: each VIP answers HTTP through
HAProxy, is held by exactly one node of its own pair (the first: preempt,
priority 150 over 140) and by no node of another pair, and each pair's
keepalived.conf carries its own VRID on both nodes. These tests change
nothing, so they do without the ``pairs`` fixture's restore."""

from __future__ import annotations

import re

from halb_common import sh
from pairs import LBS, PAIRS, ask, settle


def test_each_vip_answers_through_haproxy():
    for name, pair in PAIRS.items():
        assert ask(pair["vip"]) == "web1", f"{name}: http://{pair['vip']}/ did not answer web1"


def test_one_holder_per_pair_and_no_foreign_vip():
    held = settle(timeout=30.0)
    for name, pair in PAIRS.items():
        assert held[pair["vip"]] == (pair["hosts"][0],), (name, held)
    # And nothing else: no node holds an address of another pair (or two VIPs).
    for host in LBS:
        own = next(p for p in PAIRS.values() if host in p["hosts"])
        for pair in PAIRS.values():
            if pair is not own:
                assert host not in held[pair["vip"]], (host, pair["vip"])


def test_each_pair_has_its_own_vrid():
    for name, pair in PAIRS.items():
        for host in pair["hosts"]:
            _rc, conf = sh(host, "cat /etc/keepalived/keepalived.conf")
            vrids = [int(v) for v in re.findall(r"^\s*virtual_router_id\s+(\d+)", conf, re.M)]
            assert vrids == [pair["vrid"]], f"{name} {host}: virtual_router_id {vrids}"
            assert f"{pair['vip']}/" in conf, (
                f"{name} {host}: VIP {pair['vip']} not in keepalived.conf"
            )
            for other in PAIRS.values():
                if other is not pair:
                    assert f"{other['vip']}/" not in conf, (
                        f"{host}: another pair's VIP {other['vip']}"
                    )
