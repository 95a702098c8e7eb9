"""The haproxy_certificate module, run as Ansible runs it (see runner.py),
with the real openssl CLI and test material it generates at test time: a root
CA, an intermediate, leaves signed by it, keys of both kinds, encrypted keys,
a certificate that expires soon and one that has expired."""

from __future__ import annotations

import grp
import json
import os
import pathlib
import pwd
import re
import stat
import subprocess

import pytest

from .runner import run_module

OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name
CA_EXT = "[ca]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n"
LEAF_EXT = "[leaf]\nbasicConstraints = CA:FALSE\nsubjectAltName = DNS:www.example.test\n"


def openssl(*args, data=None, cwd=None):
    return subprocess.run(
        ["openssl", *args], input=data, capture_output=True, text=True, check=True, cwd=cwd
    ).stdout


def blocks(text):
    return re.findall(r"-----BEGIN ([A-Z ]+)-----", text)


def body_line(pem):
    """A line of a PEM block's base64 body: if it shows up anywhere, the key leaked."""
    return pem.strip().splitlines()[1]


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """Certificates and keys, made once per session with the openssl CLI."""
    d = tmp_path_factory.mktemp("pki")
    (d / "ext.cnf").write_text(CA_EXT + LEAF_EXT)

    def key(name, kind="ec"):
        if kind == "rsa":
            openssl(
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                name,
                cwd=d,
            )
        else:
            openssl(
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-out",
                name,
                cwd=d,
            )

    def issue(name, cn, key_file, ca, days, ext):
        openssl("req", "-new", "-key", key_file, "-subj", f"/CN={cn}", "-out", f"{name}.csr", cwd=d)
        openssl(
            "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
            "-CAcreateserial", "-days", str(days), "-sha256", "-extfile", "ext.cnf",
            "-extensions", ext, "-out", f"{name}.crt", cwd=d,
        )  # fmt: skip

    key("root.key")
    openssl("req", "-x509", "-new", "-key", "root.key", "-subj", "/CN=Test Root CA",
            "-days", "3650", "-out", "root.crt", cwd=d)  # fmt: skip
    key("inter.key")
    issue("inter", "Test Intermediate CA", "inter.key", "root", 1825, "ca")
    key("leaf.key")
    issue("leaf", "www.example.test", "leaf.key", "inter", 365, "leaf")
    key("rsa.key", "rsa")
    issue("rsa", "rsa.example.test", "rsa.key", "inter", 365, "leaf")
    key("other.key")
    issue("soon", "soon.example.test", "leaf.key", "inter", 10, "leaf")
    # openssl 3.0 accepts a negative -days: notAfter a day before notBefore, in the past.
    issue("expired", "expired.example.test", "leaf.key", "inter", -1, "leaf")
    openssl(
        "pkey", "-in", "leaf.key", "-aes256", "-passout", "pass:secret", "-out", "enc8.key", cwd=d
    )
    openssl("rsa", "-in", "rsa.key", "-traditional", "-aes256", "-passout", "pass:secret",
            "-out", "encrsa.key", cwd=d)  # fmt: skip
    return {p.stem + p.suffix.replace(".", "_"): p.read_text() for p in d.iterdir()} | {"dir": d}


def warning_text(result):
    """The module's warnings as one string (ansible-core may return them as dicts)."""
    return json.dumps(result.get("warnings", []))


def run(tmp_path, check_mode=False, diff=True, env=None, **args):
    dest = pathlib.Path(args.pop("dest", tmp_path / "certs" / "site.pem"))
    args = {"dest": str(dest), "owner": OWNER, "group": GROUP, **args}
    return run_module("haproxy_certificate", args, tmp_path, check_mode, diff, env=env), dest


def given(pki, **extra):
    return {
        "certificate": pki["leaf_crt"],
        "chain": pki["inter_crt"],
        "private_key": pki["leaf_key"],
        **extra,
    }


def assert_untouched(dest, before):
    assert dest.read_bytes() == before["bytes"]
    assert dest.stat().st_mtime_ns == before["mtime"]
    assert sorted(p.name for p in dest.parent.iterdir()) == [dest.name]


def snapshot(dest):
    return {"bytes": dest.read_bytes(), "mtime": dest.stat().st_mtime_ns}


