// Which data folder a command works on, in the README's order ("The data folder"): the package's
// /etc/turnout/agent.yml stands in as a config file of the test's own.
#include "agent/commands/data_dir.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <optional>
#include <string>

#include "tests/support/temp_dir.h"

using namespace turnout;

namespace {

// Sets (or, with nullopt, unsets) an environment variable for a scope, then puts it back.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value->c_str(), 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("data dir: the package's agent.yml names it when nothing closer does, and only then",
          "[unit][cli]") {
  test::TempDir dir;
  const auto system = dir.write("etc-agent.yml", "data_dir: " + (dir / "system-data").string() + "\n");
  const auto own = dir.write("agent.yml", "data_dir: " + (dir / "own-data").string() + "\n");
  ScopedEnv no_env("TURNOUT_DATA_DIR", std::nullopt);
  ScopedEnv xdg("XDG_DATA_HOME", (dir / "xdg").string());
  agent::DataDirFlags flags;
  CHECK(flags.system_config == "/etc/turnout/agent.yml");  // what the units pass as --config
  flags.system_config = system.string();

  SECTION("it exists: its data_dir, before $XDG_DATA_HOME, and the message names it") {
    const auto chosen = agent::choose_data_dir(flags);
    REQUIRE(chosen);
    CHECK(chosen.value().path == (dir / "system-data").string());
    CHECK(chosen.value().why == "the data_dir of " + system.string());
  }
  SECTION("$TURNOUT_DATA_DIR comes before it") {
    ScopedEnv env("TURNOUT_DATA_DIR", (dir / "env-data").string());
    CHECK(agent::choose_data_dir(flags).value().path == (dir / "env-data").string());
  }
  SECTION("--config and --data-dir come before it") {
    flags.config = own.string();
    CHECK(agent::choose_data_dir(flags).value().path == (dir / "own-data").string());
    flags.data_dir = (dir / "flag-data").string();
    CHECK(agent::choose_data_dir(flags).value().path == (dir / "flag-data").string());
  }
  SECTION("it does not exist: $XDG_DATA_HOME/turnout") {
    flags.system_config = (dir / "missing.yml").string();
    CHECK(agent::choose_data_dir(flags).value().path == (dir / "xdg" / "turnout").string());
  }
  SECTION("it does not load: its errors, at their position") {
    dir.write("etc-agent.yml", "workrs: 2\n");
    const auto chosen = agent::choose_data_dir(flags);
    REQUIRE_FALSE(chosen);
    CHECK_THAT(chosen.error().message, Catch::StartsWith(system.string() + ":1:1: "));
  }
}
