# Shared by bench/*/run: build a Release turnout once, print the machine.
# shellcheck shell=bash
set -euo pipefail
bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$bench_root/scripts/setup" --bench
bench_build="$bench_root/build/release"
cmake -S "$bench_root" -B "$bench_build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTURNOUT_TESTS=OFF >/dev/null
cmake --build "$bench_build" --target turnout >/dev/null
turnout="$bench_build/turnout"

bench_machine() {
  echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr), $(git -C "$bench_root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
}

# The machine's CPU from /proc/stat: what the benches print beside a phase, because on a shared
# virtual machine the hypervisor's steal moves every figure.
machine_ticks() {  # the machine's CPU time so far: "busy steal total", in clock ticks
  awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat
}
machine_share() {  # BEFORE (machine_ticks then): "busy=P steal=P", the machine's CPU since, in %
  local busy_before steal_before total_before busy_after steal_after total_after
  read -r busy_before steal_before total_before <<< "$1"
  read -r busy_after steal_after total_after <<< "$(machine_ticks)"
  local total=$(( total_after - total_before > 0 ? total_after - total_before : 1 ))
  echo "busy=$(( 100 * (busy_after - busy_before) / total )) steal=$(( 100 * (steal_after - steal_before) / total ))"
}

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# PORT PID: waits up to 10 s until something listens on PORT, giving up early when PID has exited.
wait_for_port() {
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || break
    sleep 0.05
  done
  echo "${0#"$bench_root"/}: nothing listens on port $1" >&2
  return 1
}