def test_assembles_certificate_chain_key_in_order_then_is_idempotent(tmp_path, pki):
    result, dest = run(tmp_path, **given(pki))
    assert result["changed"] is True, result
    text = dest.read_text()
    assert blocks(text) == ["CERTIFICATE", "CERTIFICATE", "PRIVATE KEY"]
    assert text == pki["leaf_crt"] + pki["inter_crt"] + pki["leaf_key"]
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    assert "www.example.test" in openssl("x509", "-in", str(dest), "-noout", "-subject")
    openssl("pkey", "-in", str(dest), "-noout")
    fingerprint = openssl("x509", "-in", str(dest), "-noout", "-fingerprint", "-sha256")
    assert result["fingerprint_sha256"] == fingerprint.strip().split("=", 1)[1]
    assert result["subject"] == "CN=www.example.test"
    assert result["issuer"] == "CN=Test Intermediate CA"
    assert result["chain"] == ["CN=Test Intermediate CA"]
    assert result["subject_alt_names"] == ["DNS:www.example.test"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", result["not_after"])
    assert result["days_left"] in (364, 365)
    assert not result.get("warnings"), result.get("warnings")
    assert sorted(p.name for p in dest.parent.iterdir()) == ["site.pem"]

    again, _dest = run(tmp_path, **given(pki))
    assert again["changed"] is False, again
    assert "diff" not in again


def test_text_is_normalized_so_layout_does_not_matter(tmp_path, pki):
    _result, dest = run(tmp_path, **given(pki))
    messy = given(
        pki,
        certificate="subject=CN = www.example.test\n\n" + pki["leaf_crt"].replace("\n", "  \r\n"),
        chain="\n\n" + pki["inter_crt"] + "\n\n",
    )
    result, _dest = run(tmp_path, **messy)
    assert result["changed"] is False, result
    assert dest.read_text() == pki["leaf_crt"] + pki["inter_crt"] + pki["leaf_key"]


def test_fullchain_as_certificate_gives_the_same_file(tmp_path, pki):
    result, dest = run(
        tmp_path,
        certificate=pki["leaf_crt"] + pki["inter_crt"],
        chain=pki["inter_crt"],  # given twice: written once
        private_key=pki["leaf_key"],
    )
    assert result["changed"] is True, result
    assert dest.read_text() == pki["leaf_crt"] + pki["inter_crt"] + pki["leaf_key"]


def test_path_options_read_files_on_the_host(tmp_path, pki):
    d = pki["dir"]
    result, dest = run(
        tmp_path,
        certificate_path=str(d / "leaf.crt"),
        chain_path=str(d / "inter.crt"),
        private_key_path=str(d / "leaf.key"),
    )
    assert result["changed"] is True, result
    assert dest.read_text() == pki["leaf_crt"] + pki["inter_crt"] + pki["leaf_key"]
    assert body_line(pki["leaf_key"]) not in result["_raw"]
    again, _dest = run(tmp_path, **given(pki))
    assert again["changed"] is False


def test_rsa_key_and_certificate(tmp_path, pki):
    result, dest = run(
        tmp_path, **given(pki, certificate=pki["rsa_crt"], private_key=pki["rsa_key"])
    )
    assert result["changed"] is True, result
    assert blocks(dest.read_text()) == ["CERTIFICATE", "CERTIFICATE", "PRIVATE KEY"]


def test_path_option_that_cannot_be_read_names_it(tmp_path, pki):
    result, dest = run(
        tmp_path, **given(pki, private_key=None, private_key_path="/nonexistent.key")
    )
    assert result.get("failed") is True
    assert result["msg"].startswith("private_key_path: cannot read /nonexistent.key")
    assert not dest.exists()


@pytest.mark.parametrize(
    ("key", "cert", "named"),
    [("other_key", "leaf_crt", "www"), ("leaf_key", "rsa_crt", "rsa")],
    ids=["ec-key-of-another-cert", "ec-key-for-rsa-cert"],
)
def test_key_of_another_certificate_fails_and_changes_nothing(tmp_path, pki, key, cert, named):
    _result, dest = run(tmp_path, **given(pki))
    before = snapshot(dest)
    result, _dest = run(tmp_path, **given(pki, certificate=pki[cert], private_key=pki[key]))
    assert result.get("failed") is True
    assert result["msg"].startswith("private_key does not match certificate (subject CN=")
    assert f"CN={named}.example.test" in result["msg"] and "serial " in result["msg"]
    assert "was not changed" in result["msg"]
    assert_untouched(dest, before)
    assert body_line(pki[key]) not in result["_raw"]


@pytest.mark.parametrize("key", ["enc8_key", "encrsa_key"], ids=["pkcs8", "traditional"])
def test_encrypted_key_is_refused(tmp_path, pki, key):
    result, dest = run(tmp_path, **given(pki, private_key=pki[key]))
    assert result.get("failed") is True
    assert result["msg"].startswith("private_key: the private key is encrypted")
    assert "passphrase" in result["msg"]
    assert not dest.exists()


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("certificate", "not a certificate", "certificate: no PEM certificate found"),
        ("chain", "garbage", "chain: no PEM certificate found"),
        ("private_key", "garbage", "private_key: no PEM private key found"),
        (
            "certificate",
            "-----BEGIN CERTIFICATE-----\nMIIBroken\n",
            "certificate: a PEM block is cut short",
        ),
        (
            "certificate",
            "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
            "certificate: openssl cannot read the certificate",
        ),
        (
            "private_key",
            "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n",
            "private_key: openssl cannot read the private key",
        ),
        ("private_key", "CERT", "private_key: holds a CERTIFICATE block"),
        ("chain", "KEY", "chain: holds a private key"),
    ],
)
def test_garbage_is_refused_naming_the_option(tmp_path, pki, option, value, message):
    value = {"CERT": pki["leaf_crt"], "KEY": pki["other_key"]}.get(value, value)
    result, dest = run(tmp_path, **given(pki, **{option: value}))
    assert result.get("failed") is True
    assert result["msg"].startswith(message), result["msg"]
    assert not dest.exists()
    assert body_line(pki["leaf_key"]) not in result["_raw"]
    assert body_line(pki["other_key"]) not in result["_raw"]


