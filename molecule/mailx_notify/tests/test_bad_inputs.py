"""Bad input is refused with the variable named, before anything changes.

Runs ../bad_inputs.yml (one failed role run per bad input against the
converged lb1); that playbook asserts per case that the run failed naming the
variable, and that the role's files (the s-nail settings with the password
among them), its units and the host name are unchanged.
"""

from __future__ import annotations

import pathlib

import halb_common
import halb_mail as M

PLAYBOOK = pathlib.Path(__file__).resolve().parent.parent / "bad_inputs.yml"


def test_bad_inputs_are_refused_before_anything_changes(mail, tmp_path):
    # No password of the cases (nor the real one) is ever printed.
    halb_common.bad_inputs(
        PLAYBOOK, M.LBS[:1], 7, secrets=(M.PASSWORD, "Bad-Secret-76"), log_dir=tmp_path
    )
