"""Bad input is refused with the variable named, before anything changes.

Runs ../bad_inputs.yml (one failed role run per bad input against the
converged lb1); that playbook asserts per case that the run failed naming the
variable, and that the role's files (the s-nail settings with the password
among them), its units and the host name are unchanged.
"""

from __future__ import annotations

import pathlib

import halb_mail as M
import yaml

PLAYBOOK = pathlib.Path(__file__).resolve().parent.parent / "bad_inputs.yml"


def test_bad_inputs_are_refused_before_anything_changes(mail, tmp_path):
    proc = M.playbook(PLAYBOOK, timeout=900)
    (tmp_path / "bad_inputs.log").write_text(proc.stdout + proc.stderr)
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-2000:]
    cases = yaml.safe_load(PLAYBOOK.read_text())[0]["vars"]["halb_cases"]
    assert len(cases) >= 7
    assert f"{len(cases)} bad inputs refused on {M.LBS[0]}" in proc.stdout
    # No password of the cases (nor the real one) is ever printed.
    for secret in (M.PASSWORD, "Bad-Secret-76"):
        assert secret not in proc.stdout + proc.stderr
