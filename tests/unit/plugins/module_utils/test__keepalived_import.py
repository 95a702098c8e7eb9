"""Issue 19: reading a hand-written keepalived.conf into the model's variables.

The corpus (adopt_corpus/keepalived, see its README) goes round the loop
parse -> render (our renderer) -> parse with the same variables and the same
kept lines; the files the model refuses are refused naming the variable.
Generated input (hypothesis, fixed seeds) never makes parse() raise, and what
it returns is plain data that normalize() either accepts or reports.
"""

from __future__ import annotations

import json
import pathlib
import random
import shutil
import subprocess

import pytest
from hypothesis import given, strategies as st

from ansible_collections.halb.cluster.plugins.module_utils import _keepalived as k
from ansible_collections.halb.cluster.plugins.module_utils._keepalived_import import (
    KeepalivedImportError,
    parse,
)
from ansible_collections.halb.cluster.plugins.module_utils._typed import (
    CONTROL_RE,
    INTERNAL_ERROR,
    ConfigError,
)
from tests.unit.property.hostile import INJECTIONS, SETTINGS

CORPUS = pathlib.Path(__file__).parent / "adopt_corpus" / "keepalived"
# Where the corpus pretends to live: includes are resolved among these paths.
ROOT = "/etc/keepalived"
# Corpus files the model refuses, and the message it must give (README.md).
REFUSED = {
    "17-two-interfaces.conf": "keepalived_instances[VI_1].interface: 'eth0 eth1' names more "
    "than one interface",
    "25-sample-garp-zero.conf": "keepalived_global_defs.vrrp_garp_interval: 0 is refused by "
    "keepalived",
}
# Corpus files keepalived itself refuses (as the model does).
DAEMON_REFUSED = {"25-sample-garp-zero.conf"}
ENTRY_POINTS = sorted(p.name for p in CORPUS.glob("*.conf"))


def corpus_files():
    """{path under ROOT: text} of every file of the corpus (include targets too)."""
    return {
        f"{ROOT}/{p.relative_to(CORPUS).as_posix()}": p.read_text()
        for p in sorted(CORPUS.rglob("*"))
        if p.is_file() and p.name != "README.md"
    }


def parsed(name):
    files = corpus_files()
    return parse(files[f"{ROOT}/{name}"], f"{ROOT}/{name}", files)


def rendered_corpus():
    """(name, original text, rendered text or None when the model refuses it)
    for every entry point of the corpus: what the adopt scenario checks with
    keepalived --config-test."""
    for name in ENTRY_POINTS:
        result = parsed(name)
        try:
            text = k.render(result["variables"], allow_weak_secrets=True)
        except k.KeepalivedConfigError:
            text = None
        yield name, (CORPUS / name).read_text(), text


def kept_texts(result):
    return [entry["text"] for entry in result["kept"]]


def by_name(entries, name):
    return next(e for e in entries if e.get("name") == name)


# ---------------------------------------------------------------------------
# The corpus
# ---------------------------------------------------------------------------


def test_the_corpus_has_at_least_15_files_and_a_readme():
    assert len(ENTRY_POINTS) >= 15
    readme = (CORPUS / "README.md").read_text()
    for name in ENTRY_POINTS:
        assert name in readme, f"{name} is not described in the corpus README"
    for name in REFUSED:
        assert "REFUSED" in (CORPUS / name).read_text().split("\n", 1)[0]


@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_corpus_round_trip(name):
    r1 = parsed(name)
    assert r1["errors"] == []
    json.dumps(r1, allow_nan=False)
    if name in REFUSED:
        with pytest.raises(k.KeepalivedConfigError) as info:
            k.render(r1["variables"], allow_weak_secrets=True)
        assert any(e.startswith(REFUSED[name]) for e in info.value.errors), info.value.errors
        return
    text = k.render(r1["variables"], allow_weak_secrets=True)
    r2 = parse(text, f"{ROOT}/{name}", corpus_files())
    assert r2["variables"] == r1["variables"]
    assert kept_texts(r2) == kept_texts(r1)
    assert r2["errors"] == []
    assert r2["dropped"] == []
    # and once more: the rendered file is a fixed point
    assert k.render(r2["variables"], allow_weak_secrets=True) == text


