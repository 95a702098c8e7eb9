"""The shape checker itself must be able to fail: each injection the property
tests look for is seen by the tokenizers."""

from __future__ import annotations

import pytest

from tests.unit.property.shapes import (
    differences,
    haproxy_words,
    keepalived_words,
    rainer_words,
    snail_words,
)

BASE = {
    haproxy_words: "backend web\n    server web1 192.0.2.1:80 check\n",
    keepalived_words: 'vrrp_script chk {\n    script "/bin/true"\n}\n',
    rainer_words: 'action(type="omfile" file="/var/log/x")\n',
    snail_words: "set from='a@example.com'\nset v15-compat\n",
}
HOSTILE = {
    haproxy_words: [
        "backend web\n    server web1 192.0.2.1:80 check\nlisten evil\n",
        "backend web\n    server web1 192.0.2.1:80 # check\n",
        "backend web\n    server web1 '192.0.2.1:80 check\n",
        "backend web\n    server web1 192.0.2.1 :80 check\n",
    ],
    keepalived_words: [
        'vrrp_script chk {\n    script "/bin/true"\n}\nvrrp_script x {\n',
        'vrrp_script chk {\n    script "/bin/true" ! x\n}\n',
        'vrrp_script chk {\n    script "/bin/true\n}\n',
    ],
    rainer_words: [
        'action(type="omfile" file="/var/log/x" # ")\n',
        'action(type="omfile" file="/var/log/x\\")\n',
        'action(type="omfile" file="/var/log/x")\naction(type="omprog")\n',
    ],
    snail_words: [
        "set from='a@example.com'\nset mta=x\nset v15-compat\n",
        "set from='a@example.com\nset v15-compat\n",
        "set from=a@example.com #x\nset v15-compat\n",
    ],
}


@pytest.mark.parametrize("split", list(BASE), ids=lambda f: f.__name__)
def test_each_injection_is_seen(split):
    assert differences(BASE[split], BASE[split], split) == []
    for text in HOSTILE[split]:
        assert differences(BASE[split], text, split), text


def test_haproxy_quoting_rules():
    assert haproxy_words(r"a 'b\' # c") == (["a", "b\\"], True, False)
    assert haproxy_words(r'a "b\" # c"') == (["a", 'b" # c'], False, False)
    assert haproxy_words(r"a b\ c \#d") == (["a", "b c", "#d"], False, False)
