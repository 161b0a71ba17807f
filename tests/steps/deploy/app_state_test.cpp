#include "steps/deploy/app_state.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "tests/support/slot_string.h"
#include "tests/support/temp_dir.h"

using namespace turnout::steps::deploy;
using turnout::test::read_file;
using turnout::test::TempDir;

namespace {

// A state.json as turnout writes it: green live after blue, a deploy to blue under way.
const std::string kState = R"({
  "app": "web",
  "live": "green",
  "previous": "blue",
  "slots": {
    "blue": {
      "port": 20201,
      "running": false,
      "sha": "aaaa",
      "release": "/data/apps/web/releases/aaaa-1",
      "pipeline_file": "/data/apps/web/releases/aaaa-1/.turnout.yml",
      "run_id": "1",
      "since": "2026-11-22T10:00:00.000Z"
    },
    "green": {
      "port": 20202,
      "running": true,
      "pid": 4242,
      "start_time": 123456,
      "sha": "bbbb",
      "release": "/data/apps/web/releases/bbbb-2",
      "pipeline_file": "/data/apps/web/releases/bbbb-2/.turnout.yml",
      "run_id": "2",
      "since": "2026-11-22T11:00:00.000Z"
    }
  },
  "journal": {
    "run_id": "3",
    "sha": "cccc",
    "target": "blue",
    "from": "green",
    "phase": "health",
    "started_at": "2026-11-22T12:00:00.000Z"
  }
}
)";

// `kState` with `from` replaced by `to`, once.
std::string state_with(const std::string& from, const std::string& to) {
  std::string text = kState;
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("app state: the slots read from state.json, and it is written back byte for byte",
          "[unit][deploy]") {
  TempDir dir;
  dir.write("web/state.json", kState);
  const auto state = load_app_state((dir / "web").string());
  REQUIRE(state);
  CHECK(state.value().live == Slot::green);
  CHECK(state.value().previous == Slot::blue);
  CHECK(state.value().slots.at(Slot::green).port == 20202);
  REQUIRE(state.value().journal);
  CHECK(state.value().journal->target == Slot::blue);
  CHECK(state.value().journal->from == Slot::green);

  REQUIRE(save_app_state((dir / "again").string(), state.value()));
  // The same, then the history a state of an older turnout gets: its live and previous slots.
  const auto saved = read_file(dir / "again" / "state.json");
  const auto journal_end = kState.rfind('}', kState.size() - 3);
  CHECK(saved.substr(0, journal_end + 1) == kState.substr(0, journal_end + 1));
  const auto& history = state.value().history;
  REQUIRE(history.size() == 2);
  CHECK(history[0].release == "/data/apps/web/releases/aaaa-1");
  CHECK(history[0].live_until == "2026-11-22T11:00:00.000Z");
  CHECK(history[1].release == "/data/apps/web/releases/bbbb-2");
  CHECK(history[1].live_until.empty());
  const auto again = load_app_state((dir / "again").string());
  REQUIRE(again);
  REQUIRE(save_app_state((dir / "third").string(), again.value()));
  CHECK(read_file(dir / "third" / "state.json") == saved);
}

TEST_CASE("app state: the history says which releases were live, and what a rollback goes to",
          "[unit][deploy]") {
  TempDir dir;
  AppState state;
  const auto release = [&](const std::string& name) {
    return dir.write("releases/" + name + "/app.txt", name).parent_path().string();
  };
  auto deployed = [&](Slot slot, const std::string& name) {
    state.slots[slot].release = release(name);
    state.slots[slot].sha = name + "0000000000";
    state.slots[slot].run_id = name;
  };
  CHECK_FALSE(last_live_before_current(state));
  deployed(Slot::blue, "v1");
  state.live = Slot::blue;
  mark_live(state, Slot::blue, "t1");
  mark_live(state, Slot::blue, "t1b");  // the same release again: no new entry
  REQUIRE(state.history.size() == 1);
  CHECK_FALSE(last_live_before_current(state));
  deployed(Slot::green, "v2");
  state.live = Slot::green;
  mark_live(state, Slot::green, "t2");
  CHECK(state.history[0].live_until == "t2");
  CHECK(last_live_before_current(state)->run_id == "v1");
  // v3 fails on blue: never marked live, so the rollback target stays v1, whose slot now runs v3.
  deployed(Slot::blue, "v3");
  CHECK(last_live_before_current(state)->run_id == "v1");
  // v1's folder is gone: nothing to go back to, and the history forgets it.
  std::filesystem::remove_all(dir / "releases" / "v1");
  CHECK_FALSE(last_live_before_current(state));
  forget_removed_releases(state);
  REQUIRE(state.history.size() == 1);
  CHECK(state.history[0].run_id == "v2");
}

TEST_CASE("app state: before the first deploy no slot is live, and it is written as \"\"", "[unit][deploy]") {
  TempDir dir;
  AppState state;
  state.app = "web";
  state.slots[Slot::blue].port = 20201;
  REQUIRE(save_app_state((dir / "web").string(), state));
  CHECK_THAT(read_file(dir / "web" / "state.json"),
             Catch::Contains("\"live\": \"\",\n  \"previous\": \"\","));
  const auto loaded = load_app_state((dir / "web").string());
  REQUIRE(loaded);
  CHECK_FALSE(loaded.value().live);
  CHECK_FALSE(loaded.value().previous);
}

TEST_CASE("app state: a slot that is neither blue nor green is refused, naming the file", "[unit][deploy]") {
  // It used to be taken for blue: a deploy would then have gone to green, the live slot.
  const struct {
    const char* what;
    std::string text;
    const char* says;
  } cases[] = {
      {"live", state_with("\"live\": \"green\"", "\"live\": \"purple\""), "the live slot is 'purple'"},
      {"previous", state_with("\"previous\": \"blue\"", "\"previous\": \"Blue\""),
       "the previous slot is 'Blue'"},
      {"slots key", state_with("\"green\": {", "\"purple\": {"), "a key of slots is 'purple'"},
      {"journal target", state_with("\"target\": \"blue\"", "\"target\": \"purple\""),
       "the journal's target slot is 'purple'"},
      {"journal from", state_with("\"from\": \"green\"", "\"from\": \"red\""),
       "the journal's from slot is 'red'"},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.what) {
      TempDir dir;
      const auto file = dir.write("web/state.json", c.text);
      const auto state = load_app_state((dir / "web").string());
      REQUIRE_FALSE(state);
      CHECK_THAT(state.error().message, Catch::StartsWith(file.string() + " is not a deploy state"));
      CHECK_THAT(state.error().message, Catch::Contains(std::string(c.says) + ", not blue or green"));
      CHECK(read_file(file) == c.text);  // left as it was, for a person to fix
    }
  }
}
