#!/usr/bin/env bash
# usage: scripts/molecule-lanes.sh JOBS LOG_DIR SCENARIO...
#
# `molecule test` of every SCENARIO, JOBS at a time. Scenarios are
# independent (each has its own containers, docker network and molecule
# ephemeral directory) and spend most of their time waiting on apt, systemd
# and timers, so two lanes take about the time of the longest lane instead of
# the sum. Scenarios go to lanes longest first, each to the lane with the
# least work so far (MOLECULE_WEIGHTS: "scenario=minutes ..."), and each lane
# runs its scenarios one after another.
#
# Each run's whole output goes to LOG_DIR/molecule-<scenario>.log only (lanes
# would interleave on the terminal); one line is printed when a scenario
# starts and one when it ends (passed/FAILED, minutes). A failed scenario's
# reasons are repeated at the end (scripts/molecule-why.sh). The exit status
# is 0 only when every scenario passed. Bounded: each scenario under
# MOLECULE_TIMEOUT seconds (default 3600). Ctrl-C or a CI kill stops every lane.
set -uo pipefail

jobs=$1
logs=$2
shift 2
scenarios=("$@")
here=$(cd "$(dirname "$0")" && pwd)
limit=${MOLECULE_TIMEOUT:-3600}
results=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait; rm -rf "${results}"' EXIT
trap 'exit 130' INT TERM

(( jobs >= 1 )) || jobs=1
# Longest first, each to the lane with the least work so far (minutes from
# MOLECULE_WEIGHTS, "name=minutes ..."; 5 for a scenario it does not name).
declare -A weight=()
for pair in ${MOLECULE_WEIGHTS:-}; do
    weight[${pair%%=*}]=${pair#*=}
done
mapfile -t ordered < <(for s in "${scenarios[@]}"; do echo "${weight[$s]:-5} ${s}"; done \
    | sort -k1,1nr -k2,2 | awk '{print $2}')
lanes=()
load=()
for (( l = 0; l < jobs; l++ )); do lanes[l]=""; load[l]=0; done
for s in "${ordered[@]}"; do
    best=0
    for (( l = 1; l < jobs; l++ )); do
        (( load[l] < load[best] )) && best=${l}
    done
    lanes[best]="${lanes[best]} ${s}"
    load[best]=$(( load[best] + ${weight[$s]:-5} ))
done
for (( l = 0; l < jobs; l++ )); do
    [[ -n ${lanes[l]// /} ]] && echo "lane $(( l + 1 )) (about ${load[l]} min):${lanes[l]}"
done

run_lane() {
    local s start rc
    for s in "$@"; do
        start=$(date +%s)
        echo "=== molecule test -s ${s} (log: ${logs}/molecule-${s}.log)"
        COLUMNS=240 timeout --kill-after=60 "${limit}" molecule test -s "${s}" \
            >"${logs}/molecule-${s}.log" 2>&1
        rc=$?
        echo "${rc}" >"${results}/${s}"
        if (( rc == 0 )); then
            echo "=== ${s}: passed in $(( ($(date +%s) - start + 30) / 60 )) min"
        else
            echo "=== ${s}: FAILED (exit ${rc}) after $(( ($(date +%s) - start + 30) / 60 )) min"
        fi
    done
}

for lane in "${lanes[@]}"; do
    [[ -n ${lane// /} ]] || continue
    # shellcheck disable=SC2086 # a lane is a space-separated list of names
    run_lane ${lane} &
done
wait

failed=0
for s in "${scenarios[@]}"; do
    rc=$(cat "${results}/${s}" 2>/dev/null || echo missing)
    if [[ ${rc} != 0 ]]; then
        failed=1
        echo "=== ${s}: FAILED (${rc}); the end of its log:"
        tail -n 40 "${logs}/molecule-${s}.log"
        "${here}/molecule-why.sh" "${s}" "${logs}/molecule-${s}.log"
    fi
done
exit "${failed}"