def test_certificate_and_key_swapped_keeps_the_key_out_of_the_output(tmp_path, pki):
    result, dest = run(
        tmp_path, **given(pki, certificate=pki["leaf_key"], private_key=pki["leaf_crt"])
    )
    assert result.get("failed") is True
    assert result["msg"].startswith("certificate: holds a private key")
    assert body_line(pki["leaf_key"]) not in result["_raw"]
    assert not dest.exists()


def test_expiring_soon_warns(tmp_path, pki):
    result, dest = run(tmp_path, **given(pki, certificate=pki["soon_crt"]))
    assert result["changed"] is True, result
    assert result["days_left"] in (9, 10)
    warnings = warning_text(result)
    assert "CN=soon.example.test" in warnings and "expires on" in warnings
    quiet, _dest = run(tmp_path, **given(pki, certificate=pki["soon_crt"], expiry_warn_days=5))
    assert not quiet.get("warnings"), quiet["warnings"]


def test_expired_fails_unless_allowed(tmp_path, pki):
    _result, dest = run(tmp_path, **given(pki))
    before = snapshot(dest)
    result, _dest = run(tmp_path, **given(pki, certificate=pki["expired_crt"]))
    assert result.get("failed") is True
    assert "CN=expired.example.test" in result["msg"] and "expired on" in result["msg"]
    assert "allow_expired" in result["msg"]
    assert_untouched(dest, before)
    allowed, _dest = run(tmp_path, **given(pki, certificate=pki["expired_crt"], allow_expired=True))
    assert allowed["changed"] is True, allowed
    assert allowed["days_left"] < 0
    assert "expired on" in warning_text(allowed)


def test_chain_out_of_order_warns(tmp_path, pki):
    result, dest = run(tmp_path, **given(pki, chain=pki["root_crt"] + pki["inter_crt"]))
    assert result["changed"] is True, result
    assert "give the intermediates in order" in warning_text(result)
    assert blocks(dest.read_text()) == ["CERTIFICATE"] * 3 + ["PRIVATE KEY"]


def san_text(dest):
    return openssl("x509", "-in", str(dest), "-noout", "-ext", "subjectAltName")


