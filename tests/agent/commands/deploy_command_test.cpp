// Deploys through the real binary: `turnout run` with a deploy stage behind a real nginx,
// `turnout deploy status|rollback|switch|bootup`, and SIGKILL in the middle of each phase.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include "steps/deploy/app_state.h"
#include "steps/deploy/slot_process.h"
#include "tests/support/background_process.h"
#include "tests/support/command.h"
#include "tests/support/deploy_site.h"
#include "tests/support/http_get.h"
#include "tests/support/nginx.h"
#include "tests/support/raw_client.h"
#include "tests/support/temp_dir.h"
#include "tests/support/version_app.h"

using namespace turnout;
using namespace turnout::test;

namespace {

// Field `number` of /proc/PID/stat (counting the fields after the command's closing parenthesis
// from 3): 19 is the nice value, 41 the scheduling policy.
std::string stat_field(int pid, int number) {
  const auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  for (int index = 3; index <= number && fields >> field; ++index) {
  }
  return field;
}

using Site = DeploySite;

// How many of 200 new requests through `site`'s nginx, asked right away, got other than `version`.
int others_than_version(const Site& site, const std::string& version) {
  int others = 0;
  for (int i = 0; i < 200; ++i) others += http_get_body(site.nginx->port()) == version + "\n" ? 0 : 1;
  return others;
}

}  // namespace

TEST_CASE("deploy: turnout run deploys, deploy status reads it back, rollback and switch move traffic",
          "[integration][deploy][nginx]") {
  Site site;
  const auto v1 = site.deploy("v1");
  INFO(v1.out << v1.err);
  REQUIRE(v1.exit_code == 0);
  CHECK_THAT(v1.out, Catch::Contains("deploy done: slot blue is live"));
  CHECK(site.serves("v1"));
  // The deploy's phases and probes are turnout's notes in the run log, as the README says.
  const auto log = site.turnout({"logs", "1"});
  CHECK_THAT(log.out, Catch::Contains(" --- deploy: health"));
  CHECK_THAT(log.out, Catch::Contains(" --- switching "));
  CHECK(log.out.find(" out deploy:") == std::string::npos);
  REQUIRE(site.deploy("v2").exit_code == 0);
  CHECK(site.serves("v2"));

  const auto status = site.turnout({"deploy", "status", "--json"});
  INFO(status.err);
  REQUIRE(status.exit_code == 0);
  const auto apps = Poco::JSON::Parser().parse(status.out).extract<Poco::JSON::Array::Ptr>();
  REQUIRE(apps->size() == 1);
  const auto app = apps->getObject(0);
  CHECK(app->getValue<std::string>("app") == "web");
  CHECK(app->getObject("live")->getValue<std::string>("slot") == "green");
  CHECK(app->getObject("live")->getValue<bool>("healthy"));
  CHECK(app->getObject("live")->getValue<int>("port") == site.green);
  // Slots serve production: they keep the agent's priority, whatever the steps of the run had.
  const int live_pid = app->getObject("live")->getValue<int>("pid");
  CHECK(stat_field(live_pid, 19) == stat_field(::getpid(), 19));
  CHECK(stat_field(live_pid, 41) == "0");  // SCHED_OTHER, not the steps' SCHED_IDLE
  CHECK(app->getValue<int>("proxy_port") == site.green);
  CHECK(app->getObject("idle")->getValue<bool>("alive"));
  CHECK_FALSE(app->has("unfinished_deploy"));
  const auto text = site.turnout({"deploy", "status"});
  CHECK_THAT(text.out, Catch::Contains("live   green port " + std::to_string(site.green)));
  CHECK(text.out.find("\x1b[") == std::string::npos);  // not a terminal: no colour
  // On a terminal (script(1) gives it one) the words are coloured, never with NO_COLOR.
  const auto at_terminal = [&](const std::string& env) {
    return run_command({"script", "-qec",
                        env + " '" TURNOUT_BINARY "' deploy status --data-dir '" + site.data() + "'",
                        "/dev/null"});
  };
  const auto coloured = at_terminal("env");
  INFO(coloured.out << coloured.err);
  CHECK_THAT(coloured.out, Catch::Contains("\x1b[1mweb\x1b[0m"));
  CHECK_THAT(coloured.out, Catch::Contains("\x1b[32mrunning\x1b[0m"));
  CHECK_THAT(coloured.out, Catch::Contains("\x1b[32mhealthy\x1b[0m"));
  const auto plain = at_terminal("env NO_COLOR=1");
  CHECK_THAT(plain.out, Catch::Contains("running"));
  CHECK(plain.out.find("\x1b[") == std::string::npos);

  const auto rollback = site.turnout({"deploy", "rollback", "--app", "web"});
  INFO(rollback.out << rollback.err);
  CHECK(rollback.exit_code == 0);
  CHECK(site.serves("v1"));
  CHECK(site.turnout({"deploy", "switch", "green", "--app", "web"}).exit_code == 0);
  CHECK(site.serves("v2"));

  const auto unknown = site.turnout({"deploy", "rollback", "--app", "nope"});
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::StartsWith("turnout deploy rollback: no app 'nope'"));
}

