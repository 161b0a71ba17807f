// The blue-green deploy end to end with real parts: Debian's nginx in front (its own prefix and
// port), the test app (tests/fixtures/app) in the slots, real processes, real files.
#include "steps/deploy/blue_green.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "steps/deploy/app_state.h"
#include "steps/deploy/feed_endpoint.h"
#include "steps/deploy/slot_process.h"
#include "steps/deploy/traffic_feed.h"
#include "tests/support/background_process.h"
#include "tests/support/http_get.h"
#include "tests/support/nginx.h"
#include "tests/support/slot_string.h"
#include "tests/support/temp_dir.h"
#include "util/udp_receiver.h"

using namespace turnout;
using namespace turnout::steps::deploy;
using turnout::test::http_get_body;
using turnout::test::NginxServer;
using turnout::test::TempDir;

namespace {

namespace fs = std::filesystem;

// A deployable app behind a real nginx: everything a test needs to deploy versions of it.
struct Stand {
  TempDir dir;
  std::unique_ptr<NginxServer> nginx;
  pipeline::Deploy deploy;
  std::vector<std::string> lines;  // the deploy's log
  steps::CancelToken cancel;
  // With feed_on(): nginx's traffic feed, received here as `turnout serve` does.
  std::unique_ptr<TrafficFeed> feed;
  std::unique_ptr<util::UdpReceiver> receiver;
  std::string no_feed = "the test hands no feed";  // why there is none, otherwise

  explicit Stand(bool keep_previous = true, pipeline::NginxMode mode = pipeline::NginxMode::flag) {
    dir.write("workspace/app.txt", "the app's files\n");
    deploy.app = "web";
    deploy.slots = {test::free_loopback_port(), test::free_loopback_port()};
    deploy.start = "exec \"$TEST_APP\"";
    deploy.health.path = "/health";
    deploy.health.interval = util::Duration(100);
    deploy.health.timeout = util::Duration(2000);
    deploy.health.attempts = 100;
    deploy.verify = util::Duration(500);
    deploy.drain = util::Duration(200);
    deploy.keep_previous = keep_previous;
    deploy.keep_releases = 2;
    const bool flag = mode == pipeline::NginxMode::flag;
    nginx = std::make_unique<NginxServer>([this, flag](int port) {
      if (flag) return test::flag_site(data() / "nginx" / "web", port);
      return "upstream web { include " + upstream().string() +
             "; }\nserver { listen 127.0.0.1:" + std::to_string(port) +
             "; location / { proxy_pass http://web; proxy_next_upstream off; } }\n";
    });
    pipeline::NginxProxy proxy;
    proxy.mode = mode;
    if (!flag) proxy.upstream_file = upstream().string();
    const std::string flags = " -p " + nginx->prefix().string() + " -c " + nginx->config_file().string();
    proxy.test = "nginx -t -q" + flags;
    proxy.reload = "nginx -s reload" + flags;
    deploy.proxy.nginx = proxy;
  }

  ~Stand() {
    // Slots are their own sessions: stop what the deploys started. Clean-up only: a slot that is
    // already gone is as good as a stopped one, so stop_slot's answer is not read.
    auto state = load_app_state(app_dir(data().string(), "web"));
    if (!state) return;
    for (const auto& [name, slot] : state.value().slots) {
      if (slot.process) (void)stop_slot(SlotLaunch{}, slot.process, util::Duration(2000));
    }
  }

  fs::path upstream() const {
    // nginx needs the file at start: a port nobody listens on until the first deploy.
    const auto path = dir / "web.upstream.conf";
    if (!fs::exists(path)) dir.write("web.upstream.conf", "server 127.0.0.1:1;\n");
    return path;
  }
  fs::path data() const { return dir / "data"; }

  // nginx sends each request to a feed this test receives; verify judges real traffic with
  // `check`.
  void feed_on(pipeline::TrafficCheck check) {
    deploy.proxy.nginx->feed = true;
    deploy.verify_traffic = check;
    const auto endpoint = feed_endpoint(data().string());
    REQUIRE(endpoint.ok());
    feed = std::make_unique<TrafficFeed>(TrafficFeedOptions{endpoint.value().key});
    auto started = util::UdpReceiver::start({endpoint.value().port}, [this](auto datagram, const auto& info) {
      feed->take(datagram, info, TrafficFeed::Clock::now());
    });
    REQUIRE(started.ok());
    receiver = std::move(started.value());
  }