def test_self_signed_creates_then_keeps_then_follows_the_names(tmp_path):
    args = {
        "self_signed": True,
        "common_name": "lab.example.test",
        "subject_alt_names": ["lab.example.test", "lb.example.test", "192.0.2.10", "2001:db8::10"],
    }
    result, dest = run(tmp_path, **args)
    assert result["changed"] is True, result
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    assert blocks(dest.read_text()) == ["CERTIFICATE", "PRIVATE KEY"]
    sans = san_text(dest)
    for name in ("DNS:lab.example.test", "DNS:lb.example.test", "IP Address:192.0.2.10"):
        assert name in sans
    assert "IP Address:2001:DB8:0:0:0:0:0:10" in sans
    assert result["subject"] == "CN=lab.example.test"
    assert result["subject_alt_names"][-1] == "IP:2001:db8::10"
    assert result["days_left"] in (364, 365)
    cert_pub = openssl("x509", "-in", str(dest), "-noout", "-pubkey")
    assert cert_pub == openssl("pkey", "-in", str(dest), "-pubout")
    assert "id-ecPublicKey" in openssl("x509", "-in", str(dest), "-noout", "-text")
    assert sorted(p.name for p in tmp_path.glob("certs/*")) == ["site.pem"]
    key = dest.read_text().split("-----END CERTIFICATE-----\n")[1]
    assert body_line(key) not in result["_raw"]

    again, _dest = run(tmp_path, **args)
    assert again["changed"] is False, again
    assert again["fingerprint_sha256"] == result["fingerprint_sha256"]

    renamed, _dest = run(tmp_path, **{**args, "subject_alt_names": ["lab.example.test"]})
    assert renamed["changed"] is True
    assert renamed["fingerprint_sha256"] != result["fingerprint_sha256"]
    assert "lb.example.test" not in san_text(dest)

    rsa, _dest = run(tmp_path, **{**args, "key_type": "rsa"})
    assert rsa["changed"] is True
    assert "rsaEncryption" in openssl("x509", "-in", str(dest), "-noout", "-text")
    assert "(2048 bit" in openssl("pkey", "-in", str(dest), "-noout", "-text")


@pytest.mark.parametrize("check_mode", [False, True])
def test_self_signed_leaves_no_key_in_temporary_files(tmp_path, check_mode):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    result, dest = run(
        tmp_path,
        check_mode=check_mode,
        env={"TMPDIR": str(scratch)},
        self_signed=True,
        common_name="lab.example.test",
    )
    assert result["changed"] is True, result
    assert list(scratch.iterdir()) == []
    assert dest.exists() is not check_mode


def test_self_signed_san_defaults_to_the_common_name(tmp_path):
    result, dest = run(tmp_path, self_signed=True, common_name="lab.example.test")
    assert result["changed"] is True, result
    assert result["subject_alt_names"] == ["DNS:lab.example.test"]
    assert "DNS:lab.example.test" in san_text(dest)


def test_self_signed_replaces_a_certificate_that_is_about_to_expire(tmp_path, pki):
    _result, dest = run(tmp_path, **given(pki, certificate=pki["soon_crt"], chain=None))
    args = {"self_signed": True, "common_name": "soon.example.test"}
    # same CN, but neither the SANs nor the remaining validity fit
    result, _dest = run(tmp_path, **args, subject_alt_names=["www.example.test"])
    assert result["changed"] is True
    assert result["issuer"] == "CN=soon.example.test"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"valid_days": 20}, "valid_days (20) must be more than expiry_warn_days (30)"),
        ({"subject_alt_names": ["bad name!"]}, "subject_alt_names: 'bad name!' is neither"),
        ({"subject_alt_names": ["IP:lab"]}, "subject_alt_names: 'IP:lab' is not an IP address"),
        ({"certificate": "x"}, "self_signed: true generates the certificate and key"),
    ],
)
def test_self_signed_bad_options(tmp_path, args, message):
    result, dest = run(tmp_path, self_signed=True, common_name="lab.example.test", **args)
    assert result.get("failed") is True
    assert result["msg"].startswith(message), result["msg"]
    assert not dest.exists()


def test_check_mode_writes_nothing(tmp_path, pki):
    result, dest = run(tmp_path, check_mode=True, **given(pki))
    assert result["changed"] is True, result
    assert result["subject"] == "CN=www.example.test"
    assert not dest.parent.exists() or list(dest.parent.iterdir()) == []

    _result, dest = run(tmp_path, **given(pki))
    before = snapshot(dest)
    same, _dest = run(tmp_path, check_mode=True, **given(pki))
    assert same["changed"] is False
    other, _dest = run(
        tmp_path,
        check_mode=True,
        **given(pki, certificate=pki["rsa_crt"], private_key=pki["rsa_key"]),
    )
    assert other["changed"] is True
    assert "CN=rsa.example.test" in other["diff"]["after"]
    assert "CN=www.example.test" in other["diff"]["before"]
    dest.chmod(0o640)
    before = snapshot(dest)
    mode_only, _dest = run(tmp_path, check_mode=True, **given(pki))
    assert mode_only["changed"] is True
    assert stat.S_IMODE(dest.stat().st_mode) == 0o640
    assert_untouched(dest, before)

    selfsigned, _dest = run(
        tmp_path,
        check_mode=True,
        self_signed=True,
        common_name="lab.example.test",
        dest=str(tmp_path / "lab.pem"),
    )
    assert selfsigned["changed"] is True, selfsigned
    assert not (tmp_path / "lab.pem").exists()


