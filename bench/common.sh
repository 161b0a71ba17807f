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
