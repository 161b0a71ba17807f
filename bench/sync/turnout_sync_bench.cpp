// Syncs through turnout's git/ module, for bench/sync/run to time against the git CLI.
// Usage: turnout_sync_bench [--repeat N] DATA_DIR URL [REF [SHA]]
// Prints the commit checked out; with --repeat, syncs N times in this one process (as the
// agent does, libgit2 initialised once) and prints each sync's time and the median.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "git/mirror_sync.h"

namespace {

int usage() {
  std::fprintf(stderr, "usage: turnout_sync_bench [--repeat N] DATA_DIR URL [REF [SHA]]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int repeat = 0;
  int first = 1;
  if (argc > 2 && std::strcmp(argv[1], "--repeat") == 0) {
    repeat = std::atoi(argv[2]);
    first = 3;
  }
  if (argc - first < 2 || argc - first > 4 || (first == 3 && repeat < 1)) return usage();
  const turnout::git::Mirrors mirrors(argv[first]);
  turnout::git::SyncRequest request;
  request.url = argv[first + 1];
  if (argc - first > 2) request.ref = argv[first + 2];
  if (argc - first > 3) request.sha = argv[first + 3];

  std::vector<double> times;
  for (int run = 0; run < std::max(repeat, 1); ++run) {
    const auto start = std::chrono::steady_clock::now();
    const auto checkout = mirrors.sync(request);
    times.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    if (!checkout) {
      std::fprintf(stderr, "turnout_sync_bench: %s\n", checkout.error().message.c_str());
      return 1;
    }
    if (repeat == 0) std::printf("%s %s\n", checkout.value().sha.c_str(), checkout.value().workspace.c_str());
  }
  if (repeat == 0) return 0;
  for (const double time : times) std::printf("sync %.2f ms\n", time);
  std::sort(times.begin(), times.end());
  std::printf("median %.2f ms\n", times[times.size() / 2]);
  return 0;
}
