"""Bad input is refused with the variable named, and HAProxy keeps serving.

Runs ../bad_inputs.yml (one failed role run per bad input against the
converged load balancer); that playbook asserts per case that the run failed
naming the variable and that HAProxy still answered a real request after it,
and that haproxy.cfg, the pem and the master PID are unchanged.
"""

from __future__ import annotations

import pathlib

import halb_common

PLAYBOOK = pathlib.Path(__file__).resolve().parent.parent / "bad_inputs.yml"


def test_bad_inputs_are_refused_and_haproxy_keeps_serving(lb, tmp_path):
    # No secret of the cases is ever printed.
    halb_common.bad_inputs(
        PLAYBOOK,
        [lb.LB],
        30,
        secrets=(lb.STATS_PASSWORD, "two words", "PRIVATE KEY"),
        log_dir=tmp_path,
    )
    # And from outside, after all of it: still both servers, round-robin.
    bodies = {lb.request()[2].strip() for _request in range(10)}
    assert bodies == set(lb.WEBS)
