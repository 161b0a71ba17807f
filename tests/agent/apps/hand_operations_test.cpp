#include "agent/apps/hand_operations.h"

#include <catch2/catch.hpp>
#include <string>

#include "tests/support/temp_dir.h"

using namespace turnout;
using namespace turnout::agent;
using turnout::test::read_file;
using turnout::test::TempDir;

namespace {

// Hooks that count what a rollback said and reported.
struct Counted {
  steps::CancelToken never;
  int lines = 0;
  int reports = 0;
  RollbackHooks hooks() {
    return {never, [this](const std::string&) { ++lines; },
            [this](const std::string&, const steps::deploy::SlotState&) { ++reports; }};
  }
};

}  // namespace

TEST_CASE("hand rollback: an app with no state here is no_such_app, whatever the name", "[unit][apps]") {
  TempDir dir;
  dir.write("apps/web/state.json", R"({"app": "web", "live": "", "previous": "", "slots": {}})");
  for (const char* name : {"nope", "..", "web/..", ""}) {
    INFO("'" << name << "'");
    Counted counted;
    const auto done = hand_rollback(dir.path().string(), name, counted.hooks());
    CHECK(done.result == HandResult::no_such_app);
    CHECK(done.reason == "no app '" + std::string(name) + "' has been deployed by this agent");
    CHECK_FALSE(done.ok());
    CHECK(counted.lines == 0);
    CHECK(counted.reports == 0);
  }
}

TEST_CASE("hand rollback: a state it cannot read is unreadable, and nothing is reported", "[unit][apps]") {
  TempDir dir;
  const std::string state = R"({"app": "web", "live": "purple", "previous": "blue", "slots": {}})";
  const auto file = dir.write("apps/web/state.json", state);
  Counted counted;
  const auto done = hand_rollback(dir.path().string(), "web", counted.hooks());
  CHECK(done.result == HandResult::unreadable);
  CHECK_THAT(done.reason, Catch::StartsWith(file.string() + " is not a deploy state"));
  CHECK(counted.reports == 0);
  CHECK(read_file(file) == state);
}

TEST_CASE("hand switch: an app with no state here is no_such_app, one it cannot read is unreadable",
          "[unit][apps]") {
  TempDir dir;
  dir.write("apps/web/state.json", R"({"app": "web", "live": "", "previous": "", "slots": {}})");
  for (const char* name : {"nope", "..", "web/.."}) {
    INFO("'" << name << "'");
    const auto done = served_switch(dir.path().string(), name, steps::deploy::Slot::green, "a test");
    CHECK(done.result == HandResult::no_such_app);
    CHECK(done.reason == "no app '" + std::string(name) + "' has been deployed by this agent");
    CHECK(done.log.empty());
  }
  const std::string state = R"({"app": "web", "live": "purple", "previous": "blue", "slots": {}})";
  const auto file = dir.write("apps/web/state.json", state);
  const auto done = served_switch(dir.path().string(), "web", steps::deploy::Slot::green, "a test");
  CHECK(done.result == HandResult::unreadable);
  CHECK_THAT(done.reason, Catch::StartsWith(file.string() + " is not a deploy state"));
  CHECK(read_file(file) == state);
}
