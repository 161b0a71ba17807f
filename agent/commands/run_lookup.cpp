#include "agent/commands/run_lookup.h"

#include <charconv>

namespace turnout::agent {

util::Result<std::int64_t> parse_run_id(const std::string& text) {
  std::int64_t id = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (error != std::errc() || end != text.data() + text.size() || id < 1) {
    return util::fail("'" + text + "' is not a run id: give the number shown by 'turnout runs'",
                      util::ErrorKind::invalid);
  }
  return id;
}

util::Result<RunRecord> find_run(RunHistory& store, const std::string& text) {
  const auto id = parse_run_id(text);
  if (!id) return id.error();
  auto run = store.get(id.value());
  if (!run) return run.error();
  if (!run.value()) {
    return util::fail("no run " + text + " in " + store.path() + "; see 'turnout runs'",
                      util::ErrorKind::not_found);
  }
  return std::move(*run.value());
}

}  // namespace turnout::agent