@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_every_entry_of_the_corpus_has_an_origin(name):
    result = parsed(name)
    variables = result["variables"]
    for section in ("scripts", "track_files", "instances", "sync_groups"):
        for entry in variables.get(section, []):
            where = result["origins"][f"{k.VAR_NAMES[section]}[{entry['name']}]"]
            path, line = where.rsplit(":", 1)
            assert path.startswith(ROOT + "/")
            assert int(line) >= 1
    for entry in result["kept"]:
        assert result["origins"][entry["variable"]] == f"{entry['file']}:{entry['line']}"


KEEPALIVED = shutil.which("keepalived")


@pytest.mark.skipif(
    KEEPALIVED is None, reason="keepalived is not installed (the adopt scenario runs this)"
)
@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_keepalived_accepts_the_corpus_file_and_its_rendered_form(name, tmp_path):
    _name, original, text = next(item for item in rendered_corpus() if item[0] == name)
    for label, content in (("original", original), ("rendered", text)):
        if content is None:
            continue
        shutil.copytree(CORPUS, tmp_path / label)
        path = tmp_path / label / name
        path.write_text(content)
        run = subprocess.run(
            [KEEPALIVED, "--config-test", "-f", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        # keepalived 2.2.7 ends its config test with SIGTERM; 2.3 exits 0. An
        # interface this host lacks (eth1, eth2) is the host's business.
        output = run.stdout + run.stderr
        missing = "Non-existent interface specified in configuration" in output
        problems = [
            line
            for line in output.splitlines()
            if any(w in line for w in ("invalid", "nknown", "outside range", "incompatible"))
        ]
        if label == "original" and name in DAEMON_REFUSED:
            assert problems, output
            continue
        assert problems == [], (label, output)
        assert run.returncode in (0, -15, 143) or missing, (label, output)


def test_the_article_file():
    result = parsed("02-article.conf")
    variables = result["variables"]
    assert [i["name"] for i in variables["instances"]] == ["VI_INTERNAL", "VI_PUBLIC"]
    assert variables["global_defs"] == {
        "router_id": "lb1",
        "vrrp_skip_check_adv_addr": True,
        "vrrp_garp_interval": 0.001,
        "vrrp_gna_interval": 0.000001,
        "script_user": "keepalived_script",
        "enable_script_security": True,
        "extra": [
            "notification_email_from keepalived@lb1.example.com",
            "smtp_server 127.0.0.1",
            "smtp_connect_timeout 30",
        ],
    }
    assert variables["scripts"] == [
        {
            "name": "chk_haproxy",
            "script": "/usr/bin/systemctl is-active --quiet haproxy.service",
            "interval": 2,
            "weight": -20,
            "fall": 2,
            "rise": 2,
        }
    ]
    public = by_name(variables["instances"], "VI_PUBLIC")
    assert public["interface"] == "eth1"
    assert public["virtual_ipaddresses"] == [
        {"address": "198.51.100.100", "prefix": 24, "dev": "eth1"}
    ]
    assert public["authentication"] == {"type": "PASS", "password": "Rm4%xW9q"}
    assert public["track_scripts"] == ["chk_haproxy"]
    assert public["notify_master"] == "/usr/bin/logger -t keepalived VI_PUBLIC MASTER"
    assert [d["section"] for d in result["dropped"]] == ["global_defs > notification_email"]
    assert result["dropped"][0]["line"] == 13
    assert "mailx_notify_recipients" in result["dropped"][0]["reason"]
    assert result["origins"]["keepalived_instances[VI_PUBLIC]"] == f"{ROOT}/02-article.conf:57"


def test_includes_are_read_relative_to_the_including_file_in_sorted_order():
    result = parsed("14-includes.conf")
    variables = result["variables"]
    assert [s["name"] for s in variables["scripts"]] == ["chk_haproxy"]
    assert [i["name"] for i in variables["instances"]] == ["VI_1", "VI_2"]
    vi2 = by_name(variables["instances"], "VI_2")
    assert [v["address"] for v in vi2["virtual_ipaddresses"]] == ["192.0.2.20", "192.0.2.21"]
    assert result["origins"]["keepalived_instances[VI_2].virtual_ipaddresses[1]"] == (
        f"{ROOT}/14-includes.d/vips-vi2.inc:3"
    )
    assert result["origins"]["keepalived_scripts[chk_haproxy]"] == (
        f"{ROOT}/14-includes.d/10-checks.conf:2"
    )
    assert result["dropped"] == [
        {
            "file": f"{ROOT}/14-includes.conf",
            "line": 11,
            "section": f"include {ROOT}/14-includes.d/*.missing",
            "reason": "include matched no file the import could read",
        }
    ]


def test_the_lvs_virtual_server_is_dropped_with_its_line():
    result = parsed("15-lvs-virtual-server.conf")
    assert [i["name"] for i in result["variables"]["instances"]] == ["VI_1"]
    dropped = {d["section"]: d for d in result["dropped"]}
    assert set(dropped) == {"virtual_server_group VSG_WEB", "virtual_server 192.0.2.10 80"}
    server = dropped["virtual_server 192.0.2.10 80"]
    assert server["line"] == 23
    assert "LVS virtual server" in server["reason"]
    assert "taking over would drop it" in server["reason"]


def test_unknown_keywords_are_kept_in_the_extra_of_their_block():
    result = parsed("16-unknown-keywords.conf")
    variables = result["variables"]
    assert variables["global_defs"]["extra"] == [
        'notification_email_from "keepalived@lb1.example.com"',
        "smtp_server 127.0.0.1",
        "vrrp_version 2",
        "vrrp_garp_master_delay 5",
        "vrrp_check_unicast_src",
    ]
    assert variables["scripts"][0]["extra"] == ["init_fail"]
    assert variables["sync_groups"][0]["extra"] == ["smtp_alert"]
    assert variables["instances"][0]["extra"] == [
        "garp_master_delay 5",
        "garp_master_repeat 3",
        "dont_track_primary",
        "smtp_alert",
        "accept",
        'notify_master_rx_lower_pri "/usr/bin/logger -t keepalived lower priority advert"',
    ]
    kept = {e["variable"]: e for e in result["kept"]}
    assert kept["keepalived_instances[VI_1].extra[2]"] == {
        "file": f"{ROOT}/16-unknown-keywords.conf",
        "line": 40,
        "section": "vrrp_instance VI_1",
        "variable": "keepalived_instances[VI_1].extra[2]",
        "text": "dont_track_primary",
    }
    assert result["dropped"] == []


def test_conditionals_and_definitions_are_dropped():
    result = parsed("19-conditionals.conf")
    assert [(d["line"], d["section"]) for d in result["dropped"]] == [
        (5, "top level"),
        (9, "global_defs"),
        (17, "vrrp_instance VI_1"),
    ]
    assert "'@lb1'" in result["dropped"][2]["reason"]
    assert result["variables"]["global_defs"] == {"router_id": "lb1"}
    assert result["variables"]["instances"][0]["priority"] == 100


def test_what_the_model_cannot_hold_inside_an_instance_is_dropped():
    result = parsed("21-static-routes.conf")
    sections = [(d["line"], d["section"]) for d in result["dropped"]]
    assert sections == [
        (9, "static_ipaddress"),
        (13, "static_routes"),
        (24, "vrrp_instance VI_1 > unicast_peer"),
        (27, "vrrp_instance VI_1 > virtual_ipaddress"),
        (29, "vrrp_instance VI_1 > virtual_ipaddress_excluded"),
        (32, "vrrp_instance VI_1 > virtual_routes"),
    ]
    instance = result["variables"]["instances"][0]
    # the VIP keeps the options the model knows, after the one it drops
    assert instance["virtual_ipaddresses"] == [
        {"address": "192.0.2.10", "prefix": 24, "dev": "eth0"}
    ]
    assert instance["unicast_peers"] == ["192.0.2.12"]
    assert "'brd 192.0.2.255'" in result["dropped"][3]["reason"]


def test_track_files_both_block_names_and_keepaliveds_default_weight():
    variables = parsed("13-track-file.conf")["variables"]
    assert variables["track_files"] == [
        {
            "name": "haproxy_down",
            "file": "/run/haproxy-down",
            "weight": 0,
            "init_file": {"value": 1, "overwrite": True},
        },
        {"name": "standby", "file": "/run/keepalived-standby", "weight": -100, "init_file": 0},
        {"name": "maintenance", "file": "/run/keepalived-maintenance", "weight": 1},
    ]
    assert variables["instances"][0]["track_files"] == [
        "haproxy_down",
        "standby",
        {"name": "maintenance", "weight": -10},
    ]


def test_notify_hooks_in_every_form():
    instance = parsed("22-notify-users.conf")["variables"]["instances"][0]
    assert instance["notify"] == "/usr/bin/logger -t keepalived-notify"
    assert instance["notify_master"] == {
        "script": "/usr/bin/logger -t keepalived master",
        "user": "nobody",
    }
    # unquoted: the first word is the program, the next the user (keepalived's reading)
    assert instance["notify_backup"] == {"script": "/usr/bin/logger", "user": "nobody"}
    assert instance["notify_stop"] == "/usr/bin/logger -t keepalived stop"


def test_layouts_keepalived_reads():
    result = parsed("23-layout.conf")
    variables = result["variables"]
    assert variables["global_defs"] == {
        "router_id": "lb1",
        "enable_script_security": True,
        "vrrp_skip_check_adv_addr": True,
    }
    assert variables["scripts"][0]["script"] == (
        "/usr/bin/systemctl is-active --quiet haproxy.service # not a comment"
    )
    assert variables["scripts"][0]["interval"] == 2
    assert variables["instances"][0]["track_scripts"] == ["chk_haproxy"]
    assert variables["instances"][0]["virtual_ipaddresses"][0]["dev"] == "eth0"


def test_windows_line_ends_read_the_same():
    text = (CORPUS / "23-layout.conf").read_text()
    assert "\r" not in text
    files = corpus_files()
    crlf = parse(text.replace("\n", "\r\n"), f"{ROOT}/23-layout.conf", files)
    assert crlf["variables"] == parsed("23-layout.conf")["variables"]
    assert crlf["errors"] == []


def test_values_are_kept_as_the_model_wants_them():
    v3 = parsed("07-ipv6.conf")["variables"]["instances"][0]
    assert v3["advert_int"] == 0.5
    assert v3["version"] == 3
    # canonical addresses, the prefix always written
    assert v3["virtual_ipaddresses"][1] == {"address": "2001:db8::11", "prefix": 64}
    assert parsed("01-minimal.conf")["variables"]["instances"][0]["virtual_ipaddresses"] == [
        {"address": "192.0.2.10", "prefix": 32}
    ]
    assert parsed("10-nopreempt.conf")["variables"]["instances"][0]["nopreempt"] is True
    assert parsed("11-preempt-delay.conf")["variables"]["global_defs"]["max_auto_priority"] == 99
    strict = parsed("24-strict.conf")["variables"]["global_defs"]
    assert strict["vrrp_gna_interval"] == 0.000001
    assert "vrrp_gna_interval 0.000001" in k.render(parsed("24-strict.conf")["variables"])


def test_what_the_linter_needs_is_kept_even_when_the_model_refuses_it():
    instance = parsed("17-two-interfaces.conf")["variables"]["instances"][0]
    assert instance["interface"] == "eth0 eth1"
    weak = parsed("18-weak-password.conf")
    assert weak["variables"]["instances"][0]["authentication"] == {
        "type": "PASS",
        "password": "11111111",
    }
    with pytest.raises(k.KeepalivedConfigError) as info:
        k.normalize(weak["variables"])
    assert any(
        e.startswith("keepalived_instances[VI_1].authentication.password: the password")
        for e in info.value.errors
    )
    assert weak["variables"]["scripts"][0]["script"] == "/usr/bin/systemctl restart haproxy.service"


# ---------------------------------------------------------------------------
# The grammar, one rule at a time
# ---------------------------------------------------------------------------

PATH = "/etc/keepalived/keepalived.conf"


def instance_text(body="", extra_top=""):
    return (
        f"{extra_top}\nvrrp_instance VI_1 {{\n state MASTER\n interface eth0\n"
        f" virtual_router_id 51\n priority 150\n virtual_ipaddress {{\n  192.0.2.10/24\n }}\n"
        f"{body}\n}}\n"
    )


def test_a_missing_close_brace_is_an_error_naming_the_block():
    result = parse("vrrp_instance VI_1 {\n state MASTER\n")
    assert result["errors"] == [
        {
            "file": PATH,
            "line": 1,
            "message": "the block 'vrrp_instance VI_1' is not closed (a } is missing)",
        }
    ]


def test_a_stray_close_brace_and_a_brace_without_keyword_are_errors():
    result = parse("}\n{\n}\n")
    assert [(e["line"], e["message"]) for e in result["errors"]] == [
        (1, "a } that closes no block"),
        (2, "a { that follows no keyword"),
    ]


def test_an_open_quote_is_an_error_and_the_rest_of_the_line_is_dropped():
    result = parse('vrrp_script s {\n script "/bin/true\n}\n')
    assert result["errors"] == [
        {
            "file": PATH,
            "line": 2,
            "message": "a double quote is not closed on this line; keepalived drops the rest of it",
        }
    ]
    assert result["variables"]["scripts"] == [{"name": "s", "script": ""}]


def test_comments_start_anywhere_outside_quotes():
    result = parse(instance_text(' notify "/bin/echo a#b!c" # comment\n garp_master_delay 5!x'))
    instance = result["variables"]["instances"][0]
    assert instance["notify"] == "/bin/echo a#b!c"
    assert instance["extra"] == ["garp_master_delay 5"]


def test_a_known_section_without_a_block_is_an_error():
    result = parse("global_defs\nvrrp_instance VI_1\n")
    assert [e["message"] for e in result["errors"]] == [
        "global_defs: a block { ... } must follow",
        "vrrp_instance VI_1: a block { ... } must follow",
    ]


def test_a_top_level_statement_is_dropped():
    result = parse("net_namespace blue\n")
    assert result["dropped"] == [
        {
            "file": PATH,
            "line": 1,
            "section": "net_namespace blue",
            "reason": "a top-level statement; the variables have no place for it: taking over "
            "would drop it",
        }
    ]


def test_repeated_blocks_merge_as_keepalived_does():
    text = (
        "global_defs {\n router_id a\n}\nglobal_defs {\n router_id b\n enable_script_security\n}\n"
    )
    text += instance_text(" virtual_ipaddress {\n  192.0.2.11\n }")
    result = parse(text)
    assert result["variables"]["global_defs"] == {
        "router_id": "b",
        "enable_script_security": True,
    }
    assert [v["address"] for v in result["variables"]["instances"][0]["virtual_ipaddresses"]] == [
        "192.0.2.10",
        "192.0.2.11",
    ]


def test_kept_text_has_secrets_redacted():
    # a line the model keeps in extra is shown with any auth_pass hidden
    result = parse(instance_text(' notify_deleted "/bin/echo auth_pass s3cr3tXY"'))
    assert result["kept"][0]["text"] == 'notify_deleted "/bin/echo auth_pass s3cr3tXY"'
    result = parse("global_defs {\n auth_pass s3cr3tXY\n}\n")
    assert result["variables"]["global_defs"]["extra"] == ["auth_pass s3cr3tXY"]
    assert result["kept"][0]["text"] == f"auth_pass {k.REDACTED}"


def test_weights_that_the_model_cannot_hold_stay_visible():
    result = parse(
        "vrrp_script c {\n script /bin/true\n weight -20 reverse\n}\n"
        + instance_text(" track_script {\n  c weight 10 reverse\n }")
    )
    assert result["variables"]["scripts"][0]["weight"] == "-20 reverse"
    assert result["variables"]["instances"][0]["track_scripts"] == [
        {"name": "c", "weight": "10 reverse"}
    ]
    with pytest.raises(k.KeepalivedConfigError) as info:
        k.normalize(result["variables"])
    assert any(
        e.startswith("keepalived_scripts[c].weight: '-20 reverse'") for e in info.value.errors
    )


def test_include_cycles_and_depth_are_errors():
    files = {
        "/etc/keepalived/a.conf": "include b.conf\n",
        "/etc/keepalived/b.conf": "include a.conf\n",
    }
    result = parse("include a.conf\n", PATH, files)
    assert [e["message"] for e in result["errors"]] == [
        "include /etc/keepalived/a.conf: the file includes itself (a cycle)"
    ]
    chain = {f"/etc/keepalived/{n}.conf": f"include {n + 1}.conf\n" for n in range(12)}
    result = parse("include 0.conf\n", PATH, chain)
    assert any("more than 8 levels of include" in e["message"] for e in result["errors"])


def test_include_with_an_absolute_pattern_and_inside_a_block():
    files = {"/srv/kd/vips.inc": "192.0.2.30/24 dev eth0\n", "/srv/kd/other/x.inc": "nothing\n"}
    result = parse(instance_text(" virtual_ipaddress {\n  include /srv/kd/*.inc\n }"), PATH, files)
    vips = result["variables"]["instances"][0]["virtual_ipaddresses"]
    assert [v["address"] for v in vips] == ["192.0.2.10", "192.0.2.30"]
    assert result["origins"]["keepalived_instances[VI_1].virtual_ipaddresses[1]"] == (
        "/srv/kd/vips.inc:1"
    )


def test_many_includes_are_bounded():
    files = {f"/etc/keepalived/d/{n}.conf": "include *.conf\n" for n in range(5)}
    result = parse("include d/*.conf\n", PATH, files)
    assert any("files read" in e["message"] or "levels" in e["message"] for e in result["errors"])


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ((None,), "keepalived.conf import: expected the file's text, got NoneType"),
        ((b"x",), "keepalived.conf import: expected the file's text, got bytes"),
        (("", "relative.conf"), "keepalived.conf import: the path 'relative.conf' is not"),
        (("", PATH, ["x"]), "keepalived.conf import: files must map absolute paths"),
    ],
)
def test_arguments_that_are_not_text_raise_our_error(arguments, expected):
    with pytest.raises(KeepalivedImportError) as info:
        parse(*arguments)
    assert isinstance(info.value, k.KeepalivedConfigError)
    assert info.value.errors[0].startswith(expected)


