#!/usr/bin/env bash
# Build the execution environment image (execution-environment.yml) unless an
# image of the same content exists; `make ee` calls it (mk/ee.mk).
#
#   scripts/ensure-ee.sh EE_BIN TEST_BIN EE_DIR BASE_IMAGE REPO BUILD
#     EE_BIN      bin/ of the EE tool venv (ansible-builder, pip)
#     TEST_BIN    bin/ of the test venv (its `ansible` bundle has community.docker)
#     EE_DIR      work directory (build/ee): context-src/ (what ansible-builder
#                 copies in), context/ (what it writes), image (the tag built)
#     BASE_IMAGE  the EE's base image (scripts/ensure-ee-base.sh builds it)
#     REPO        image name; tags REPO:<version>-<hash> and REPO:<version>
#     BUILD       where `make collection` put halb-cluster-<version>.tar.gz
#
# No registry and no index host: the wheels are downloaded here with this
# machine's own pip configuration (pinned by requirements-ee.txt) and pip in
# the image reads only them; apt in the image uses the base image's sources.
set -euo pipefail

ee_bin=$1 test_bin=$2 dir=$3 base=$4 repo=$5 build=$6
start=$SECONDS
definition=execution-environment.yml
src=$dir/context-src

shopt -s nullglob
tarballs=("$build"/halb-cluster-*.tar.gz)
shopt -u nullglob
if [ "${#tarballs[@]}" -ne 1 ]; then
    echo "ensure-ee: expected one $build/halb-cluster-*.tar.gz (make collection), found ${#tarballs[@]}" >&2
    exit 1
fi
tarball=${tarballs[0]}
version=${tarball##*/halb-cluster-}
version=${version%.tar.gz}

# The versions the definition names are requirements-ee.txt's, and its
# ansible-core is the test venv's: one version of each everywhere.
pin() { grep -iE "^$1==" "$2" | head -n 1 | tr 'A-Z_' 'a-z-'; }
for package in ansible-core ansible-runner dumb-init requests; do
    want=$(pin "$package" requirements-ee.txt)
    got=$(grep -oiE "$package==[^ \"']+" "$definition" | head -n 1 | tr 'A-Z_' 'a-z-')
    if [ -z "$want" ] || [ "$want" != "$got" ]; then
        echo "ensure-ee: $definition names '${got:-no $package}', requirements-ee.txt '${want:-none}'" >&2
        exit 1
    fi
done
if [ "$(pin ansible-core requirements.txt)" != "$(pin ansible-core requirements-ee.txt)" ]; then
    echo "ensure-ee: ansible-core differs between requirements.txt and requirements-ee.txt" >&2
    exit 1
fi

"$(dirname "$0")/ensure-ee-base.sh" "$base"

mkdir -p "$src"
cmp -s "$tarball" "$src/halb-cluster.tar.gz" || cp "$tarball" "$src/halb-cluster.tar.gz"

# community.docker, for the docker_api connection of the EE test.
site=$("$test_bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
if ! cmp -s "$site/ansible_collections/community/docker/MANIFEST.json" "$src/community.docker/MANIFEST.json"; then
    rm -rf "$src/community.docker"
    cp -a "$site/ansible_collections/community/docker" "$src/community.docker"
fi

# The wheels: again only when requirements-ee.txt changed.
wheels_key=$(sha256sum requirements-ee.txt | cut -c1-64)
if [ "$(cat "$src/wheels/.key" 2>/dev/null)" != "$wheels_key" ]; then
    rm -rf "$src/wheels"
    echo "ensure-ee: downloading the image's wheels (pinned by requirements-ee.txt)"
    # ansible-core and ansible-runner (the EE's own), bindep, PyYAML and
    # packaging (ansible-builder's builder stage), dumb-init (the EE's
    # init), requests (docker_api).
    "$ee_bin/python" -m pip download --quiet --disable-pip-version-check --only-binary=:all: \
        -c requirements-ee.txt -d "$src/wheels" \
        ansible-core ansible-runner bindep pyyaml packaging dumb-init requests 2>&1 \
        | { grep -v ' is ignored: it is neither a file nor a directory' || true; }
    echo "$wheels_key" >"$src/wheels/.key"
fi

# The tag's hash: everything that goes into the image. The tarball by its
# members' names and contents (a rebuilt tarball of the same files has other
# timestamps), the rest by their bytes, the base image by its id.
hash=$(
    {
        "$test_bin/python" - "$src/halb-cluster.tar.gz" <<'PY'
import hashlib
import sys
import tarfile

digest = hashlib.sha256()
with tarfile.open(sys.argv[1]) as tar:
    for member in sorted(tar.getmembers(), key=lambda m: m.name):
        digest.update(member.name.encode() + b"\0" + str(member.mode).encode() + b"\0")
        if member.isfile():
            digest.update(tar.extractfile(member).read())
print(digest.hexdigest())
PY
        sha256sum "$definition" requirements-ee.txt "$0" "$(dirname "$0")/ensure-ee-base.sh" \
            "$src/community.docker/MANIFEST.json"
        (cd "$src/wheels" && ls)
        docker image inspect -f '{{.Id}}' "$base"
    } | sha256sum | cut -c1-12
)
image=$repo:$version-$hash
if docker image inspect "$image" >/dev/null 2>&1; then
    echo "ensure-ee: $image is up to date"
else
    echo "ensure-ee: building $image (ansible-builder; context in $dir/context)"
    rm -rf "$dir/context"
    "$ee_bin/ansible-builder" build --file "$definition" --context "$dir/context" \
        --container-runtime docker --tag "$image" --tag "$repo:$version" --verbosity 2
    echo "ensure-ee: built $image in $((SECONDS - start)) s"
fi
docker tag "$image" "$repo:$version"
# Earlier builds of this version (other hashes) go: only this one is kept.
docker image ls --format '{{.Repository}}:{{.Tag}}' "$repo" \
    | { grep -E "^$repo:$version-[0-9a-f]{12}\$" || true; } | { grep -vxF "$image" || true; } \
    | while read -r stale; do docker image rm "$stale" >/dev/null; done
echo "$image" >"$dir/image"
