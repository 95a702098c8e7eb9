"""The unit tests' golden keepalived.conf files are accepted by the real
keepalived (`keepalived --config-test`) on a node, so rendering is checked
against the daemon's own parser and not only against our expectations."""

from __future__ import annotations

import pathlib

import halb_pair as P
import pytest

GOLDEN = (
    pathlib.Path(__file__).resolve().parents[3]
    / "tests"
    / "unit"
    / "plugins"
    / "module_utils"
    / "golden"
)
NODE = P.HOSTS[0]


@pytest.fixture
def dummy_eth1():
    """full.conf uses a second interface; give the node one (a veth pair) for the test."""
    P.sh(
        NODE, "ip link show eth1 >/dev/null 2>&1 || ip link add eth1 type veth peer name halbpeer1"
    )
    yield
    P.sh(NODE, "ip link del eth1", check=False)


@pytest.mark.skipif(P.SCENARIO != "keepalived", reason="run in the keepalived scenario")
@pytest.mark.parametrize("name", sorted(p.name for p in GOLDEN.glob("*.conf")))
def test_golden_config_passes_keepalived_config_test(name, dummy_eth1):
    text = (GOLDEN / name).read_text()
    path = f"/tmp/golden-{name}"
    P.sh(NODE, f"cat > {path} <<'HALB_EOF'\n{text}HALB_EOF\n")
    rc, output = P.sh(NODE, f"keepalived --config-test -f {path}", check=False)
    output = output.strip()
    # keepalived 2.2.7 ends --config-test with SIGTERM (exit 143) whenever the
    # file has scripts; it then still prints every problem it found (2.3
    # exits 0). The keepalived_config module accepts exactly this: rc 0, or
    # 143 and silence.
    assert rc in (0, 143), (rc, output)
    assert output == "", output
