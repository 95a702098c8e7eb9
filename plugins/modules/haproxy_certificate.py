#!/usr/bin/python
# Copyright: halb.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: haproxy_certificate
short_description: Assemble the PEM file of an HAProxy C(bind ... ssl crt), checked before it replaces anything
version_added: 0.1.0
description:
  - Writes the single PEM file that HAProxy's C(bind ... ssl crt <file>)
    loads - the server certificate, then the chain (intermediates, in order),
    then the private key - from PEM text given to the module, from files on
    the target host, or from a freshly generated self-signed certificate for
    labs.
  - Checks before it writes, with the C(openssl) command line tool of the
    target host; every failure names the parameter and leaves O(dest)
    untouched. Each input must be PEM of the right kind; an encrypted
    (passphrase-protected) private key is refused, because HAProxy cannot ask
    for a passphrase when it starts; the private key must match the
    certificate (their public keys are compared, for RSA and EC keys alike).
  - Warns when the certificate expires within O(expiry_warn_days) days and
    fails when it has already expired, unless O(allow_expired=true).
  - The file is created with mode C(0600) from the first byte, gets its final
    owner, group and mode while it is still a temporary file beside O(dest),
    and is then renamed over O(dest) in one step; HAProxy never sees half a
    file and no other user can read the key at any moment. Modes that let
    other users read the file are refused.
  - The PEM text is normalized (text outside the PEM blocks is dropped, every
    block ends in exactly one newline), so the same inputs always give the
    same file, and a second run with them reports no change.
  - Key material never appears in messages, results, diffs or logs; the diff
    shows the certificate's subject, dates and fingerprint only.
author:
  - halb.cluster contributors (!UNKNOWN)
requirements:
  - the C(openssl) command line tool on the target host
