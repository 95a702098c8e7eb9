#!/bin/sh
# The scenario's test PKI, made once per scenario run in $1:
#   ca.pem/ca.key                root CA
#   intermediate.pem/.key        intermediate CA, signed by the root
#   www.pem/www.key              www.example.test + secure.example.test,
#                                signed by the INTERMEDIATE (so https only
#                                verifies when the chain is served too)
#   wrong.key                    a key that matches no certificate
#   web.pem/web.key              the nginx servers' certificate (TLS backends),
#                                signed by the root, SAN their addresses
#   rogue.pem/rogue.key          self-signed: a backend that must fail verify
set -eu
dir=$1
[ -s "$dir/rogue.pem" ] && exit 0
mkdir -p "$dir"
cd "$dir"
umask 077
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1" 2>/dev/null; }

key ca.key
openssl req -x509 -new -key ca.key -sha256 -days 365 -subj "/CN=halb test root CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -out ca.pem

key intermediate.key
openssl req -new -key intermediate.key -subj "/CN=halb test intermediate CA" -out intermediate.csr
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' >int.ext
openssl x509 -req -in intermediate.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 365 \
    -sha256 -extfile int.ext -out intermediate.pem 2>/dev/null

leaf() { # name signer-cert signer-key SAN
    key "$1.key"
    openssl req -new -key "$1.key" -subj "/CN=$1" -out "$1.csr"
    printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$4" >"$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$2" -CAkey "$3" -CAcreateserial -days 365 -sha256 \
        -extfile "$1.ext" -out "$1.pem" 2>/dev/null
}
leaf www intermediate.pem intermediate.key "DNS:www.example.test,DNS:secure.example.test,DNS:rogue.example.test"
leaf web ca.pem ca.key "DNS:web.example.test,IP:172.30.74.21,IP:172.30.74.22"
key wrong.key
key rogue.key
openssl req -x509 -new -key rogue.key -sha256 -days 365 -subj "/CN=rogue" -out rogue.pem
chmod 0644 ./*.pem