  DeploySite site(const std::string& version, const std::map<std::string, std::string>& extra = {}) const {
    std::vector<std::string> env = {"PATH=/usr/bin:/bin:/usr/sbin:/sbin", "TEST_APP=" TURNOUT_TEST_APP,
                                    "APP_VERSION=" + version};
    for (const auto& [name, value] : extra) env.push_back(name + "=" + value);
    return {data().string(), env, {feed.get(), feed ? "" : no_feed}};
  }

  DeployOutcome deploy_version(const std::string& version,
                               const std::map<std::string, std::string>& extra = {}) {
    static int run = 0;
    const DeployInput input{(dir / "workspace").string(), ".turnout.yml", std::to_string(++run),
                            "0123456789ab" + version};
    return deploy_blue_green(deploy, site(version, extra), input, cancel,
                             [this](const std::string& line) { lines.push_back(line); });
  }

  // Waits until nginx answers `version` (a reload takes effect asynchronously).
  bool serves(const std::string& version) {
    for (int i = 0; i < 200; ++i) {
      if (http_get_body(nginx->port()) == version + "\n") return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  AppState state() const { return load_app_state(app_dir(data().string(), "web")).value(); }

  std::string log() const {
    std::string text;
    for (const auto& line : lines) text += line + "\n";
    return text;
  }
};

}  // namespace

TEST_CASE("blue-green: deploys go to the idle slot, switch nginx, keep the old slot for rollback",
          "[integration][deploy][nginx]") {
  Stand stand;
  const auto first = stand.deploy_version("v1");
  INFO(stand.log());
  REQUIRE(first.ok);
  CHECK(first.live == Slot::blue);
  CHECK_THAT(stand.log(), Catch::Contains("slot blue healthy after "));  // bench/switch times from it
  CHECK(stand.serves("v1"));

  const auto second = stand.deploy_version("v2");
  REQUIRE(second.ok);
  CHECK(second.live == Slot::green);
  CHECK(stand.serves("v2"));
  const auto state = stand.state();
  CHECK(state.live == Slot::green);
  CHECK(state.previous == Slot::blue);
  CHECK_FALSE(state.journal);
  REQUIRE(state.slots.at(Slot::blue).process);
  CHECK(slot_alive(*state.slots.at(Slot::blue).process));  // kept for an instant rollback
  CHECK(fs::exists(fs::path(state.slots.at(Slot::green).release) / "app.txt"));

  const auto back = switch_to_slot(stand.deploy, stand.site("v1"), Slot::blue, stand.cancel,
                                   [&](const std::string& line) { stand.lines.push_back(line); });
  REQUIRE(back.ok);
  CHECK(stand.serves("v1"));
  CHECK(stand.state().live == Slot::blue);
}

TEST_CASE("blue-green: a version that never gets healthy leaves the live slot untouched",
          "[integration][deploy][nginx]") {
  Stand stand;
  stand.deploy.health.attempts = 5;
  REQUIRE(stand.deploy_version("v1").ok);
  const auto live_before = stand.state().slots.at(Slot::blue);
  const auto broken = stand.deploy_version("v2", {{"APP_HEALTH", "fail"}});
  INFO(stand.log());
  CHECK_FALSE(broken.ok);
  CHECK_THAT(broken.reason, Catch::Contains("never became healthy"));
  CHECK_THAT(broken.reason, Catch::Contains("/health -> 503"));
  CHECK_THAT(stand.log(), Catch::Contains("/5 of slot green failed: GET http://127.0.0.1:"));
  CHECK_THAT(stand.log(), Catch::Contains("/health -> 503"));
  CHECK(stand.serves("v1"));
  const auto state = stand.state();
  CHECK(state.live == Slot::blue);
  CHECK_FALSE(state.journal);
  CHECK_FALSE(state.slots.at(Slot::green).running);
  CHECK(state.slots.at(Slot::blue).process == live_before.process);
}

TEST_CASE("blue-green: a slot that exits at once is not switched to, whoever answers on its port",
          "[integration][deploy][nginx]") {
  Stand stand;
  REQUIRE(stand.deploy_version("v1").ok);
  // Another process holds green's port: the new slot cannot listen there and exits.
  const int green = stand.deploy.slots.green;
  test::BackgroundProcess squatter({TURNOUT_TEST_APP}, stand.dir / "squatter.log",
                                   {{"PORT", std::to_string(green)}, {"APP_VERSION", "squatter"}});
  bool listening = false;
  for (int i = 0; i < 200 && !(listening = test::port_accepts(green)); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  REQUIRE(listening);
  const auto outcome = stand.deploy_version("v2");
  INFO(stand.log());
  CHECK_FALSE(outcome.ok);
  CHECK_THAT(outcome.reason, Catch::Contains("is in use by a process turnout did not start"));
  CHECK(stand.serves("v1"));
  CHECK(stand.state().live == Slot::blue);
  CHECK(http_get_body(green) == "squatter\n");  // left alone
}

TEST_CASE("blue-green: a start command that daemonizes fails at start and leaves its port free",
          "[integration][deploy][nginx]") {
  Stand stand;
  REQUIRE(stand.deploy_version("v1").ok);
  const int green = stand.deploy.slots.green;
  // The app escapes into a session of its own and the command returns: stopping the slot's
  // process group could never reach it.
  stand.deploy.start = "(setsid \"$TEST_APP\" &); exit 0";
  const auto outcome = stand.deploy_version("v2");
  INFO(stand.log());
  CHECK_FALSE(outcome.ok);
  CHECK_THAT(outcome.reason,
             Catch::Contains(
                 "the start command exited at once; a start command must stay in the foreground (use exec)"));
  CHECK(stand.serves("v1"));
  CHECK(stand.state().live == Slot::blue);
  bool freed = false;
  for (int i = 0; i < 200 && !(freed = !test::port_accepts(green)); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  CHECK(freed);
  // Nothing is left to block the slot: a start command that stays in the foreground deploys.
  stand.deploy.start = "exec \"$TEST_APP\"";
  REQUIRE(stand.deploy_version("v3").ok);
  CHECK(stand.serves("v3"));
}

TEST_CASE("blue-green: stopping a slot ends what its start command left listening outside its group",
          "[integration][deploy][nginx]") {
  Stand stand;
  // The start command stays in the foreground but also starts the app in a session of its own.
  stand.deploy.start = "setsid \"$TEST_APP\" & exec sleep 1000";
  REQUIRE(stand.deploy_version("v1").ok);
  const int blue = stand.deploy.slots.blue;
  REQUIRE(test::port_accepts(blue));
  stand.deploy.start = "exec \"$TEST_APP\"";
  stand.deploy.keep_previous = false;  // the deploy of v2 stops slot blue
  const auto second = stand.deploy_version("v2");
  INFO(stand.log());
  REQUIRE(second.ok);
  CHECK(stand.serves("v2"));
  CHECK_THAT(stand.log(), Catch::Contains("left listening on port " + std::to_string(blue)));
  bool freed = false;
  for (int i = 0; i < 200 && !(freed = !test::port_accepts(blue)); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  CHECK(freed);
}

TEST_CASE("blue-green: a failing proxy test puts the file back and keeps serving",
          "[integration][deploy][nginx]") {
  Stand stand(true, pipeline::NginxMode::reload);
  REQUIRE(stand.deploy_version("v1").ok);
  const auto before = test::read_file(stand.upstream());
  stand.deploy.proxy.nginx->test = "echo 'emerg: the test says no' >&2; exit 1";
  const auto refused = stand.deploy_version("v2");
  INFO(stand.log());
  CHECK_FALSE(refused.ok);
  CHECK_THAT(refused.reason, Catch::Contains("the test says no"));
  CHECK(test::read_file(stand.upstream()) == before);
  CHECK(stand.serves("v1"));
  CHECK(stand.state().live == Slot::blue);
  CHECK_FALSE(stand.state().slots.at(Slot::green).running);
}

TEST_CASE("blue-green: a new slot that dies while verified is switched away from",
          "[integration][deploy][nginx]") {
  Stand stand;
  stand.deploy.verify = util::Duration(10000);
  REQUIRE(stand.deploy_version("v1").ok);
  const auto dying = stand.deploy_version("v2", {{"APP_DIE_AFTER", "1"}});
  INFO(stand.log());
  CHECK_FALSE(dying.ok);
  CHECK_THAT(dying.reason, Catch::Contains("failed after the switch"));
  CHECK_THAT(dying.reason, Catch::Contains("traffic is back on slot blue"));
  CHECK(stand.serves("v1"));
  CHECK(stand.state().live == Slot::blue);
}

TEST_CASE("blue-green: zero failed requests through v1 -> v2 -> v3 -> rollback",
          "[integration][deploy][nginx][slow]") {
  for (const bool keep_previous : {true, false}) {
    DYNAMIC_SECTION("keep_previous " << keep_previous) {
      Stand stand(keep_previous);
      REQUIRE(stand.deploy_version("v1").ok);
      REQUIRE(stand.serves("v1"));
      std::atomic<bool> done{false};
      std::atomic<int> failures{0};
      std::atomic<int> answers{0};
      std::map<std::string, int> seen;
      std::string last_failure;
      std::thread client([&] {
        while (!done) {
          int status = 0;
          const auto body = http_get_body(stand.nginx->port(), "/", &status);
          if (body.empty()) {
            ++failures;
            last_failure = "status " + std::to_string(status);
          } else {
            ++answers;
            ++seen[body];
          }
        }
      });
      const auto v2 = stand.deploy_version("v2");
      const auto v3 = stand.deploy_version("v3");
      const Slot previous = stand.state().previous.value();
      const auto back = switch_to_slot(stand.deploy, stand.site("v2"), previous, stand.cancel,
                                       [&](const std::string& line) { stand.lines.push_back(line); });
      const bool rolled_back = stand.serves("v2");
      done = true;
      client.join();
      INFO(stand.log() << "last failure: " << last_failure);
      CHECK(v2.ok);
      CHECK(v3.ok);
      CHECK(back.ok);
      CHECK(rolled_back);
      CHECK(failures == 0);
      CHECK(answers > 0);
      // Each switch was visible to the client.
      CHECK(seen["v1\n"] > 0);
      CHECK(seen["v3\n"] > 0);
      CHECK(seen["v2\n"] > 0);
    }
  }
}

TEST_CASE(
    "blue-green: a deploy lock that cannot be opened fails deploys and hand operations, changing nothing",
    "[integration][deploy][nginx]") {
  Stand stand;
  REQUIRE(stand.deploy_version("v1").ok);
  REQUIRE(stand.deploy_version("v2").ok);
  const fs::path dir = app_dir(stand.data().string(), "web");
  const auto state_before = test::read_file(dir / "state.json");
  const auto releases_before =
      std::distance(fs::directory_iterator(dir / "releases"), fs::directory_iterator());
  // A folder where the lock file should be: open(2) for writing fails with EISDIR, as root too.
  fs::remove(dir / "deploy.lock");
  fs::create_directory(dir / "deploy.lock");
  const std::string reason =
      "cannot take the deploy lock (nothing was changed): cannot open the lock file '" +
      (dir / "deploy.lock").string() + "': Is a directory";
  const auto log = [&](const std::string& line) { stand.lines.push_back(line); };

  const auto deployed = stand.deploy_version("v3");
  INFO(stand.log());
  CHECK_FALSE(deployed.ok);
  CHECK(deployed.reason == reason);
  CHECK(deployed.live == Slot::green);
  const auto switched = switch_to_slot(stand.deploy, stand.site("v1"), Slot::blue, stand.cancel, log);
  CHECK_FALSE(switched.ok);
  CHECK_FALSE(switched.busy);
  CHECK(switched.reason == reason);
  const auto booted = boot_live_slot(stand.deploy, stand.site("v2"), stand.cancel, log);
  CHECK_FALSE(booted.ok);
  CHECK(booted.reason == reason);
  const auto reconciled = reconcile(stand.deploy, stand.site("v2"), log);
  REQUIRE_FALSE(reconciled);
  CHECK(reconciled.error().message == reason);

  CHECK(test::read_file(dir / "state.json") == state_before);
  CHECK(std::distance(fs::directory_iterator(dir / "releases"), fs::directory_iterator()) == releases_before);
  CHECK(stand.serves("v2"));
  fs::remove(dir / "deploy.lock");
}

TEST_CASE("blue-green: a phase that cannot be journalled after the switch fails the deploy, traffic back",
          "[integration][deploy][nginx]") {
  Stand stand(true, pipeline::NginxMode::reload);
  REQUIRE(stand.deploy_version("v1").ok);
  const fs::path dir = app_dir(stand.data().string(), "web");
  const auto state = dir / "state.json";
  // The switch's reload, once, puts a folder where the state file is: the next journal write (the
  // verify phase) cannot replace it. The state as journalled for the switch is kept aside.
  const auto once = stand.dir / "sabotage";
  stand.dir.write("sabotage", "");
  stand.deploy.proxy.nginx->reload += " && if [ -e '" + once.string() + "' ]; then rm '" + once.string() +
                                      "'; mv '" + state.string() + "' '" + state.string() +
                                      ".kept'; mkdir '" + state.string() + "'; fi";
  const auto outcome = stand.deploy_version("v2");
  // What a crash at that point would have left: the journal of the switch (and the Stand's
  // end stops the slots it names).
  const bool sabotaged = fs::is_directory(state);
  if (sabotaged) {
    fs::remove(state);
    fs::rename(state.string() + ".kept", state);
  }
  INFO(stand.log());
  REQUIRE(sabotaged);
  CHECK_FALSE(outcome.ok);
  CHECK_THAT(outcome.reason,
             Catch::StartsWith("slot green failed after the switch: cannot journal phase verify: "));
  CHECK_THAT(outcome.reason, Catch::Contains("traffic is back on slot blue"));
  CHECK_THAT(outcome.reason, Catch::Contains("cannot save the deploy state"));
  CHECK(outcome.live == Slot::blue);
  CHECK(stand.serves("v1"));

  // Which reconcile undoes.
  REQUIRE(stand.state().journal);
  const auto reconciled = reconcile(stand.deploy, stand.site("v1"),
                                    [&](const std::string& line) { stand.lines.push_back(line); });
  REQUIRE(reconciled);
  CHECK_THAT(reconciled.value(), Catch::Contains("undid it"));
  CHECK(stand.state().live == Slot::blue);
  CHECK_FALSE(stand.state().journal);
  CHECK(stand.serves("v1"));
}

namespace {

/// A client asking nginx `GET /` back to back until stopped: on one kept-alive connection, or on
/// a new connection each time. It counts every failure (an exception, a status but 200) and keeps
/// the versions it saw in order, each change once.
class Client {
 public:
  Client(int port, bool keep_alive) : port_(port), keep_alive_(keep_alive), thread_([this] { run(); }) {}
  ~Client() { stop(); }

  void stop() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int failures() const { return failures_; }
  int answers() const { return answers_; }
  const std::vector<std::string>& versions() const { return versions_; }
  const std::string& last_failure() const { return last_failure_; }

 private:
  void run() {
    auto session =
        std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", static_cast<Poco::UInt16>(port_));
    while (!done_) {
      if (!keep_alive_)
        session =
            std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", static_cast<Poco::UInt16>(port_));
      session->setKeepAlive(keep_alive_);
      session->setTimeout(Poco::Timespan(10, 0));
      try {
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/",
                                       Poco::Net::HTTPMessage::HTTP_1_1);
        session->sendRequest(request);
        Poco::Net::HTTPResponse response;
        std::string body;
        Poco::StreamCopier::copyToString(session->receiveResponse(response), body);
        if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK) {
          ++failures_;
          last_failure_ = "status " + std::to_string(response.getStatus());
          continue;
        }
        ++answers_;
        if (versions_.empty() || versions_.back() != body) versions_.push_back(body);
        // Hundreds of requests a second, not all the machine's CPU: the deploys run beside it.
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      } catch (const Poco::Exception& error) {
        ++failures_;
        last_failure_ = error.displayText();
        session =
            std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", static_cast<Poco::UInt16>(port_));
      }
    }
  }

  int port_;
  bool keep_alive_;
  std::atomic<bool> done_{false};
  std::atomic<int> failures_{0};
  std::atomic<int> answers_{0};
  std::vector<std::string> versions_;
  std::string last_failure_;
  std::thread thread_;
};

/// How many of `count` new requests through nginx answered other than `version`.
int others_than(int port, const std::string& version, int count) {
  int others = 0;
  for (int i = 0; i < count; ++i) others += http_get_body(port) == version + "\n" ? 0 : 1;
  return others;
}

}  // namespace

TEST_CASE("blue-green: keep-alive and new-connection clients see no error and one switch per command",
          "[integration][deploy][nginx][slow]") {
  Stand stand;
  // 25 commands in well under a minute: quick probes, a short verify and drain.
  stand.deploy.health.interval = util::Duration(20);
  stand.deploy.verify = util::Duration(100);
  stand.deploy.drain = util::Duration(50);
  stand.deploy.keep_releases = 3;
  REQUIRE(stand.deploy_version("v1").ok);
  REQUIRE(stand.serves("v1"));
  const auto log = [&](const std::string& line) { stand.lines.push_back(line); };
  // A rollback here starts nothing: the release it goes to still runs in the other slot.
  const ReleaseSetupOf setup_of = [&](const LiveRelease&) -> util::Result<ReleaseSetup> {
    return ReleaseSetup{stand.deploy, stand.site("")};
  };
  Client kept(stand.nginx->port(), true);
  Client fresh(stand.nginx->port(), false);
  int commands = 0;
  std::vector<std::string> stale;  // the commands after which a new request still got another version
  std::string live = "v1", before = "v1";
  for (int version = 2; version <= 21; ++version) {
    const std::string name = "v" + std::to_string(version);
    const auto deployed = stand.deploy_version(name);
    INFO(stand.log());
    REQUIRE(deployed.ok);
    ++commands;
    before = live;
    live = name;
    if (others_than(stand.nginx->port(), live, 200) != 0) stale.push_back("deploy " + name);
    if (version % 4 == 1) {  // v5, v9, ...: back to the one before, which still runs
      const auto back = roll_back_to(stand.deploy, stand.site(""), "", setup_of, stand.cancel, log);
      REQUIRE(back.ok);
      ++commands;
      std::swap(live, before);
      if (others_than(stand.nginx->port(), live, 200) != 0) stale.push_back("rollback to " + live);
    }
  }
  kept.stop();
  fresh.stop();
  INFO("keep-alive: " << kept.last_failure() << "; new connections: " << fresh.last_failure());
  CHECK(commands == 25);
  CHECK(stale.empty());
  CHECK(kept.failures() == 0);
  CHECK(fresh.failures() == 0);
  CHECK(kept.answers() > 100);
  CHECK(fresh.answers() > 100);
  // Each command moved each client at most once: never back and forth around a switch.
  CHECK(kept.versions().size() <= static_cast<std::size_t>(commands) + 1);
  CHECK(fresh.versions().size() <= static_cast<std::size_t>(commands) + 1);
  CHECK_THAT(stand.log(), Catch::Contains("rolling back web to "));
}

namespace {

// A client that asks nginx for `/` without pause until it is stopped, counting the answers by
// status and body ("v1\n", "broken v2\n" is not a body: a 500's body is not read).
struct BusyClient {
  std::atomic<bool> done{false};
  std::atomic<int> unanswered{0};  // no status at all: the connection failed
  std::atomic<int> errors{0};      // 5xx
  std::mutex mutex;
  std::map<std::string, int> bodies;  // of the 200s
  std::thread thread;

  explicit BusyClient(int port)
      : thread([this, port] {
          while (!done) {
            int status = 0;
            const auto body = http_get_body(port, "/", &status);
            if (status == 0) ++unanswered;
            if (status >= 500) ++errors;
            if (status == 200) {
              const std::lock_guard lock(mutex);
              ++bodies[body];
            }
          }
        }) {}
  ~BusyClient() { stop(); }

  void stop() {
    done = true;
    if (thread.joinable()) thread.join();
  }
  int answered(const std::string& body) {
    const std::lock_guard lock(mutex);
    return bodies[body];
  }
};

pipeline::TrafficCheck max_error_rate(double rate, int min_requests = 20) {
  pipeline::TrafficCheck check;
  check.max_error_rate = rate;
  check.min_requests = min_requests;
  return check;
}

}  // namespace

TEST_CASE("blue-green verify: a version that answers 500 to real requests goes back, figures in the reason",
          "[integration][deploy][nginx][feed]") {
  Stand stand;
  stand.feed_on(max_error_rate(0.01));
  REQUIRE(stand.deploy_version("v1").ok);
  REQUIRE(stand.serves("v1"));
  // Long enough that the probes (which pass: /health stays healthy) never end it on their own.
  stand.deploy.verify = util::Duration(60000);
  BusyClient client(stand.nginx->port());
  const auto broken = stand.deploy_version("v2", {{"APP_ERRORS", "20"}});
  const bool back = stand.serves("v1");
  const int v1_after = client.answered("v1\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  client.stop();
  INFO(stand.log());
  CHECK_FALSE(broken.ok);
  CHECK_THAT(broken.reason, Catch::Contains("slot green failed after the switch: verify: "));
  CHECK_THAT(broken.reason, Catch::Contains("% 5xx over "));
  CHECK_THAT(broken.reason, Catch::Contains(" requests on green since the switch (max 1%)"));
  CHECK_THAT(broken.reason, Catch::EndsWith("; traffic is back on slot blue"));
  CHECK(back);
  CHECK(stand.state().live == Slot::blue);
  CHECK_FALSE(stand.state().slots.at(Slot::green).running);
  // The users saw v2's 500s, then v1 again; no request went unanswered.
  CHECK(client.errors > 0);
  CHECK(client.answered("v2\n") > 0);
  CHECK(client.answered("v1\n") > v1_after);
  CHECK(client.unanswered == 0);
  // The release never counted as live: a rollback would not go to it.
  for (const auto& entry : stand.state().history) CHECK(entry.sha != "0123456789abv2");
}

TEST_CASE("blue-green verify: a healthy version with real traffic stays live, figures in the log",
          "[integration][deploy][nginx][feed]") {
  Stand stand;
  stand.feed_on(max_error_rate(0.01, 5));
  REQUIRE(stand.deploy_version("v1").ok);
  REQUIRE(stand.serves("v1"));
  stand.deploy.verify = util::Duration(2000);
  BusyClient client(stand.nginx->port());
  const auto healthy = stand.deploy_version("v2");
  client.stop();
  INFO(stand.log());
  CHECK(healthy.ok);
  CHECK(stand.state().live == Slot::green);
  CHECK(stand.serves("v2"));
  CHECK_THAT(stand.log(), Catch::Contains("and the 5xx of its real traffic (max 1% once it had 5 requests)"));
  CHECK_THAT(stand.log(), Catch::Contains("verify: 0.0% 5xx over "));
  CHECK_THAT(stand.log(), Catch::Contains(" requests on green since the switch (max 1%): passed"));
  CHECK(client.errors == 0);
  CHECK(client.unanswered == 0);
}

TEST_CASE("blue-green verify: only requests after the switch count, not the slot's older 5xx in the window",
          "[integration][deploy][nginx][feed]") {
  Stand stand;
  stand.feed_on(max_error_rate(1.0));  // anything passes: v2's 500s stay live for a while
  stand.deploy.verify = util::Duration(300);
  REQUIRE(stand.deploy_version("v1").ok);
  REQUIRE(stand.deploy_version("v2", {{"APP_ERRORS", "50"}}).ok);
  REQUIRE(stand.state().live == Slot::green);
  // Green's 500s, in the feed's window for the next minute.
  int status = 0;
  int errors = 0;
  for (int i = 0; i < 40; ++i) {
    http_get_body(stand.nginx->port(), "/", &status);
    errors += status == 500 ? 1 : 0;
  }
  REQUIRE(errors == 20);
  REQUIRE(stand.deploy_version("v3").ok);  // to blue
  stand.deploy.verify_traffic = max_error_rate(0.01, 5);
  stand.deploy.verify = util::Duration(2000);
  BusyClient client(stand.nginx->port());
  const auto v4 = stand.deploy_version("v4");  // to green again, healthy
  client.stop();
  INFO(stand.log());
  CHECK(v4.ok);
  CHECK(stand.state().live == Slot::green);
  CHECK(stand.feed->window("web", Slot::green, TrafficFeed::Clock::now()).errors >= 20);
  CHECK_THAT(stand.log(), Catch::Contains("verify: 0.0% 5xx over "));
}

TEST_CASE("blue-green verify: without the feed, the probes alone decide and the log says why once",
          "[integration][deploy][nginx][feed]") {
  Stand stand;
  stand.deploy.proxy.nginx->feed = true;  // nginx sends it, nobody hands it to the deploy
  stand.deploy.verify_traffic = max_error_rate(0.01, 1);
  stand.no_feed = "this run is not the agent's";
  REQUIRE(stand.deploy_version("v1").ok);
  stand.lines.clear();
  stand.deploy.verify = util::Duration(1000);
  BusyClient client(stand.nginx->port());
  const auto v2 = stand.deploy_version("v2", {{"APP_ERRORS", "50"}});
  client.stop();
  INFO(stand.log());
  CHECK(v2.ok);  // as before max_error_rate: the probes passed
  CHECK(stand.state().live == Slot::green);
  const std::string why =
      "verify: real traffic is not judged (max_error_rate 1%): this run is not the agent's; the probes alone "
      "decide";
  CHECK(std::count(stand.lines.begin(), stand.lines.end(), why) == 1);
  CHECK(client.unanswered == 0);
}
