"""playbooks/adopt.yml previews exactly what site.yml does.

Its check-mode play repeats site.yml's pre-task and roles (a play keyword
such as check_mode cannot be given to an imported playbook); this keeps the
two in step, and checks that the take-over imports site.yml itself.
"""

from __future__ import annotations

import pathlib

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _plays(name):
    return yaml.safe_load((ROOT / "playbooks" / name).read_text(encoding="utf-8"))


def test_the_preview_runs_site_ymls_pre_task_and_roles_in_check_mode():
    # site.yml: a facts-only play (halb_serial_pairs), then the play that deploys.
    facts, site = _plays("site.yml")
    assert facts["tasks"] == [] and "roles" not in facts and "pre_tasks" not in facts
    preview = next(p for p in _plays("adopt.yml") if p.get("check_mode") is True)
    assert preview["diff"] is True
    assert preview["gather_subset"] == site["gather_subset"]
    # site.yml's first pre-task only checks the pairs against each other (an
    # assert, run once on the controller): the preview leaves it out on
    # purpose, since its keepalived role runs the same check for the adopted
    # pair (keepalived_pairs_check stays true there; site.yml turns it off).
    pairs_check, site_task = site["pre_tasks"]
    assert pairs_check["run_once"] is True
    assert "keepalived_pairs_errors" in pairs_check["vars"]["__halb_pairs"]
    assert set(pairs_check) <= {"name", "ansible.builtin.assert", "vars", "run_once", "tags"}
    (preview_task,) = preview["pre_tasks"]
    keepalived = [r for r in preview["roles"] if r["role"] == "halb.cluster.keepalived"]
    assert [r.get("vars", {}).get("keepalived_pairs_check", True) for r in keepalived] == [True]
    assert preview_task["halb.cluster.role_apply"] == site_task["halb.cluster.role_apply"]
    assert [r["role"] for r in preview["roles"]] == [r["role"] for r in site["roles"]]
    for mine, theirs in zip(preview["roles"], site["roles"], strict=True):
        # The preview's condition is adopt_preview and site.yml's own one.
        assert mine["when"].startswith("adopt_preview | default(true) | bool")
        if "when" in theirs:
            assert mine["when"].endswith(" and " + theirs["when"])


def test_the_take_over_imports_site_yml_for_the_others_then_the_holder():
    imports = [p for p in _plays("adopt.yml") if "ansible.builtin.import_playbook" in p]
    assert [p["ansible.builtin.import_playbook"] for p in imports] == ["site.yml"] * 2
    hosts = [p["vars"]["halb_site_hosts"] for p in imports]
    assert "halb_adopt_others" in hosts[0] and "halb_adopt_holder" in hosts[1]
    assert all("adopt_apply" in h for h in hosts)


def test_no_task_shows_the_import_result_whole():
    """The import result holds passwords: every task that handles it whole is no_log."""
    for play in _plays("adopt.yml"):
        for task in play.get("tasks", []):
            if "halb.cluster.config_import" in task or "__adopt_pair" in task.get(
                "ansible.builtin.set_fact", {}
            ):
                assert task.get("no_log") is True, task["name"]
            if "ansible.builtin.copy" in task and "item.content" in str(task):
                assert task.get("no_log") is True and task.get("diff") is False
