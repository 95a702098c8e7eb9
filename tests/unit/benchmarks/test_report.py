"""docs/performance.md and the PNG plot from a results file (report.py)."""

from __future__ import annotations

import json

import pytest
from halb_bench import analysis as A, report, suites


def run(answers, failed, two=0.0, took=None, giveback=0):
    return {
        "answers_again_s": answers,
        "failed": failed,
        "requests": 800,
        "two_holders_s": two,
        "backup_took_vip_after_s": took if took is not None else answers,
        "failed_giveback": giveback,
    }


def fault(runs, description="x"):
    return {
        "description": description,
        "runs": runs,
        **{
            k: A.summary([r[k] for r in runs])
            for k in ("answers_again_s", "failed", "two_holders_s", "backup_took_vip_after_s")
        },
    }


def profile(name, paused):
    settings = suites.PROFILES[name]
    return {
        "profile": name,
        "version": settings["version"],
        "advert_int": settings["advert_int"],
        "master_down_interval_s": suites.master_down_interval(settings["advert_int"]),
        "skew_time_s": suites.skew_time(settings["advert_int"]),
        "window_s": settings["window"],
        "repetitions": len(paused),
        "faults": {
            "master_paused": fault([run(v, int(v * 100)) for v in paused]),
            "keepalived_killed": fault([run(0.0, 0, two=1.7), run(0.0, 0, two=1.5)]),
        },
    }


@pytest.fixture
def results():
    return {
        "date": "2026-11-21T20:00:00+00:00",
        "machine": {
            "cpus": 2,
            "cpu": "Test CPU",
            "memory_gib": 24.0,
            "kernel": "6.1",
            "docker": "28",
        },
        "failover": {
            "default": profile("default", [3.0, 3.4, 3.6]),
            "fast": profile("fast", [0.3, 0.35, 0.5]),
        },
        "reloads": {
            "count": 100,
            "gap_s": 0.2,
            "runs": [
                {
                    "reloads": 100,
                    "seconds": 30.0,
                    "reload_s": A.summary([0.05, 0.06]),
                    "wrk": {"rps": 9000.0, "failed": 0, "requests": 270000},
                    "client_failed": 1,
                    "client_requests": 3000,
                }
            ],
        },
        "deploy": {
            "fresh": {"seconds": 300.0, "changed": 150},
            "idempotent": {
                "runs": [{"seconds": 12.0, "changed": 0}],
                "seconds": A.summary([12.0]),
                "changed": A.summary([0]),
            },
        },
    }


def test_protocol_limits_follow_the_profile():
    fast = {"advert_int": 0.1, "master_down_interval_s": 0.345, "skew_time_s": 0.045}
    assert report.protocol_limit("master_paused", fast).startswith("0.24-0.34 s")
    assert report.protocol_limit("haproxy_stopped", fast).startswith("0.045 s")
    assert suites.master_down_interval(1.0) == 3.453
    assert suites.master_down_interval(0.1) == 0.345


def test_verdicts_say_by_how_much_a_target_is_missed():
    assert report.verdict(0.3, 0.35, 0.4) == "met"
    assert report.verdict(0.35, 0.5, 0.4) == "met by the median; the worst run missed by 0.10 s"
    assert report.verdict(3.9, 4.0, 3.7) == "missed by 0.20 s (median)"
    assert report.verdict(None, None, 1.0) == "not measured"


def test_targets_table(results):
    rows = {(r[0], r[1]): r for r in report.target_rows(results)}
    assert rows[("Node loss: VIP answers again", "fast")][3:] == (
        "0.35 (0.30-0.50)",
        "met by the median; the worst run missed by 0.10 s",
    )
    assert rows[("Node loss: VIP answers again", "default")][4] == "met"  # worst 3.6 s
    assert (
        rows[("keepalived killed: seconds with two VIP holders", "fast")][4]
        == "missed by 0.60 s (median)"
    )
    assert rows[("HAProxy stopped: VIP answers again", "fast")][4] == "not measured"
    assert rows[("Failed requests over 100 reloads", "-")][3:] == (
        "1 of 273,000 in 1 runs (1)",
        "missed by 1 request(s)",
    )
    assert rows[("Idempotent re-run of site.yml", "default")][4] == "missed by 2.00 s (median)"


def test_markdown_and_plot(results, tmp_path, monkeypatch):
    path = tmp_path / "2026-11-21.json"
    path.write_text(json.dumps(results))
    monkeypatch.setattr(report, "DOC", tmp_path / "performance.md")
    monkeypatch.setattr(report, "DOC_IMAGE", tmp_path / "images" / "performance.png")
    notes = tmp_path / "notes.md"
    notes.write_text("## Why\n\nBecause.\n")
    monkeypatch.setattr(report, "NOTES", notes)
    report.write(path)
    text = (tmp_path / "performance.md").read_text()
    assert "### Profile `fast`: VRRP version 3, advert_int 0.1 s" in text
    assert "| node loss (paused) | 3.40 (3.00-3.60) | 340 (300-360) of ~800 | 0.000 |" in text
    assert "2 CPUs (Test CPU), 24.0 GiB" in text
    assert "| site.yml on the fresh lab | 300.0 | 150 |" in text
    assert text.rstrip().endswith("Because.")
    png = (tmp_path / "2026-11-21.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10000
    assert (tmp_path / "images" / "performance.png").read_bytes() == png
