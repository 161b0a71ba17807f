# Helpers that scripts/demo and scripts/package-check source. Bash only: nothing to install.
# shellcheck shell=bash

# Sets the variable named VAR to a loopback port that nothing listens on now and that this
# script has not handed out before (bash's /dev/tcp: a refused connection means a free port).
# A port can still be taken between this check and its use; the callers' error then names it.
free_port_taken=" "
free_port() {  # VAR
  local candidate
  while :; do
    candidate=$((20000 + RANDOM % 40000))
    [[ "$free_port_taken" == *" $candidate "* ]] && continue
    (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null && continue
    free_port_taken+="$candidate "
    printf -v "$1" "%s" "$candidate"
    return
  done
}

# Waits up to 5 s for every PID to be gone, then sends KILL to those that are not.
wait_gone() {
  local pid
  for _ in $(seq 50); do
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && break; pid=""; done
    [[ -z "$pid" ]] && return 0
    sleep 0.1
  done
  kill -KILL "$@" 2>/dev/null || true
}
