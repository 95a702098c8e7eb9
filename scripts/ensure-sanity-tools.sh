#!/usr/bin/env bash
# Make sure what `make sanity` needs from Debian is installed: shellcheck
# (ansible-test's shellcheck test skips itself, with only a warning, when the
# command is missing). Idempotent: does nothing when it is there.
set -euo pipefail
"$(dirname "$0")/ensure-packages.sh" ensure-sanity-tools shellcheck=shellcheck
