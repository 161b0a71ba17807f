#pragma once

#include <filesystem>

namespace turnout::test {

/// The real webhook payloads published by GitHub's SDK team and other CI projects, copied byte
/// for byte from shared/fixtures/webhooks into tests/fixtures/webhooks (see its SOURCES.md for
/// origins, blob ids and licences), so a clone of turnout alone can run every test.
inline std::filesystem::path webhook_fixtures_dir() {
  return std::filesystem::path(TURNOUT_SOURCE_DIR) / "tests" / "fixtures" / "webhooks";
}

}  // namespace turnout::test