def test_files_with_other_types_are_ignored():
    result = parse("include *.conf\n", PATH, {5: "x", "/etc/keepalived/a.conf": None})
    assert result["dropped"][0]["reason"] == "include matched no file the import could read"


# ---------------------------------------------------------------------------
# Generated input: only our error, plain data, and the model has the last word
# ---------------------------------------------------------------------------

_KEYWORDS = [
    "global_defs", "vrrp_script", "vrrp_instance", "vrrp_sync_group", "track_file",
    "vrrp_track_file", "virtual_server", "router_id", "script_user", "enable_script_security",
    "vrrp_strict", "vrrp_garp_interval", "max_auto_priority", "script", "interval", "weight",
    "fall", "user", "file", "init_file", "state", "interface", "virtual_router_id", "priority",
    "advert_int", "version", "nopreempt", "preempt_delay", "authentication", "auth_type",
    "auth_pass", "virtual_ipaddress", "track_script", "track_interface", "unicast_src_ip",
    "unicast_peer", "notify", "notify_master", "group", "include", "dev", "label", "scope",
    "garp_master_delay", "smtp_alert", "@lb1", "$X=1", "$X",
]  # fmt: skip
_VALUES = [
    "VI_1", "eth0", "eth0 eth1", "192.0.2.10/24", "192.0.2.10", "fe80::1%eth0", "2001:db8::1/64",
    "51", "0", "256", "-20", "0.5", "1.25", "MASTER", "backup", "PASS", "AH", "s3cr3tXY",
    '"/bin/true"', '"/bin/echo a b"', "/bin/true", "nobody", "overwrite", "x" * 300, "{", "}",
    '"', "#", "!", "*.conf", "1e5", "nan", "9" * 40,
]  # fmt: skip


