#include "agent/apps/app_status.h"

#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "tests/support/temp_dir.h"
#include "util/process_identity.h"

using namespace turnout;
using namespace turnout::agent;
using steps::deploy::Slot;
using turnout::test::read_file;
using turnout::test::TempDir;

namespace {

// How many lines `path` has: one per probe of the counting health check.
int lines_in(const std::filesystem::path& path) {
  std::istringstream text(read_file(path));
  int count = 0;
  for (std::string line; std::getline(text, line);) ++count;
  return count;
}

// App `web` live on blue (this test's own process stands for the slot's), its health check a
// command that counts its runs in `dir/probes`, its release `dir/release`.
AppDeploy counted_app(const TempDir& dir) {
  std::filesystem::create_directories(dir / "release");
  AppDeploy app;
  app.state.app = "web";
  app.state.live = Slot::blue;
  steps::deploy::SlotState blue;
  blue.port = 1;
  blue.running = true;
  blue.process = util::self_identity();
  blue.release = (dir / "release").string();
  app.state.slots[Slot::blue] = blue;
  app.state.slots[Slot::green] = steps::deploy::SlotState{};
  app.deploy.app = "web";
  app.deploy.health.kind = pipeline::ProbeKind::command;
  app.deploy.health.command = "echo probed >> " + (dir / "probes").string();
  app.deploy.proxy.command = pipeline::CommandProxy{"true", "echo 1"};
  app.site.data_dir = (dir / "data").string();
  app.site.env = {"PATH=/usr/local/bin:/usr/bin:/bin"};
  return app;
}

}  // namespace

TEST_CASE("app status: a slot is probed at most once a second, however often its status is asked",
          "[unit][apps]") {
  const TempDir dir;
  auto app = counted_app(dir);
  for (int i = 0; i < 10; ++i) {
    const auto status = app_status_json(app);
    CHECK(status->getObject("live")->getValue<bool>("healthy"));
    CHECK_FALSE(status->getObject("idle")->getValue<bool>("healthy"));  // not running: never probed
  }
  const int probes = lines_in(dir / "probes");
  CHECK(probes >= 1);
  CHECK(probes < 10);  // the views of the same second share a probe

  // Another release in the slot (a deploy, a rollback) is probed afresh.
  std::filesystem::create_directories(dir / "other");
  app.state.slots[Slot::blue].release = (dir / "other").string();
  CHECK(app_status_json(app)->getObject("live")->getValue<bool>("healthy"));
  CHECK(lines_in(dir / "probes") == probes + 1);
}
