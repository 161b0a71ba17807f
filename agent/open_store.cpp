#include "agent/open_store.h"

#include <spdlog/spdlog.h>

namespace turnout::agent {

util::Result<std::unique_ptr<RunStore>> open_store(const std::string& data_dir) {
  auto store = RunStore::open(data_dir);
  if (!store) return store.error();
  const auto interrupted = store.value()->mark_interrupted();
  if (!interrupted) return interrupted.error();
  for (const auto id : interrupted.value()) {
    spdlog::warn("run {} was left running by a turnout process that is gone: marked error (interrupted)", id);
  }
  return std::move(store.value());
}

}  // namespace turnout::agent
