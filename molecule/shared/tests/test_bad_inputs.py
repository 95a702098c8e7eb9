"""Bad input is refused with the variable named, and the pair is untouched.

Runs molecule/shared/bad_inputs.yml (32 bad inputs against the converged
pair); that playbook asserts per case, and keepalived.conf's checksum and
keepalived's PID before and after. Only in scenarios with HALB_BAD_INPUTS=1.
"""

from __future__ import annotations

import os
import pathlib

import halb_common
import halb_pair as P
import pytest
import yaml

PLAYBOOK = pathlib.Path(__file__).resolve().parent.parent / "bad_inputs.yml"


@pytest.mark.skipif(
    os.environ.get("HALB_BAD_INPUTS") != "1", reason="run in the keepalived scenario"
)
def test_bad_inputs_are_refused_and_change_nothing(tmp_path):
    before = {h: P.sh(h, "sha256sum /etc/keepalived/keepalived.conf")[1] for h in P.HOSTS}
    holder = P.normal_holder()
    proc = halb_common.playbook(PLAYBOOK, timeout=900)
    (tmp_path / "bad_inputs.log").write_text(proc.stdout + proc.stderr)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    cases = yaml.safe_load(PLAYBOOK.read_text())[0]["vars"]["halb_cases"]
    assert len(cases) >= 20
    assert proc.stdout.count(f"{len(cases)} bad inputs refused on") == len(P.HOSTS)
    # The secret used in the cases is never printed.
    assert "secret01" not in proc.stdout and "secret02" not in proc.stdout
    assert "123456789" not in proc.stdout
    assert "11111111" not in proc.stdout
    # Nothing of the hostile cases reached the hosts.
    for host in P.HOSTS:
        assert P.sh(host, "test ! -e /etc/cron.d/halb-evil && echo absent")[1].strip() == "absent"
        assert "evil" not in P.sh(host, "cat /etc/keepalived/keepalived.conf")[1]
    after = {h: P.sh(h, "sha256sum /etc/keepalived/keepalived.conf")[1] for h in P.HOSTS}
    assert after == before
    assert P.normal_holder() == holder
    assert P.ask_vip() == holder