TEST_CASE("deploy: turnout killed with SIGKILL in a phase is reconciled at the next start",
          "[integration][deploy][nginx][slow]") {
  struct Case {
    const char* phase;
    DeployKnobs knobs;
    const char* served_after;  // the version served once reconciled; "" = the live one, either is right
  };
  DeployKnobs slow_health, slow_switch, slow_verify, slow_drain, slow_start;
  slow_health.app_env = "  APP_HEALTH: after:30\n";
  slow_switch.test_prefix = "sleep 3; ";
  slow_verify.timing = "      verify: 30s\n      drain: 100ms\n";
  slow_drain.timing = "      verify: 300ms\n      drain: 30s\n";
  // An outside supervisor (docker run -d, systemctl start) still busy when turnout dies: its
  // slot is up, and the stop command must take it down again.
  slow_start.outside_supervisor = true;
  slow_start.start_suffix = "; sleep 3";
  const std::vector<Case> cases = {
      {"start", slow_start, "v1"},
      {"health", slow_health, "v1"},
      // Killed before or after the file was written: either way a healthy slot serves, and it is the live
      // one.
      {"switch", slow_switch, ""},
      {"verify", slow_verify, "v2"},
      {"drain", slow_drain, "v2"},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION("killed during " << c.phase) {
      // Mode reload runs the slow test command at every switch; mode flag only on the first.
      Site site(std::string(c.phase) == "switch");
      DeployKnobs first;
      first.outside_supervisor = c.knobs.outside_supervisor;
      REQUIRE(site.deploy("v1", first).exit_code == 0);
      site.write_pipeline("v2", c.knobs);
      std::vector<std::string> argv = {TURNOUT_BINARY, "run",      "--dir", (site.dir / "ws").string(),
                                       "--data-dir",   site.data()};
      // Drain ends as soon as the old slot has no connection open: one held to it keeps the
      // deploy in its drain phase long enough to be killed there.
      std::optional<RawClient> held;
      if (std::string(c.phase) == "drain") held.emplace(site.blue);
      BackgroundProcess run(argv, site.dir / "run.log");
      bool reached = false;
      // Up to a minute: a loaded machine (the suite runs two at a time) can take a while to get there.
      for (int i = 0; i < 3000 && !reached; ++i) {
        const auto state = site.state();
        reached = state.journal && steps::deploy::to_string(state.journal->phase) == std::string(c.phase);
        // Killed once the outside supervisor has the new slot up and is still busy.
        if (c.knobs.outside_supervisor) reached = reached && site.outside_pid("green") > 0;
        if (!reached) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      REQUIRE(reached);
      run.stop(SIGKILL);

      const auto boot = site.turnout({"deploy", "bootup"});
      INFO(run.output() << boot.out << boot.err);
      CHECK(boot.exit_code == 0);
      CHECK_THAT(boot.out, Catch::Contains(std::string("was interrupted during ") + c.phase));
      CHECK_FALSE(site.state().journal);
      const auto live_slot = site.state().live;
      const std::string live = live_slot ? to_string(*live_slot) : "";
      const std::string expected = *c.served_after != '\0' ? c.served_after : live == "green" ? "v2" : "v1";
      CHECK(live == (expected == "v2" ? "green" : "blue"));
      CHECK(site.serves(expected));
      if (c.knobs.outside_supervisor) CHECK(site.outside_pid("green") == 0);  // its stop command ran
    }
  }
}

TEST_CASE("deploy: an outside supervisor's start and stop commands run each version and the rollback",
          "[integration][deploy][nginx]") {
  Site site;
  DeployKnobs outside;
  outside.outside_supervisor = true;
  outside.timing += "      keep_previous: false\n";
  const auto v1 = site.deploy("v1", outside);
  INFO(v1.out << v1.err);
  REQUIRE(v1.exit_code == 0);
  CHECK(site.serves("v1"));
  const int blue_pid = site.outside_pid("blue");
  CHECK(blue_pid > 0);
  CHECK_FALSE(site.state().slots.at(steps::deploy::Slot::blue).process);  // not the agent's process to watch

  const auto v2 = site.deploy("v2", outside);
  INFO(v2.out << v2.err);
  REQUIRE(v2.exit_code == 0);
  CHECK(site.serves("v2"));
  CHECK(site.outside_pid("green") > 0);
  CHECK(site.outside_pid("blue") == 0);  // keep_previous: false ran blue's stop

  // The previous slot is stopped: rollback starts it again through the supervisor, then switches.
  const auto rollback = site.turnout({"deploy", "rollback", "--app", "web"});
  INFO(rollback.out << rollback.err);
  CHECK(rollback.exit_code == 0);
  CHECK(site.serves("v1"));
  CHECK(site.outside_pid("blue") > 0);
  CHECK(site.outside_pid("blue") != blue_pid);

  // A reboot took the live slot's process: bootup runs the supervisor's start again.
  const int before_reboot = site.outside_pid("blue");
  ::kill(before_reboot, SIGKILL);
  std::filesystem::remove(site.dir / "outside-blue.pid");
  const auto boot = site.turnout({"deploy", "bootup"});
  INFO(boot.out << boot.err);
  CHECK(boot.exit_code == 0);
  CHECK(site.serves("v1"));
  CHECK(site.outside_pid("blue") > 0);
  CHECK(site.outside_pid("blue") != before_reboot);
}

TEST_CASE("deploy: status reads a command proxy back, running its current command in the app's folder",
          "[integration][deploy]") {
  Site site;
  DeployKnobs command;
  command.command_proxy = true;
  const auto v1 = site.deploy("v1", command);
  INFO(v1.out << v1.err);
  REQUIRE(v1.exit_code == 0);
  const auto status = site.turnout({"deploy", "status", "--json"});
  INFO(status.out << status.err);
  REQUIRE(status.exit_code == 0);
  const auto app = Poco::JSON::Parser().parse(status.out).extract<Poco::JSON::Array::Ptr>()->getObject(0);
  CHECK(app->getValue<std::string>("proxy") == "command");
  CHECK_FALSE(app->has("proxy_error"));
  CHECK(app->getValue<int>("proxy_port") == site.blue);
}

TEST_CASE(
    "deploy: hand operations give the app's commands the pipeline's secrets from their environment, masked",
    "[integration][deploy][nginx]") {
  Site site(true);  // the test command runs at every switch in mode reload
  const auto block = site.dir / "block-switch";
  DeployKnobs knobs;
  knobs.app_env = "secrets: [WEB_SECRET]\n";
  // The proxy's test needs the secret and prints it; the block file makes it fail on purpose.
  knobs.test_prefix =
      "echo \"checking with $WEB_SECRET\"; test \"$WEB_SECRET\" = s3cret-value && test ! -e " +
      block.string() + " && ";
  ::setenv("WEB_SECRET", "s3cret-value", 1);
  REQUIRE(site.deploy("v1", knobs).exit_code == 0);
  REQUIRE(site.deploy("v2", knobs).exit_code == 0);
  REQUIRE(site.serves("v2"));

  ::unsetenv("WEB_SECRET");
  const auto without = site.turnout({"deploy", "rollback", "--app", "web"});
  INFO(without.out << without.err);
  CHECK(without.exit_code != 0);
  CHECK_THAT(without.out, Catch::Contains("secret 'WEB_SECRET' (listed in ") &&
                              Catch::Contains("is not set in this process's environment"));
  CHECK(site.serves("v2"));

  ::setenv("WEB_SECRET", "s3cret-value", 1);
  site.dir.write("block-switch", "");
  const auto blocked = site.turnout({"deploy", "rollback", "--app", "web"});
  INFO(blocked.out << blocked.err);
  CHECK(blocked.exit_code != 0);
  CHECK_THAT(blocked.err, Catch::Contains("checking with ***"));
  CHECK_THAT(blocked.out + blocked.err, !Catch::Contains("s3cret-value"));
  CHECK(site.serves("v2"));

  std::filesystem::remove(block);
  const auto rolled = site.turnout({"deploy", "rollback", "--app", "web"});
  INFO(rolled.out << rolled.err);
  CHECK(rolled.exit_code == 0);
  CHECK_THAT(rolled.out, !Catch::Contains("is not set"));
  CHECK(site.serves("v1"));
  ::unsetenv("WEB_SECRET");
}

namespace {

// The releases in `site`'s history that were live, oldest first.
std::vector<steps::deploy::LiveRelease> live_history(const Site& site) { return site.state().history; }

// Waits (up to 20 s) until the journal of `site`'s deploy in progress says `phase`.
bool reaches_phase(const Site& site, const std::string& phase) {
  for (int i = 0; i < 2000; ++i) {
    const auto state = site.state();
    if (state.journal && steps::deploy::to_string(state.journal->phase) == phase) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace

TEST_CASE(
    "deploy: a failed deploy then a rollback goes to the last live release, started again from its folder",
    "[integration][deploy][nginx]") {
  Site site;
  REQUIRE(site.deploy("v1").exit_code == 0);  // blue
  REQUIRE(site.deploy("v2").exit_code == 0);  // green
  REQUIRE(site.deploy("v3").exit_code == 0);  // blue: v2 kept on green
  REQUIRE(site.serves("v3"));
  const auto history = live_history(site);
  REQUIRE(history.size() == 3);
  // v4 fails its health check on green: green now holds the failed release, stopped.
  DeployKnobs failing;
  failing.app_env = "  APP_HEALTH: fail\n";
  failing.attempts = 5;
  const auto v4 = site.deploy("v4", failing);
  INFO(v4.out << v4.err);
  REQUIRE(v4.exit_code != 0);
  const auto green = site.state().slots.at(steps::deploy::Slot::green);
  CHECK_FALSE(green.running);
  CHECK(green.release != history[1].release);
  CHECK(live_history(site).size() == 3);  // never live, never a target

  const auto rollback = site.turnout({"deploy", "rollback", "--app", "web"});
  INFO(rollback.out << rollback.err);
  REQUIRE(rollback.exit_code == 0);
  // One line, before it acts, says where it goes.
  CHECK_THAT(
      rollback.out,
      Catch::StartsWith("rolling back web to " + history[1].sha.substr(0, 12) + " (run " + history[1].run_id +
                        ", live from " + history[1].live_since + " until " + history[1].live_until + ")\n"));
  CHECK(others_than_version(site, "v2") == 0);
  const auto state = site.state();
  CHECK(state.live == steps::deploy::Slot::green);
  CHECK(state.slots.at(steps::deploy::Slot::green).release == history[1].release);

  // --to a release that was live: v1, by its run id.
  const auto to_v1 = site.turnout({"deploy", "rollback", "--app", "web", "--to", history[0].run_id});
  INFO(to_v1.out << to_v1.err);
  CHECK(to_v1.exit_code == 0);
  CHECK(others_than_version(site, "v1") == 0);

  // --to the failed v4 (by its run: `turnout run --dir` of a plain folder has no commit): never
  // live, refused, traffic where it was.
  const auto to_v4 = site.turnout({"deploy", "rollback", "--app", "web", "--to", green.run_id});
  INFO(to_v4.out << to_v4.err);
  CHECK(to_v4.exit_code == 1);
  CHECK_THAT(to_v4.err, Catch::Contains("no kept release of web with run or commit '" + green.run_id +
                                        "' was ever live"));
  CHECK(others_than_version(site, "v1") == 0);

  // deploy status lists the kept releases with when each was live.
  const auto status = site.turnout({"deploy", "status", "--json"});
  REQUIRE(status.exit_code == 0);
  const auto releases = Poco::JSON::Parser()
                            .parse(status.out)
                            .extract<Poco::JSON::Array::Ptr>()
                            ->getObject(0)
                            ->getArray("releases");
  REQUIRE(releases);
  REQUIRE(releases->size() >= 3);
  CHECK(releases->getObject(0)->getValue<std::string>("run_id") ==
        history[0].run_id);  // newest first: v1 live now
  CHECK(releases->getObject(0)->getValue<std::string>("live_until").empty());
  // What a rollback would go to now, as the dashboard's button names it: v2, live before v1.
  const auto back = Poco::JSON::Parser()
                        .parse(status.out)
                        .extract<Poco::JSON::Array::Ptr>()
                        ->getObject(0)
                        ->getObject("rollback_to");
  REQUIRE(back);
  CHECK(back->getValue<std::string>("run_id") == history[1].run_id);
  const auto text = site.turnout({"deploy", "status"});
  CHECK_THAT(text.out, Catch::Contains("releases that were live"));
}

TEST_CASE("deploy: rollback with nothing live before refuses with the reason",
          "[integration][deploy][nginx]") {
  Site site;
  REQUIRE(site.deploy("v1").exit_code == 0);
  const auto rollback = site.turnout({"deploy", "rollback", "--app", "web"});
  CHECK(rollback.exit_code == 1);
  CHECK_THAT(rollback.err,
             Catch::Contains("no release of web other than the live one (") &&
                 Catch::Contains("was ever live and is still kept: there is nothing to roll back to"));
  CHECK(site.serves("v1"));
}

namespace {

// Kills the outside supervisor's green slot, then starts another program on its port, healthy as
// can be; returns it once it accepts connections.
std::unique_ptr<BackgroundProcess> stranger_on_green(const Site& site) {
  const int green_pid = site.outside_pid("green");
  REQUIRE(green_pid > 0);
  ::kill(green_pid, SIGKILL);
  while (port_accepts(site.green)) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto stranger = std::make_unique<BackgroundProcess>(
      std::vector<std::string>{TURNOUT_TEST_APP}, site.dir / "stranger.log",
      std::map<std::string, std::string>{{"PORT", std::to_string(site.green)}, {"APP_VERSION", "stranger"}});
  while (!port_accepts(site.green)) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return stranger;
}

// Waits (up to 30 s) for `run` to end, and checks that verify caught the stranger on green.
void check_stranger_caught(const Site& site, BackgroundProcess& run) {
  for (int i = 0; i < 3000 && run.running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  INFO(run.output());
  REQUIRE_FALSE(run.running());
  CHECK_THAT(run.output(),
             Catch::Contains("slot green failed after the switch: the process that listened on port " +
                             std::to_string(site.green) + " before the switch (pid "));
  CHECK_THAT(run.output(), Catch::Contains("traffic is back on slot blue"));
  CHECK(site.serves("v1"));
  CHECK(site.state().live == steps::deploy::Slot::blue);
}

}  // namespace

TEST_CASE("deploy: a slot killed and replaced by a stranger on its port during verify is caught",
          "[integration][deploy][nginx]") {
  Site site;
  DeployKnobs outside;  // an outside supervisor: turnout knows the slot only by its port
  outside.outside_supervisor = true;
  outside.interval = "1s";
  REQUIRE(site.deploy("v1", outside).exit_code == 0);
  DeployKnobs slow_verify = outside;
  slow_verify.timing = "      verify: 20s\n      drain: 100ms\n";
  site.write_pipeline("v2", slow_verify);
  BackgroundProcess run(
      {TURNOUT_BINARY, "run", "--dir", (site.dir / "ws").string(), "--data-dir", site.data()},
      site.dir / "run.log");
  // Once verify watches the slot's process (the run's log file says so; its stdout is buffered),
  // between two of its probes (1 s apart), the slot dies and at once a stranger answers.
  REQUIRE(reaches_phase(site, "verify"));
  const auto log_file = site.data_dir / "runs" / site.state().journal->run_id / "log";
  const std::string watching = "verify: watching pid " + std::to_string(site.outside_pid("green")) +
                               ", which listens on port " + std::to_string(site.green);
  for (int i = 0; i < 2000 && read_file(log_file).find(watching) == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE_THAT(read_file(log_file), Catch::Contains(watching));
  const auto stranger = stranger_on_green(site);
  check_stranger_caught(site, run);
}

// The slot dies while the switch is still under way, before verify has looked at its port: what
// verify watches was seen when health passed, so the stranger it finds there is no owner.
TEST_CASE("deploy: a slot killed and replaced by a stranger during the switch is caught by verify",
          "[integration][deploy][nginx]") {
  Site site(true);  // nginx's reload mode: the switch runs the test command, which this one makes slow
  DeployKnobs outside;
  outside.outside_supervisor = true;
  REQUIRE(site.deploy("v1", outside).exit_code == 0);
  DeployKnobs slow_switch = outside;
  slow_switch.test_prefix = "sleep 2; ";
  site.write_pipeline("v2", slow_switch);
  BackgroundProcess run(
      {TURNOUT_BINARY, "run", "--dir", (site.dir / "ws").string(), "--data-dir", site.data()},
      site.dir / "run.log");
  REQUIRE(reaches_phase(site, "switch"));
  const auto stranger = stranger_on_green(site);
  check_stranger_caught(site, run);
}

TEST_CASE(
    "deploy: a rollback asked during each phase of a deploy is refused at once, then rolls back from after "
    "it",
    "[integration][deploy][nginx][slow]") {
  struct Case {
    const char* phase;
    DeployKnobs knobs;
    bool reload_mode = false;  // nginx tested at each switch: the switch's own test can be slowed
  };
  DeployKnobs slow_start, slow_health, slow_switch, slow_verify, slow_drain;
  slow_start.outside_supervisor = true;
  slow_start.start_suffix = "; sleep 3";
  slow_health.app_env = "  APP_HEALTH: after:3\n";
  slow_switch.test_prefix = "sleep 3; ";
  slow_verify.timing = "      verify: 3s\n      drain: 100ms\n";
  slow_drain.timing = "      verify: 100ms\n      drain: 3s\n";
  for (const auto& c : std::vector<Case>{{"start", slow_start},
                                         {"health", slow_health},
                                         {"switch", slow_switch, true},
                                         {"verify", slow_verify},
                                         {"drain", slow_drain}}) {
    DYNAMIC_SECTION("during " << c.phase) {
      Site site(c.reload_mode);
      DeployKnobs before;  // v1 and v2 supervised as v3 will be
      before.outside_supervisor = c.knobs.outside_supervisor;
      REQUIRE(site.deploy("v1", before).exit_code == 0);
      REQUIRE(site.deploy("v2", before).exit_code == 0);  // green; v1 kept on blue
      // Drain waits while the old slot has a connection open: hold one.
      std::unique_ptr<RawClient> held;
      if (std::string(c.phase) == "drain") held = std::make_unique<RawClient>(site.green);
      site.write_pipeline("v3", c.knobs);
      BackgroundProcess run(
          {TURNOUT_BINARY, "run", "--dir", (site.dir / "ws").string(), "--data-dir", site.data()},
          site.dir / "run.log");
      REQUIRE(reaches_phase(site, c.phase));
      const auto journal = *site.state().journal;
      // What the dashboard's overview and app page show of it (the app JSON's unfinished_deploy).
      const auto status = site.turnout({"deploy", "status", "--app", "web"});
      CHECK_THAT(status.out, Catch::Contains("unfinished deploy: run " + journal.run_id + " of " +
                                             journal.sha + " to slot blue, during " + c.phase));
      const auto during = site.turnout({"deploy", "rollback", "--app", "web"});
      INFO(during.out << during.err);
      CHECK(during.exit_code == 1);
      CHECK_THAT(during.err, Catch::Contains("deploy of web (run " + journal.run_id + ") in progress since " +
                                             journal.started_at + ", phase " + c.phase));
      for (int i = 0; i < 3000 && run.running(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      INFO(run.output());
      REQUIRE_FALSE(run.running());
      REQUIRE(site.serves("v3"));
      // Asked again: decided from the state after that deploy, back to v2.
      const auto after = site.turnout({"deploy", "rollback", "--app", "web"});
      INFO(after.out << after.err);
      CHECK(after.exit_code == 0);
      CHECK(others_than_version(site, "v2") == 0);
    }
  }
}