def _line(draw_keyword, draw_values, injection):
    return " ".join([draw_keyword, *draw_values]) + injection


config_lines = st.lists(
    st.builds(
        _line,
        st.sampled_from(_KEYWORDS),
        st.lists(st.sampled_from(_VALUES), max_size=3),
        st.sampled_from(["", "", "", " {", " {", "}", *INJECTIONS]),
    ),
    max_size=25,
).map("\n".join)


def _mutated(name, seed, injection):
    text = (CORPUS / name).read_text()
    rnd = random.Random(seed)
    for _step in range(rnd.randrange(1, 4)):
        cut = rnd.randrange(len(text) + 1)
        if rnd.random() < 0.3:
            text = text[:cut] + text[cut + rnd.randrange(1, 40) :]
        else:
            text = text[:cut] + injection + text[cut:]
    return text


generated = st.one_of(
    config_lines,
    st.text(max_size=200),
    st.builds(
        _mutated,
        st.sampled_from(ENTRY_POINTS),
        st.integers(0, 10**6),
        st.sampled_from(INJECTIONS),
    ),
)


def _check_result(result):
    assert set(result) == {"variables", "kept", "dropped", "errors", "origins"}
    json.dumps(result, allow_nan=False)
    assert set(result["variables"]) <= set(k.VAR_NAMES)
    for entry in result["kept"]:
        assert set(entry) == {"file", "line", "section", "variable", "text"}
        assert isinstance(entry["line"], int)
    for entry in result["dropped"]:
        assert set(entry) == {"file", "line", "section", "reason"}
    for entry in result["errors"]:
        assert set(entry) == {"file", "line", "message"}
    for key, where in result["origins"].items():
        assert isinstance(key, str) and isinstance(where, str)


