"""docs/performance.md and the PNG plot from a results file (report.py)."""

from __future__ import annotations

import json

import pytest
from halb_bench import analysis as A, report, suites


def run(answers, failed, two=0.0, took=None, giveback=0, dead=0.01, reasons=(), answered=True):
    return {
        "answers_again_s": answers,
        "failed": failed,
        "requests": 800,
        "two_holders_s": two,
        "backup_took_vip_after_s": took if took is not None else answers,
        "failed_giveback": giveback,
        "requests_giveback": 1100,
        "giveback_s": 11.0,
        "dead_after_undo_s": dead,
        "answered_after_undo": answered,
        "reasons_giveback": list(reasons),
    }


def fault(runs, description="x"):
    return {
        "description": description,
        "runs": runs,
        **{k: A.summary([r[k] for r in runs]) for k in suites.FAILOVER_SUMMARIES},
    }


def profile(name, paused, partition_giveback=(0, 0, 0), partition_dead=(0.01, 0.02, 0.01)):
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
            "partition": fault(
                [
                    run(v, int(v * 100), giveback=g, dead=d, reasons=["timeout"] if g else ())
                    for v, g, d in zip(paused, partition_giveback, partition_dead, strict=True)
                ]
            ),
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
            "fast": profile("fast", [0.3, 0.35, 0.5], (0, 270, 4), (0.02, 50.1, 1.2)),
        },
        "rolling_restart": {
            "profile": "default",
            "playbook": "playbooks/rolling_restart.yml",
            "runs": [
                {
                    "playbook_s": 80.0 + i,
                    "failed": f,
                    "requests": 9000,
                    "dead_s": 0.01 if not f else 0.5,
                    "two_holders_s": 0.002,
                    "vip_moves": 2,
                    "reasons": ["timeout"] if f else [],
                    "error": None,
                }
                for i, f in enumerate([0, 0, 3, 0, 0])
            ],
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


def test_give_back_and_heal_targets(results):
    rows = {(r[0], r[1]): r for r in report.target_rows(results)}
    every = "Failed requests during the give-back (after the undo), every fault"
    assert rows[(every, "default")][2:] == ("0 in every run", "0 in all 8 runs", "met")
    assert rows[(every, "fast")][3:] == (
        "partition (15 s) 0-270 (2 of 3 runs); 0 in the other runs",
        "missed in 2 of 8 runs",
    )
    heal = "Partition healed: longest stretch without an answer"
    assert rows[(heal, "default")][2:] == ("≤ 4.0 s", "0.01 (0.01-0.02)", "met")
    assert rows[(heal, "fast")][2:] == ("≤ 1.0 s", "1.20 (0.02-50.10)", "missed by 0.20 s (median)")
    assert rows[("Partition: VIP answers again", "fast")][3] == "0.35 (0.30-0.50)"
    rolling = rows[("Rolling restart (playbooks/rolling_restart.yml): failed requests", "default")]
    assert rolling[2:] == (
        "0 in 5 of 5 runs",
        "0, 0, 3, 0, 0 (5 runs); timeout",
        "missed in 1 of 5 runs",
    )


def test_a_failed_rolling_restart_playbook_misses_the_target(results):
    data = results["rolling_restart"]
    data["runs"][0]["error"] = "ansible-playbook failed"
    data["runs"][0]["playbook_s"] = None
    row = report.rolling_restart_row(data)
    assert "the playbook failed in run(s) 1" in row[3]
    assert row[4] == "missed in 1 of 5 runs"
    assert "| 1 | failed | 0 of 9000 |" in report.rolling_restart_section(data)


def test_give_back_columns(results):
    entry = results["failover"]["fast"]["faults"]["partition"]
    entry["runs"][1]["answered_after_undo"] = False
    assert report._giveback_cells(entry) == (
        "0-270 of ~1100 (timeout)",
        "1.20 (0.02-50.10); 1 run(s) never answered again",
        "11",
    )
    # Results from before issue 16: the failed count only.
    old = {"runs": [{"failed_giveback": 94}, {"failed_giveback": 448}]}
    assert report._giveback_cells(old) == ("94-448", "-", "-")


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
    assert (
        "| partition (15 s) | 0.35 (0.30-0.50) | 35 (30-50) of ~800 | 0.000 | 0.35 (0.30-0.50) "
        "| 0-270 of ~1100 (timeout) | 1.20 (0.02-50.10) | 11 | 0.24-0.34 s" in text
    )
    assert "| Longest stretch without an answer after the undo (s) |" in text
    assert "## Rolling restart under the client" in text
    assert "| 3 | 82.0 | 3 of 9000 | 0.50 | 0.002 | 2 | timeout |" in text
    assert "2 CPUs (Test CPU), 24.0 GiB" in text
    assert "| site.yml on the fresh lab | 300.0 | 150 |" in text
    assert text.rstrip().endswith("Because.")
    png = (tmp_path / "2026-11-21.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10000
    assert (tmp_path / "images" / "performance.png").read_bytes() == png


def test_suites_a_run_skipped_come_from_the_newest_earlier_file(results, tmp_path, monkeypatch):
    older = tmp_path / "2026-11-01.json"
    older.write_text(json.dumps({"throughput": {"old": True}, "reloads": {"old": True}}))
    old = tmp_path / "2026-11-20.json"
    old.write_text(json.dumps({"reloads": results["reloads"], "failover": {"fast": {"x": 1}}}))
    later = tmp_path / "2026-12-31.json"  # newer than the file reported: never used
    later.write_text(json.dumps({"throughput": {"later": True}}))
    newest = {k: v for k, v in results.items() if k not in ("reloads", "failover")}
    newest["failover"] = {"default": results["failover"]["default"]}
    path = tmp_path / "2026-11-21.json"
    path.write_text(json.dumps(newest))
    merged = report.carry_over(path, json.loads(path.read_text()))
    assert merged["carried_over"] == {
        "reloads": "2026-11-20",
        "throughput": "2026-11-01",
        "failover-fast": "2026-11-20",
    }
    assert merged["throughput"] == {"old": True}
    assert merged["failover"]["default"] == results["failover"]["default"]
    assert "scale" not in merged  # in no file
    assert report._from(merged, "reloads") == " (measured on 2026-11-20, not run again since)"
    assert report._from(merged, "deploy") == ""
    # The results file itself is left as it was.
    assert "carried_over" not in json.loads(path.read_text())
    # The report says so, and shows the reloads.
    monkeypatch.setattr(report, "DOC", tmp_path / "performance.md")
    monkeypatch.setattr(report, "DOC_IMAGE", tmp_path / "images" / "performance.png")
    monkeypatch.setattr(report, "NOTES", tmp_path / "none.md")
    for stub in (older, later):
        stub.unlink()
    old.write_text(json.dumps({"reloads": results["reloads"]}))
    report.write(path)
    text = (tmp_path / "performance.md").read_text()
    assert "carried over from earlier results files: reloads (2026-11-20)" in text
    assert "## Reloads under load (measured on 2026-11-20, not run again since)" in text
