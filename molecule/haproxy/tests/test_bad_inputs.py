"""Bad input is refused with the variable named, and HAProxy keeps serving.

Runs ../bad_inputs.yml (one failed role run per bad input against the
converged load balancer); that playbook asserts per case that the run failed
naming the variable and that HAProxy still answered a real request after it,
and that haproxy.cfg, the pem and the master PID are unchanged.
"""

from __future__ import annotations

import pathlib

import halb_common
import yaml

PLAYBOOK = pathlib.Path(__file__).resolve().parent.parent / "bad_inputs.yml"


def test_bad_inputs_are_refused_and_haproxy_keeps_serving(lb, tmp_path):
    proc = halb_common.playbook(PLAYBOOK, timeout=1200)
    (tmp_path / "bad_inputs.log").write_text(proc.stdout + proc.stderr)
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-2000:]
    cases = yaml.safe_load(PLAYBOOK.read_text())[0]["vars"]["halb_cases"]
    assert len(cases) >= 20
    assert f"{len(cases)} bad inputs refused on {lb.LB}" in proc.stdout
    # No secret of the cases is ever printed.
    for secret in (lb.STATS_PASSWORD, "two words", "PRIVATE KEY"):
        assert secret not in proc.stdout
    # And from outside, after all of it: still both servers, round-robin.
    bodies = {lb.request()[2].strip() for _ in range(10)}
    assert bodies == set(lb.WEBS)
