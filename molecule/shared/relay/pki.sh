#!/bin/sh
# The scenario's test PKI, made once per scenario run in $1:
#   ca.pem/ca.key          the test CA the load balancers trust
#   relay.pem/relay.key    relay.example.test, signed by the test CA
#   rogue-ca.pem/.key      a CA nobody trusts
#   rogue.pem/rogue.key    relay.example.test too, but signed by the rogue CA:
#                          an impostor that certificate checks must refuse
# Prints "made" when it (re)made them: when a file is missing or a certificate
# expires within a day (the ephemeral directory can outlive a scenario run).
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"
fresh=yes
for cert in ca.pem rogue-ca.pem relay.pem rogue.pem; do
    if ! [ -s "$cert" ] || ! openssl x509 -checkend 86400 -noout -in "$cert" >/dev/null 2>&1; then
        fresh=no
    fi
done
[ "$fresh" = yes ] && exit 0
umask 077
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1" 2>/dev/null; }
ca() { # name subject
    key "$1.key"
    openssl req -x509 -new -key "$1.key" -sha256 -days 30 -subj "/CN=$2" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        -out "$1.pem"
}
leaf() { # name signer
    key "$1.key"
    openssl req -new -key "$1.key" -subj "/CN=relay.example.test" -out "$1.csr"
    printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:relay.example.test\n' >"$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -days 30 -sha256 \
        -extfile "$1.ext" -out "$1.pem" 2>/dev/null
}
ca ca "halb mailx test CA"
ca rogue-ca "rogue CA"
leaf relay ca
leaf rogue rogue-ca
chmod 0644 ./*.pem
echo made
