#include "agent/store/open_store.h"

#include <spdlog/spdlog.h>

#include "steps/child_process.h"

namespace turnout::agent {

namespace {

// No orphan survives a run (invariant 4), even one whose turnout was killed mid-step.
void end_leftover_steps(RunHistory& history, std::int64_t run_id) {
  const auto groups = history.take_interrupted_groups(run_id);
  if (!groups) {
    spdlog::warn("run {}: cannot read its interrupted steps: {}", run_id, groups.error().message);
    return;
  }
  for (const auto& leader : groups.value()) {
    if (steps::end_orphaned_group(leader)) {
      spdlog::warn("run {}: ended the processes its interrupted step left running (group {})", run_id,
                   leader.pid);
    }
  }
}

}  // namespace

util::Result<std::unique_ptr<Store>> open_store(const std::string& data_dir) {
  auto store = Store::open(data_dir);
  if (!store) return store.error();
  const auto interrupted = store.value()->history.mark_interrupted();
  if (!interrupted) return interrupted.error();
  for (const auto id : interrupted.value()) {
    spdlog::warn("run {} was left running by a turnout process that is gone: marked error (interrupted)", id);
    end_leftover_steps(store.value()->history, id);
  }
  return std::move(store.value());
}

}  // namespace turnout::agent