def test_private_key_never_in_output_or_diff(tmp_path, pki):
    secret = body_line(pki["leaf_key"])
    result, dest = run(tmp_path, diff=True, **given(pki))
    assert secret in dest.read_text()
    assert secret not in result["_raw"]
    assert "PRIVATE KEY" not in result["_raw"]
    assert result["diff"]["before_header"] == "(absent)"
    assert "subject: CN=www.example.test" in result["diff"]["after"]
    assert "fingerprint_sha256: " in result["diff"]["after"]
    assert "private key: (not shown)" in result["diff"]["after"]
    # ansible-core before 2.21 echoes the arguments as `invocation`, the key masked;
    # 2.21 no longer returns them at all.
    if "invocation" in result:
        masked = result["invocation"]["module_args"]["private_key"]
        assert masked == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    # a different file holding the same certificate: the diff says so, still without the key
    dest.write_text(pki["leaf_crt"] + pki["leaf_key"])
    relayout, _dest = run(tmp_path, diff=True, **given(pki))
    assert relayout["changed"] is True
    assert "chain[0]: CN=Test Intermediate CA" in relayout["diff"]["after"]
    assert secret not in relayout["_raw"]


@pytest.mark.parametrize("mode", ["0644", "0604", "0602", 0o644, "u=rw,g=r"])
def test_mode_that_lets_others_in_is_refused(tmp_path, pki, mode):
    result, dest = run(tmp_path, mode=mode, **given(pki))
    assert result.get("failed") is True
    assert result["msg"].startswith("mode: ")
    assert "0640" in result["msg"]
    assert not dest.exists()


def test_group_readable_mode_and_mode_repair(tmp_path, pki):
    result, dest = run(tmp_path, mode="0640", **given(pki))
    assert result["changed"] is True, result
    assert stat.S_IMODE(dest.stat().st_mode) == 0o640
    dest.chmod(0o600)
    again, _dest = run(tmp_path, mode=0o640, **given(pki))
    assert again["changed"] is True
    assert stat.S_IMODE(dest.stat().st_mode) == 0o640
    assert run(tmp_path, mode="0640", **given(pki))[0]["changed"] is False


def test_backup_keeps_a_private_copy(tmp_path, pki):
    _result, dest = run(tmp_path, **given(pki))
    old = dest.read_bytes()
    result, _dest = run(
        tmp_path, backup=True, **given(pki, certificate=pki["rsa_crt"], private_key=pki["rsa_key"])
    )
    assert result["changed"] is True, result
    backup = pathlib.Path(result["backup_file"])
    assert backup.read_bytes() == old
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert "rsa.example.test" in openssl("x509", "-in", str(dest), "-noout", "-subject")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"private_key": None}, "private_key or private_key_path is required"),
        ({"certificate": None}, "certificate or certificate_path is required"),
        (
            {"certificate_path": "/x"},
            "certificate and certificate_path are mutually exclusive",
        ),
        ({"owner": "no-such-user-halb"}, "owner no-such-user-halb: no such user or group"),
    ],
)
def test_option_errors(tmp_path, pki, args, message):
    result, dest = run(tmp_path, **given(pki, **args))
    assert result.get("failed") is True
    assert message in result["msg"], result["msg"]
    assert not dest.exists()


def test_variable_prefixes_the_messages(tmp_path, pki):
    result, _dest = run(
        tmp_path,
        variable="haproxy_certificates[www]",
        **given(pki, private_key=pki["other_key"]),
    )
    assert result["msg"].startswith(
        "haproxy_certificates[www].private_key does not match certificate"
    )
    result, _dest = run(tmp_path, variable="haproxy_certificates[www]", **given(pki, mode="0644"))
    assert result["msg"].startswith("haproxy_certificates[www].mode: ")


def test_check_mode_on_a_host_without_openssl_warns_and_predicts_a_change(tmp_path, pki):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    result, dest = run(tmp_path, check_mode=True, env={"PATH": str(empty)}, **given(pki))
    assert result.get("failed") is not True, result
    assert result["changed"] is True
    assert "openssl is not installed yet" in warning_text(result)
    assert not dest.exists()
    result, _dest = run(tmp_path, env={"PATH": str(empty)}, **given(pki))
    assert result.get("failed") is True