def _model_verdict(variables):
    """normalize() accepts the variables or reports them with our messages;
    what it accepts renders, and reads back to the same variables."""
    try:
        config = k.normalize(variables, allow_weak_secrets=True)
    except ConfigError as exc:
        assert isinstance(exc, k.KeepalivedConfigError)
        for message in exc.errors:
            assert INTERNAL_ERROR not in message, message
            assert not CONTROL_RE.search(message), message
        return
    text = k.render(config, normalized=True)
    again = parse(text)
    assert again["errors"] == [] and again["dropped"] == []
    assert k.normalize(again["variables"], allow_weak_secrets=True) == config
    assert k.render(again["variables"], allow_weak_secrets=True) == text


@SETTINGS
@given(generated)
def test_generated_text_gives_plain_data_the_model_accepts_or_reports(text):
    files = corpus_files()
    result = parse(text, f"{ROOT}/generated.conf", files)
    _check_result(result)
    _model_verdict(result["variables"])


@SETTINGS
@given(
    st.dictionaries(
        st.sampled_from(["/etc/keepalived/a.conf", "/etc/x/b.conf", "/c"]),
        st.text(max_size=60) | config_lines,
        max_size=3,
    ),
    config_lines,
)
def test_generated_includes_never_crash(files, text):
    result = parse("include *.conf\ninclude ../x/*\n" + text, PATH, files)
    _check_result(result)
    _model_verdict(result["variables"])