options:
  dest:
    description:
      - Path of the PEM file HAProxy loads (C(crt) of a C(bind) line).
      - Its directory is created (mode C(0755)) when it does not exist.
      - When HAProxy loads a whole directory (C(crt /etc/haproxy/certs/)),
        every file in it is taken for a certificate; see O(backup).
    type: path
    required: true
  certificate:
    description:
      - The server certificate, as PEM text.
      - Further certificates after the first (a C(fullchain.pem)) are taken as
        the start of the chain, before O(chain); a certificate given twice is
        written once.
      - Mutually exclusive with O(certificate_path) and O(self_signed).
    type: str
  certificate_path:
    description:
      - A PEM file on the target host holding the server certificate, read
        like O(certificate).
    type: path
  chain:
    description:
      - The intermediate certificates as PEM text, the one that issued the
        server certificate first. A warning is given when they are not in
        that order.
      - Mutually exclusive with O(chain_path).
    type: str
  chain_path:
    description: A PEM file on the target host holding the chain, read like O(chain).
    type: path
  private_key:
    description:
      - The private key (RSA or EC; PKCS#1, SEC 1 or PKCS#8) as unencrypted
        PEM text. Kept out of logs and output.
      - Mutually exclusive with O(private_key_path).
    type: str
  private_key_path:
    description: A PEM file on the target host holding the private key, read like O(private_key).
    type: path
  self_signed:
    description:
      - Generate a private key and a self-signed certificate for O(common_name)
        (labs and tests; clients will not trust it).
      - When O(dest) already holds a certificate with the same common name,
        subject alternative names and key type, whose key matches it and that
        is not expiring within O(expiry_warn_days) days, the file is left as
        it is; otherwise a new key and certificate replace it.
      - Mutually exclusive with the certificate, chain and key options.
    type: bool
    default: false
  common_name:
    description: Common name (CN) of the self-signed certificate. Required with O(self_signed=true).
    type: str
  subject_alt_names:
    description:
      - DNS names and IP addresses of the self-signed certificate
        (C(www.example.com), C(*.example.com), C(192.0.2.10), C(2001:db8::10));
        a C(DNS:) or C(IP:) prefix is allowed.
      - Defaults to O(common_name).
    type: list
    elements: str
  valid_days:
    description: Validity of the self-signed certificate, in days; must be more than O(expiry_warn_days).
    type: int
    default: 365
  key_type:
    description: Key of the self-signed certificate, C(ec) (P-256) or C(rsa) (2048 bits).
    type: str
    choices: [ec, rsa]
    default: ec
  expiry_warn_days:
    description: Warn when the certificate expires within this many days.
    type: int
    default: 30
  allow_expired:
    description: Write a certificate that has already expired (with a warning) instead of failing.
    type: bool
    default: false
  backup:
    description:
      - Keep a timestamped copy (mode C(0600)) of the old file beside O(dest)
        when it changes.
      - Off by default, unlike the configuration modules - every copy is one
        more private key on disk, and HAProxy loads every file of a directory
        given as C(crt).
    type: bool
    default: false
  owner:
    description: Owner of O(dest).
    type: str
    default: root
  group:
    description: Group of O(dest).
    type: str
    default: root
  mode:
    description:
      - Mode of O(dest), in octal (C("0600"), C("0640")); symbolic modes are not
        accepted.
      - A mode that lets other users read, write or execute the file (for
        example C("0644")) is refused. C("0640") with O(group=haproxy) is
        allowed.
    type: raw
    default: "0600"
  variable:
    description:
      - The variable the inputs came from, for example C(haproxy_certificates[www]);
        error messages start with it, so that they name what to fix.
    type: str
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: The diff shows the certificate's subject, issuer, dates, SANs and fingerprint and the chain, never the key.
  platform:
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
"""

EXAMPLES = r"""
- name: Install the site certificate for HAProxy
  halb.cluster.haproxy_certificate:
    dest: /etc/haproxy/certs/www.example.com.pem
    certificate: "{{ lookup('ansible.builtin.file', 'files/www.example.com.crt') }}"
    chain: "{{ lookup('ansible.builtin.file', 'files/intermediate.crt') }}"
    private_key: "{{ vault_www_private_key }}"
    group: haproxy
    mode: "0640"
  notify: Reload haproxy

- name: Assemble from files certbot left on the host
  halb.cluster.haproxy_certificate:
    dest: /etc/haproxy/certs/www.example.com.pem
    certificate_path: /etc/letsencrypt/live/www.example.com/cert.pem
    chain_path: /etc/letsencrypt/live/www.example.com/chain.pem
    private_key_path: /etc/letsencrypt/live/www.example.com/privkey.pem
    expiry_warn_days: 20
  notify: Reload haproxy

- name: A self-signed certificate for the lab VIP
  halb.cluster.haproxy_certificate:
    dest: /etc/haproxy/certs/lab.pem
    self_signed: true
    common_name: lab.example.test
    subject_alt_names: [lab.example.test, 192.0.2.10]
  notify: Reload haproxy
"""

RETURN = r"""
dest:
  description: Path of the PEM file.
  returned: always
  type: str
subject:
  description: Subject of the server certificate (RFC 2253).
  returned: success
  type: str
  sample: CN=www.example.com,O=Example
issuer:
  description: Issuer of the server certificate (RFC 2253).
  returned: success
  type: str
serial:
  description: Serial number of the server certificate, in hex.
  returned: success
  type: str
not_after:
  description: End of the server certificate's validity, ISO 8601 in UTC.
  returned: success
  type: str
  sample: "2026-03-01T12:00:00Z"
days_left:
  description: Whole days until O(dest)'s certificate expires (negative when it has expired).
  returned: success
  type: int
fingerprint_sha256:
  description: SHA-256 fingerprint of the server certificate.
  returned: success
  type: str
  sample: "3A:7F:...:C2"
subject_alt_names:
  description: Subject alternative names of the server certificate (C(DNS:name), C(IP:address)).
  returned: success
  type: list
  elements: str
chain:
  description: Subjects of the chain certificates written after the server certificate, in order.
  returned: success
  type: list
  elements: str
backup_file:
  description: The copy of the previous file, when one was made.
  returned: changed, O(backup=true) and a file existed
  type: str
"""

import datetime
import grp
import ipaddress
import math
import os
import pwd
import re
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.halb.cluster.plugins.module_utils._configfile import private_backup

_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)
_KEY_LABELS = ("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DNS_NAME = re.compile(
    r"(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?"
)
# datetime.UTC is Python 3.11+; modules run on the target's Python.
_UTC = datetime.timezone.utc  # noqa: UP017
_KEY_TYPES = {"id-ecPublicKey": "ec", "rsaEncryption": "rsa"}


class CertificateError(Exception):
    """An input was refused; the message names the parameter and holds no key material."""


# --- PEM text ---------------------------------------------------------------


def pem_blocks(text, param):
    """The PEM blocks of ``text`` as (label, normalized block): lines stripped,
    blank lines dropped, ending in one newline. Text between blocks is dropped."""
    blocks = []
    for match in _BLOCK.finditer(text):
        label = match.group(1)
        lines = [line.strip() for line in match.group(2).splitlines() if line.strip()]
        block = "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"]) + "\n"
        blocks.append((label, block))
    if text.count("-----BEGIN ") != len(blocks):
        raise CertificateError(
            f"{param}: a PEM block is cut short or malformed "
            "(every -----BEGIN X----- needs a matching -----END X-----)"
        )
    return blocks


def certificate_blocks(text, param):
    """The certificates of ``text``, in order; anything else is refused."""
    blocks = pem_blocks(text, param)
    if not blocks:
        raise CertificateError(
            f"{param}: no PEM certificate found (expected -----BEGIN CERTIFICATE-----)"
        )
    for label, _block in blocks:
        if label.endswith("PRIVATE KEY"):
            raise CertificateError(
                f"{param}: holds a private key (-----BEGIN {label}-----); "
                "give the key as private_key or private_key_path, only certificates belong here"
            )
        if label != "CERTIFICATE":
            raise CertificateError(
                f"{param}: holds a {label} block; only certificates "
                "(-----BEGIN CERTIFICATE-----) belong here"
            )
    return [block for _label, block in blocks]


def private_key_block(text, param):
    """The one unencrypted private key of ``text`` (EC PARAMETERS blocks are dropped)."""
    keys = []
    for label, block in pem_blocks(text, param):
        if label == "EC PARAMETERS":
            continue
        if label == "ENCRYPTED PRIVATE KEY" or (
            label in _KEY_LABELS and "Proc-Type: 4,ENCRYPTED" in block
        ):
            raise CertificateError(
                f"{param}: the private key is encrypted (passphrase-protected); HAProxy "
                "cannot ask for a passphrase when it starts. Give it decrypted, e.g. "
                "from `openssl pkey -in key.pem -out key-plain.pem`, and keep it in Ansible Vault"
            )
        if label not in _KEY_LABELS:
            raise CertificateError(
                f"{param}: holds a {label} block; only the private key belongs here"
            )
        keys.append(block)
    if not keys:
        raise CertificateError(
            f"{param}: no PEM private key found (expected -----BEGIN PRIVATE KEY-----, "
            "-----BEGIN RSA PRIVATE KEY----- or -----BEGIN EC PRIVATE KEY-----)"
        )
    if len(keys) > 1:
        raise CertificateError(f"{param}: holds {len(keys)} private keys; give exactly one")
    return keys[0]


def parse_time(value):
    """openssl's 'Jun  1 12:00:00 2026 GMT' as an aware UTC datetime (no locale involved)."""
    parts = value.split()
    try:
        month = _MONTHS.index(parts[0]) + 1
        hour, minute, second = (int(p) for p in parts[2].split(":"))
        return datetime.datetime(
            int(parts[3]), month, int(parts[1]), hour, minute, second, tzinfo=_UTC
        )
    except (IndexError, ValueError) as exc:
        raise CertificateError(f"cannot read the date {value!r} printed by openssl") from exc


def iso(when):
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def common_name(subject):
    """The CN of an RFC 2253 subject, unescaped, or None."""
    match = re.search(r"(?:^|,)CN=((?:[^,\\]|\\.)*)", subject)
    return re.sub(r"\\(.)", r"\1", match.group(1)) if match else None


def san_entries(names, param="subject_alt_names"):
    """Normalized SANs ('DNS:name' lower case, 'IP:address' compressed), in
    order, without duplicates."""
    entries = []
    for raw in names:
        value = str(raw).strip()
        kind = None
        if value[:4].upper() == "DNS:":
            kind, value = "DNS", value[4:].strip()
        elif value[:3].upper() == "IP:":
            kind, value = "IP", value[3:].strip()
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            address = None
        if kind == "IP" and address is None:
            raise CertificateError(f"{param}: {raw!r} is not an IP address")
        if address is not None and kind != "DNS":
            entry = f"IP:{address}"
        elif _DNS_NAME.fullmatch(value) and len(value) <= 253:
            entry = f"DNS:{value.lower()}"
        else:
            raise CertificateError(f"{param}: {raw!r} is neither a DNS name nor an IP address")
        if entry not in entries:
            entries.append(entry)
    return entries


def _sans_from_text(text):
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if "X509v3 Subject Alternative Name" in line and index + 1 < len(lines):
            names = []
            for item in lines[index + 1].split(","):
                kind, _sep, value = item.strip().partition(":")
                if kind == "DNS":
                    names.append(f"DNS:{value.lower()}")
                elif kind == "IP Address":
                    try:
                        names.append(f"IP:{ipaddress.ip_address(value)}")
                    except ValueError:
                        names.append(f"IP:{value}")
                elif item.strip():
                    names.append(item.strip())
            return names
    return []


def summary(leaf, chain):
    """What the diff shows of a certificate file: never the key."""
    lines = [
        f"subject: {leaf['subject']}",
        f"issuer: {leaf['issuer']}",
        f"serial: {leaf['serial']}",
        f"not_after: {iso(leaf['not_after'])}",
        f"subject_alt_names: {', '.join(leaf['sans']) or '(none)'}",
        f"fingerprint_sha256: {leaf['fingerprint']}",
    ]
    lines += [f"chain[{i}]: {c['subject']} ({c['fingerprint']})" for i, c in enumerate(chain)]
    lines.append("private key: (not shown)")
    return "\n".join(lines) + "\n"


# --- openssl ----------------------------------------------------------------


class OpenSSL:
    """The target's openssl CLI. Keys go in through stdin; nothing it prints
    about a key is ever passed on."""

    def __init__(self, module):
        self.module = module
        self.binary = module.get_bin_path("openssl", required=True)

    def run(self, args, data=None):
        return self.module.run_command(
            [self.binary, *args], data=data, environ_update={"LC_ALL": "C"}
        )

    def certificate(self, block, param):
        rc, out, err = self.run(
            [
                "x509",
                "-noout",
                "-subject",
                "-issuer",
                "-serial",
                "-startdate",
                "-enddate",
                "-fingerprint",
                "-sha256",
                "-nameopt",
                "RFC2253,-esc_msb",
                "-pubkey",
                "-text",
            ],
            data=block,
        )
        if rc != 0:
            detail = (err or "").strip().splitlines()
            raise CertificateError(
                f"{param}: openssl cannot read the certificate"
                + (f" ({detail[0]})" if detail else "")
            )
        fields = {}
        for line in out.splitlines():
            match = re.match(
                r"(subject|issuer|serial|notBefore|notAfter|\w+ Fingerprint)=(.*)$", line
            )
            if match:
                key = "fingerprint" if match.group(1).endswith("Fingerprint") else match.group(1)
                fields[key] = match.group(2).strip()
        pubkeys = [b for label, b in pem_blocks(out, param) if label == "PUBLIC KEY"]
        missing = {"subject", "issuer", "serial", "notBefore", "notAfter", "fingerprint"} - set(
            fields
        )
        if missing or len(pubkeys) != 1:
            raise CertificateError(f"{param}: openssl printed no {', '.join(sorted(missing))}")
        algorithm = re.search(r"Public Key Algorithm:\s*(\S+)", out)
        algorithm = algorithm.group(1) if algorithm else "unknown"
        return {
            "subject": fields["subject"],
            "issuer": fields["issuer"],
            "serial": fields["serial"],
            "not_before": parse_time(fields["notBefore"]),
            "not_after": parse_time(fields["notAfter"]),
            "fingerprint": fields["fingerprint"],
            "pubkey": pubkeys[0],
            "sans": _sans_from_text(out),
            "key_type": _KEY_TYPES.get(algorithm, algorithm),
        }

    def public_key(self, block, param):
        """The public half of a private key. openssl's own words are not shown:
        they are about the key."""
        rc, out, _err = self.run(["pkey", "-pubout", "-passin", "pass:"], data=block)
        pubkeys = (
            [b for label, b in pem_blocks(out, param) if label == "PUBLIC KEY"] if rc == 0 else []
        )
        if len(pubkeys) != 1:
            raise CertificateError(
                f"{param}: openssl cannot read the private key (damaged, or not an RSA or "
                "EC key in PKCS#1, SEC 1 or PKCS#8 PEM)"
            )
        return pubkeys[0]

    def self_signed(self, name, sans, days, key_type):
        """A new (certificate, private key) pair, as PEM. The key exists on disk
        only in a private temporary directory, in files created 0600."""
        workdir = tempfile.mkdtemp(prefix="halb-cert-")
        try:
            key_file = os.path.join(workdir, "key.pem")
            os.close(os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            if key_type == "rsa":
                genpkey = ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
                usage = "digitalSignature,keyEncipherment"
            else:
                genpkey = [
                    "-algorithm",
                    "EC",
                    "-pkeyopt",
                    "ec_paramgen_curve:prime256v1",
                    "-pkeyopt",
                    "ec_param_enc:named_curve",
                ]
                usage = "digitalSignature"
            rc, _out, err = self.run(["genpkey", *genpkey, "-out", key_file])
            if rc != 0:
                raise CertificateError(
                    f"self_signed: openssl genpkey failed (rc={rc}): {err.strip()}"
                )
            config = os.path.join(workdir, "req.cnf")
            with open(config, "w", encoding="utf-8") as handle:
                handle.write(
                    "[req]\ndistinguished_name = dn\nx509_extensions = v3\nprompt = no\n[dn]\n"
                    "[v3]\nbasicConstraints = critical,CA:FALSE\n"
                    f"keyUsage = critical,{usage}\nextendedKeyUsage = serverAuth\n"
                    f"subjectAltName = {','.join(sans)}\nsubjectKeyIdentifier = hash\n"
                )
            subject = "/CN=" + name.replace("\\", "\\\\").replace("/", "\\/")
            rc, out, err = self.run(
                ["req", "-new", "-x509", "-config", config, "-key", key_file, "-subj", subject]
                + ["-days", str(days), "-sha256"]
            )
            if rc != 0:
                raise CertificateError(f"self_signed: openssl req failed (rc={rc}): {err.strip()}")
            with open(key_file, encoding="ascii") as handle:
                key = handle.read()
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        hide(self.module, key)
        return certificate_blocks(out, "self_signed")[0], private_key_block(key, "self_signed")


# --- the module -----------------------------------------------------------------


def _argument_spec():
    return {
        "dest": {"type": "path", "required": True},
        "certificate": {"type": "str"},
        "certificate_path": {"type": "path"},
        "chain": {"type": "str"},
        "chain_path": {"type": "path"},
        "private_key": {"type": "str", "no_log": True},
        "private_key_path": {"type": "path"},
        "self_signed": {"type": "bool", "default": False},
        "common_name": {"type": "str"},
        "subject_alt_names": {"type": "list", "elements": "str"},
        "valid_days": {"type": "int", "default": 365},
        "key_type": {"type": "str", "choices": ["ec", "rsa"], "default": "ec"},
        "expiry_warn_days": {"type": "int", "default": 30},
        "allow_expired": {"type": "bool", "default": False},
        "backup": {"type": "bool", "default": False},
        "owner": {"type": "str", "default": "root"},
        "group": {"type": "str", "default": "root"},
        "mode": {"type": "raw", "default": "0600"},
        "variable": {"type": "str"},
    }


_SOURCES = (
    "certificate",
    "certificate_path",
    "chain",
    "chain_path",
    "private_key",
    "private_key_path",
)


def file_mode(value):
    """The octal mode of the mode option; refuses what lets other users in."""
    if isinstance(value, int) and not isinstance(value, bool):
        mode = value
    elif isinstance(value, str) and re.fullmatch(r"[0-7]{3,4}", value.strip()):
        mode = int(value.strip(), 8)
    else:
        raise CertificateError(
            f"mode: {value!r} is not an octal mode; give one such as '0600' or '0640' "
            "(symbolic modes are not accepted for a private key)"
        )
    if not 0 <= mode <= 0o7777:
        raise CertificateError(f"mode: {value!r} is out of range")
    if mode & 0o007:
        raise CertificateError(
            f"mode: {mode:04o} lets every user of the host at the private key; "
            "use '0600', or '0640' with group: haproxy"
        )
    return mode


def ids(module):
    """(uid, gid) of the owner and group options, or None for one that does not exist."""
    owner, group = module.params["owner"], module.params["group"]
    uid = gid = None
    try:
        uid = pwd.getpwnam(owner).pw_uid
    except KeyError:
        uid = int(owner) if owner.isdigit() else None
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        gid = int(group) if group.isdigit() else None
    return uid, gid


def read_input(module, param):
    """(text, name) of a content option or its _path twin, or (None, None)."""
    params = module.params
    if params[param] is not None:
        return params[param], param
    path = params[f"{param}_path"]
    if path is None:
        return None, None
    name = f"{param}_path"
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise CertificateError(f"{name}: cannot read {path}: {exc.strerror}") from exc
    try:
        return data.decode("utf-8"), name
    except UnicodeDecodeError as exc:
        raise CertificateError(
            f"{name}: {path} is not a PEM text file (DER? convert it with "
            "`openssl x509 -inform DER` or `openssl pkey -inform DER`)"
        ) from exc


def hide(module, text):
    """Keep ``text`` out of everything the module returns (never an empty
    string: that would star out every character)."""
    if text and text.strip():
        module.no_log_values.add(text)


def hide_keys(module, text):
    """Keep a key that arrived through a certificate option (or a file) out of the output."""
    if text and "PRIVATE KEY-----" in text:
        hide(module, text)
        for match in _BLOCK.finditer(text):
            if match.group(1).endswith("PRIVATE KEY"):
                hide(module, match.group(0))
                hide(module, match.group(2).strip())


def inspect(openssl, cert_text, cert_name, chain_text, chain_name, key_text, key_name):
    """Check the inputs, in the order they go into the file; return (leaf
    info, [(chain block, info)], leaf block, key block)."""
    blocks = certificate_blocks(cert_text, cert_name)
    leaf_block = blocks[0]
    named = [(b, f"{cert_name} (certificate {i + 2})") for i, b in enumerate(blocks[1:])]
    if chain_text is not None and chain_text.strip():
        named += [
            (b, f"{chain_name} (certificate {i + 1})")
            for i, b in enumerate(certificate_blocks(chain_text, chain_name))
        ]
    key_block = private_key_block(key_text, key_name)
    hide(openssl.module, key_block)
    leaf = openssl.certificate(leaf_block, cert_name)
    seen = {leaf["fingerprint"]}
    chain = []
    for block, name in named:
        info = openssl.certificate(block, name)
        if info["fingerprint"] not in seen:
            seen.add(info["fingerprint"])
            chain.append((block, dict(info, name=name)))
    if openssl.public_key(key_block, key_name) != leaf["pubkey"]:
        raise CertificateError(
            f"{key_name} does not match {cert_name} "
            f"(subject {leaf['subject']}, serial {leaf['serial']})"
        )
    return leaf, chain, leaf_block, key_block


def chain_warnings(module, leaf, chain, now, warn_days):
    previous = leaf
    for _block, info in chain:
        if previous["issuer"] != info["subject"]:
            module.warn(
                f"{info['name']}: {info['subject']} did not issue the certificate before it "
                f"({previous['subject']}, issued by {previous['issuer']}); clients get the "
                "chain as written, so give the intermediates in order, the issuer of the "
                "server certificate first"
            )
        if info["not_after"] <= now:
            module.warn(f"{info['name']}: {info['subject']} expired on {iso(info['not_after'])}")
        elif info["not_after"] - now < datetime.timedelta(days=warn_days):
            module.warn(f"{info['name']}: {info['subject']} expires on {iso(info['not_after'])}")
        previous = info


def reusable(module, openssl, dest, name, sans, key_type, now, warn_days):
    """Whether dest already holds a fitting self-signed (or other) certificate;
    returns (text, leaf, chain) or None."""
    try:
        with open(dest, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError):
        return None
    hide_keys(module, text)
    try:
        blocks = pem_blocks(text, "dest")
        certs = "".join(b for label, b in blocks if label == "CERTIFICATE")
        others = "".join(b for label, b in blocks if label != "CERTIFICATE")
        leaf, chain, _leaf, _key = inspect(openssl, certs, "dest", None, None, others, "dest")
    except CertificateError:
        return None
    fits = (
        (common_name(leaf["subject"]) or "").lower() == name.lower()
        and sorted(leaf["sans"]) == sorted(sans)
        and leaf["key_type"] == key_type
        and leaf["not_before"] <= now
        and leaf["not_after"] - now > datetime.timedelta(days=warn_days)
    )
    return (text, leaf, chain) if fits else None


def before_summary(openssl, dest):
    try:
        with open(dest, encoding="utf-8") as handle:
            text = handle.read()
        certs = [b for label, b in pem_blocks(text, "dest") if label == "CERTIFICATE"]
        infos = [openssl.certificate(b, "dest") for b in certs]
    except (OSError, UnicodeDecodeError, CertificateError):
        infos = []
    if not infos:
        return "(no readable certificate)\n"
    return summary(infos[0], infos[1:])


def write_pem(module, dest, data, uid, gid, mode, backup):
    """Replace dest with ``data``: temp file 0600 from the start, fsync,
    final owner/group/mode on the temp file, then one rename."""
    directory = os.path.dirname(dest) or "."
    # A directory made here holds private keys: root only.
    os.makedirs(directory, mode=0o700, exist_ok=True)
    context = None
    if module.selinux_enabled():
        context = (
            module.selinux_context(dest)
            if os.path.exists(dest)
            else module.selinux_default_context(dest)
        )
    result = {}
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(dest)}.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            try:
                os.fchown(handle.fileno(), uid, gid)
            except PermissionError as exc:
                raise PermissionError(
                    exc.errno, f"cannot give it to uid {uid}, gid {gid} ({exc.strerror})"
                ) from exc
            os.fchmod(handle.fileno(), mode)
        if backup and os.path.exists(dest):
            result["backup_file"] = private_backup(dest)
        os.replace(tmp, dest)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    if context is not None:
        module.set_context_if_different(dest, context, False)
    return result


def check_options(module):
    """Refuse contradictory or unsafe options before any work; return
    (mode, uid, gid, SANs of a self-signed certificate)."""
    params = module.params
    mode = file_mode(params["mode"])
    uid, gid = ids(module)
    sans = None
    if params["self_signed"]:
        given = [p for p in _SOURCES if params[p] is not None]
        if given:
            raise CertificateError(
                "self_signed: true generates the certificate and key; "
                f"do not also give {', '.join(given)}"
            )
        if params["valid_days"] <= params["expiry_warn_days"]:
            raise CertificateError(
                f"valid_days ({params['valid_days']}) must be more than expiry_warn_days "
                f"({params['expiry_warn_days']}), or every run would replace the certificate"
            )
        name = params["common_name"]
        if not 0 < len(name) <= 64 or not name.isprintable():
            raise CertificateError("common_name: give 1 to 64 printable characters")
        if params["subject_alt_names"]:
            sans = san_entries(params["subject_alt_names"])
        else:
            sans = san_entries([name], "common_name (the default subject_alt_names)")
        return mode, uid, gid, sans
    # Checked here rather than with mutually_exclusive, which counts an
    # option set to null (a role passing both, one of them empty) as given.
    for param in ("certificate", "chain", "private_key"):
        if params[param] is not None and params[f"{param}_path"] is not None:
            raise CertificateError(
                f"{param} and {param}_path are mutually exclusive; give one of them"
            )
    for param in ("common_name", "subject_alt_names"):
        if params[param]:
            module.warn(f"{param} is used only with self_signed: true; ignored")
    for param in ("certificate", "private_key"):
        if params[param] is None and params[f"{param}_path"] is None:
            raise CertificateError(f"{param} or {param}_path is required (or self_signed: true)")
    return mode, uid, gid, sans


def assemble(module, openssl, sans, now):
    """The text dest must hold, with what it says about the certificate:
    (text, leaf info, [(chain block, info)])."""
    params = module.params
    if params["self_signed"]:
        found = reusable(
            module,
            openssl,
            params["dest"],
            params["common_name"],
            sans,
            params["key_type"],
            now,
            params["expiry_warn_days"],
        )
        if found:
            return found
        cert_text, key_text = openssl.self_signed(
            params["common_name"], sans, params["valid_days"], params["key_type"]
        )
        names = ("certificate", None, "private_key")
        chain_text = None
    else:
        cert_text, cert_name = read_input(module, "certificate")
        chain_text, chain_name = read_input(module, "chain")
        key_text, key_name = read_input(module, "private_key")
        hide_keys(module, cert_text)
        hide_keys(module, chain_text)
        hide(module, key_text)
        names = (cert_name, chain_name, key_name)
    leaf, chain, leaf_block, key_block = inspect(
        openssl, cert_text, names[0], chain_text, names[1], key_text, names[2]
    )
    return leaf_block + "".join(block for block, _info in chain) + key_block, leaf, chain


def check_expiry(module, leaf, chain, now):
    """Warnings about dates; a CertificateError for an expired certificate
    unless allow_expired."""
    warn_days = module.params["expiry_warn_days"]
    days_left = math.floor((leaf["not_after"] - now).total_seconds() / 86400)
    described = f"the certificate ({leaf['subject']}, serial {leaf['serial']})"
    if leaf["not_after"] <= now:
        if not module.params["allow_expired"]:
            raise CertificateError(
                f"{described} expired on {iso(leaf['not_after'])}; "
                "set allow_expired: true to write it anyway"
            )
        module.warn(f"{described} expired on {iso(leaf['not_after'])} (allow_expired: true)")
    elif days_left < warn_days:
        module.warn(f"{described} expires on {iso(leaf['not_after'])}, in {days_left} days")
    if leaf["not_before"] > now:
        module.warn(f"{described} is not valid before {iso(leaf['not_before'])}")
    chain_warnings(module, leaf, chain, now, warn_days)
    return days_left


def main():
    module = AnsibleModule(
        argument_spec=_argument_spec(),
        required_if=[("self_signed", True, ("common_name",))],
        supports_check_mode=True,
    )
    params = module.params
    dest = params["dest"]
    result = {"changed": False, "dest": dest}
    for param in ("certificate", "chain"):
        hide_keys(module, params[param])

    def fail(msg):
        variable = params["variable"]
        if variable:
            # "private_key does not match ..." -> "haproxy_certificates[www].private_key ..."
            first = re.split(r"[\s:(]", msg, maxsplit=1)[0]
            msg = f"{variable}.{msg}" if first in _argument_spec() else f"{variable}: {msg}"
        module.fail_json(msg=f"{msg}; {dest} was not changed", **result)

    if os.path.isdir(dest):
        fail(f"dest: {dest} is a directory")
    try:
        mode, uid, gid, sans = check_options(module)
        if module.check_mode and not module.get_bin_path("openssl"):
            # A fresh host in check mode: the role installs openssl first.
            module.warn(
                "openssl is not installed yet: the certificate checks are skipped in check mode"
            )
            result["changed"] = True
            module.exit_json(**result)
        openssl = OpenSSL(module)
        now = datetime.datetime.now(_UTC)
        text, leaf, chain = assemble(module, openssl, sans, now)
        result.update(
            subject=leaf["subject"],
            issuer=leaf["issuer"],
            serial=leaf["serial"],
            not_after=iso(leaf["not_after"]),
            fingerprint_sha256=leaf["fingerprint"],
            subject_alt_names=leaf["sans"],
            chain=[info["subject"] for _block, info in chain],
        )
        result["days_left"] = check_expiry(module, leaf, chain, now)
    except CertificateError as exc:
        fail(str(exc))

    data = text.encode("utf-8")
    try:
        with open(dest, "rb") as handle:
            current = handle.read()
    except FileNotFoundError:
        current = None
    except OSError as exc:
        fail(f"dest: cannot read {dest}: {exc.strerror}")
    changed = current != data
    result["changed"] = changed
    if module._diff and changed:
        after = summary(leaf, [info for _block, info in chain])
        before = before_summary(openssl, dest) if current is not None else ""
        if before == after:
            after += "(same certificate and chain; the private key or the PEM layout changes)\n"
        result["diff"] = {
            "before": before,
            "after": after,
            "before_header": dest if current is not None else "(absent)",
            "after_header": dest,
        }

    unknown = [f"{p} {params[p]}" for p, i in (("owner", uid), ("group", gid)) if i is None]
    if unknown:
        if not module.check_mode:
            fail(f"{', '.join(unknown)}: no such user or group on this host")
        module.warn(f"{', '.join(unknown)} does not exist on this host yet (ignored in check mode)")
        result["changed"] = True
        module.exit_json(**result)

    file_args = module.load_file_common_arguments(
        {"path": dest, "owner": params["owner"], "group": params["group"], "mode": f"0{mode:03o}"}
    )
    if module.check_mode:
        if current is not None and not changed:
            result["changed"] = module.set_fs_attributes_if_different(file_args, False)
        module.exit_json(**result)
    if changed:
        try:
            result.update(write_pem(module, dest, data, uid, gid, mode, params["backup"]))
        except OSError as exc:
            fail(f"dest: cannot write {dest}: {exc.strerror or exc}")
    result["changed"] = module.set_fs_attributes_if_different(file_args, changed)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