def test_round_trip_of_every_corpus_file_with_generated_extra_lines():
    # the extra lines survive the loop whatever their order and position
    for name in ENTRY_POINTS:
        if name in REFUSED:
            continue
        result = parsed(name)
        instance = result["variables"]["instances"][0]
        instance["extra"] = [*instance.get("extra", []), "garp_master_refresh 7", "accept"]
        text = k.render(result["variables"], allow_weak_secrets=True)
        again = parse(text, f"{ROOT}/{name}", corpus_files())
        assert again["variables"] == result["variables"], name


LAYOUTS = {
    "no indentation": lambda line: line.strip(),
    "tabs and trailing blanks": lambda line: "\t" + line.strip() + " \t",
    "a comment after every line": lambda line: line + ("  ! note" if line.strip() else ""),
    "braces alone on their lines": lambda line: line.replace(" {", "\n{").replace("}", "\n}\n"),
    "braces touching the words": lambda line: line.replace(" {", "{"),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_the_layout_does_not_change_what_is_read(name, layout):
    files = corpus_files()
    path = f"{ROOT}/{name}"
    text = "\n".join(LAYOUTS[layout](line) for line in files[path].split("\n"))
    before, after = parse(files[path], path, files), parse(text, path, files)
    assert after["errors"] == []
    assert after["variables"] == before["variables"]
    assert kept_texts(after) == kept_texts(before)
    assert [d["section"] for d in after["dropped"]] == [d["section"] for d in before["dropped"]]
