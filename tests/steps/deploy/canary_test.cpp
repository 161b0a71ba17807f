// Canary deploys end to end with real parts: Debian's nginx in front (the flag mode's includes,
// weights by a symlink), the test app in both slots, the traffic feed received in this process as
// `turnout serve` receives it; and the analysis and includes on their own.
#include "steps/deploy/canary.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPCookie.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/StreamCopier.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <thread>

#include "steps/deploy/blue_green.h"
#include "steps/deploy/feed_endpoint.h"
#include "steps/deploy/nginx_flag.h"
#include "steps/deploy/slot_process.h"
#include "tests/support/http_get.h"
#include "tests/support/nginx.h"
#include "tests/support/temp_dir.h"
#include "tests/support/version_app.h"
#include "util/udp_receiver.h"

extern char** environ;

using namespace turnout;
using namespace turnout::steps::deploy;
using std::chrono::milliseconds;

namespace {

namespace fs = std::filesystem;

/// One answer of nginx, whatever its status.
struct Answer {
  int status = 0;          // 0: no answer
  std::string body;        // "v1\n", "broken v2\n"
  std::string set_cookie;  // the Set-Cookie header, "" when none
};

Answer get(int port, const std::string& cookie = "") {
  Answer answer;
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/", Poco::Net::HTTPMessage::HTTP_1_1);
    if (!cookie.empty()) request.set("Cookie", cookie);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& body = session.receiveResponse(response);
    Poco::StreamCopier::copyToString(body, answer.body);
    answer.status = static_cast<int>(response.getStatus());
    answer.set_cookie = response.get("Set-Cookie", "");
  } catch (const Poco::Exception&) {
    answer.status = 0;
  }
  return answer;
}

/// An app `web` deployable as a canary behind a real nginx, with the traffic feed counted here.
struct CanaryStand {
  test::TempDir dir;
  std::unique_ptr<test::NginxServer> nginx;
  pipeline::Deploy deploy;
  std::vector<std::string> lines;
  steps::CancelToken cancel;
  std::unique_ptr<TrafficFeed> feed;
  std::unique_ptr<util::UdpReceiver> receiver;

  explicit CanaryStand(pipeline::Sticky sticky = pipeline::Sticky::none) {
    dir.write("workspace/app.txt", "the app's files\n");
    deploy.app = "web";
    deploy.slots = {test::free_loopback_port(), test::free_loopback_port()};
    deploy.start = "exec \"$TEST_APP\"";
    deploy.health.path = "/health";
    deploy.health.interval = util::Duration(100);
    deploy.health.attempts = 100;
    deploy.verify = util::Duration(300);
    deploy.drain = util::Duration(100);
    nginx = std::make_unique<test::NginxServer>(
        [this](int port) { return test::flag_site(data() / "nginx" / "web", port); });
    pipeline::NginxProxy proxy;
    const std::string flags = " -p " + nginx->prefix().string() + " -c " + nginx->config_file().string();
    proxy.test = "nginx -t -q" + flags;
    proxy.reload = "nginx -s reload" + flags;
    proxy.feed = true;
    deploy.proxy.nginx = proxy;
    pipeline::Canary canary;
    canary.sticky = sticky;
    canary.steps = {{10, util::Duration(1500), {}}, {50, util::Duration(1500), {}}};
    canary.analysis.max_error_rate = 0.01;
    deploy.canary = canary;
    deploy.strategy = "canary";
  }

  ~CanaryStand() {
    auto state = load_app_state(app_dir(data().string(), "web"));
    if (!state) return;
    for (const auto& [name, slot] : state.value().slots) {
      if (slot.process) (void)stop_slot(SlotLaunch{}, slot.process, util::Duration(2000));
    }
  }

  fs::path data() const { return dir / "data"; }

  /// Receives the feed as `turnout serve` does.
  void listen() {
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
    return {data().string(), env, FeedAccess{feed.get(), ""}};
  }

  DeployOutcome deploy_version(const std::string& version,
                               const std::map<std::string, std::string>& extra = {}) {
    static int run = 0;
    const DeployInput input{(dir / "workspace").string(), ".turnout.yml", std::to_string(++run),
                            "0123456789ab" + version};
    return deploy_blue_green(deploy, site(version, extra), input, cancel,
                             [this](const std::string& line) { lines.push_back(line); });
  }

  std::unique_ptr<ProxySwitch> proxy() const {
    ProxyEnv env;
    for (char** entry = environ; *entry != nullptr; ++entry) env.env.emplace_back(*entry);
    env.cwd = dir.path().string();
    env.data_dir = data().string();
    return make_proxy_switch(deploy, env);
  }

  AppState state() const { return load_app_state(app_dir(data().string(), "web")).value(); }

  std::string log() const {
    std::string text;
    for (const auto& line : lines) text += line + "\n";
    return text;
  }
};

/// A client asking nginx for `/` over and over on its own thread, counting each answer.
class Client {
 public:
  explicit Client(int port)
      : thread_([this, port] {
          while (!stop_) {
            const auto answer = get(port);
            std::lock_guard lock(mutex_);
            ++answers_[std::to_string(answer.status) + " " + answer.body];
          }
        }) {}
  ~Client() { finish(); }

  /// Stops asking; what it got: "200 v1\n" -> count.
  std::map<std::string, int> finish() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mutex_);
    return answers_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::map<std::string, int> answers_;
  std::thread thread_;
};

std::string describe(const std::map<std::string, int>& answers) {
  std::string text;
  for (const auto& [answer, count] : answers) text += std::to_string(count) + " x " + answer;
  return text;
}

}  // namespace

TEST_CASE(
    "canary: a version answering 500 to 20% is sent back at 10% with the figures, the client keeps "
    "200s from the old one",
    "[integration][deploy][nginx][canary]") {
  CanaryStand stand;
  stand.listen();
  stand.deploy.canary->analysis.min_requests = 5;
  REQUIRE(stand.deploy_version("v1").ok);  // the first: nothing to compare with, all traffic at once
  Client client(stand.nginx->port());
  const auto outcome = stand.deploy_version("v2", {{"APP_ERRORS", "20"}});
  const auto answers = client.finish();
  INFO(stand.log() << describe(answers));
  CHECK_FALSE(outcome.ok);
  CHECK(outcome.live == Slot::blue);
  CHECK_THAT(outcome.reason,
             Catch::Matches("canary at 10%: \\d+\\.\\d% 5xx over \\d+ requests vs 0\\.0% on blue "
                            "\\(max 1\\.0%\\); the canary's share is taken away, slot blue has all "
                            "the traffic"));
  CHECK_THAT(stand.log(), Catch::Contains("canary: slot green at 10% for 1.5s (step 1 of 2, then 100%)"));
  CHECK_THAT(stand.log(), !Catch::Contains("at 50%"));
  // The old version answered every request it got; the canary got some, a fifth of them 500.
  int old_ok = 0;
  for (const auto& [answer, count] : answers) {
    if (answer.find("v1") != std::string::npos) CHECK(answer == "200 v1\n");
    if (answer == "200 v1\n") old_ok = count;
  }
  CHECK(old_ok > 0);
  CHECK(answers.count("500 broken v2\n") == 1);
  // Afterwards: all of it on the old version, the canary stopped, the journal closed, no split left.
  for (int i = 0; i < 50; ++i) REQUIRE(get(stand.nginx->port()).body == "v1\n");
  const auto state = stand.state();
  CHECK_FALSE(state.journal);
  CHECK(state.live == Slot::blue);
  CHECK_FALSE(state.slots.at(Slot::green).running);
  CHECK_FALSE(stand.proxy()->weight());
}

TEST_CASE("canary: with analysis.window a breach is seen during a long hold, not only at its end",
          "[integration][deploy][nginx][canary]") {
  CanaryStand stand;
  stand.listen();
  stand.deploy.canary->steps = {{10, util::Duration(60000), {}}};  // longer than the test
  stand.deploy.canary->analysis.window = util::Duration(1000);
  stand.deploy.canary->analysis.min_requests = 5;
  REQUIRE(stand.deploy_version("v1").ok);
  Client client(stand.nginx->port());
  const auto outcome = stand.deploy_version("v2", {{"APP_ERRORS", "20"}});
  const auto answers = client.finish();
  INFO(stand.log() << describe(answers));
  CHECK_FALSE(outcome.ok);
  CHECK(outcome.live == Slot::blue);
  CHECK_THAT(outcome.reason,
             Catch::Matches("canary at 10%: \\d+\\.\\d% 5xx over \\d+ requests vs 0\\.0% on blue "
                            "\\(max 1\\.0%\\); the canary's share is taken away, .*"));
  // Said by the reading during the hold; the end of the hold says nothing of the kind.
  CHECK_THAT(stand.log(), Catch::Contains("canary at 10%: breach seen "));
  CHECK_THAT(stand.log(), Catch::Contains(" into the hold of 1m00s, over the last 1.0s"));
  for (int i = 0; i < 20; ++i) REQUIRE(get(stand.nginx->port()).body == "v1\n");
}

TEST_CASE("canary: a healthy canary goes through every step to 100%, the old slot kept",
          "[integration][deploy][nginx][canary]") {
  CanaryStand stand;
  stand.listen();
  REQUIRE(stand.deploy_version("v1").ok);
  Client client(stand.nginx->port());
  const auto outcome = stand.deploy_version("v2");
  const auto answers = client.finish();
  INFO(stand.log() << describe(answers));
  REQUIRE(outcome.ok);
  CHECK(outcome.live == Slot::green);
  CHECK_THAT(stand.log(),
             Catch::Contains("canary at 10% passed over the last 1.5s: slot green 0.0% 5xx over"));
  CHECK_THAT(stand.log(),
             Catch::Contains("canary at 50% passed over the last 1.5s: slot green 0.0% 5xx over"));
  CHECK_THAT(stand.log(), Catch::Contains("deploy done: slot green is live, slot blue kept for rollback"));
  // Every request was answered 200, by one version or the other, both of them seen.
  for (const auto& [answer, count] : answers) CHECK((answer == "200 v1\n" || answer == "200 v2\n"));
  CHECK(answers.count("200 v2\n") == 1);
  for (int i = 0; i < 20; ++i) REQUIRE(get(stand.nginx->port()).body == "v2\n");
  const auto state = stand.state();
  CHECK_FALSE(state.journal);
  CHECK(state.slots.at(Slot::blue).running);  // kept, as blue-green keeps it
  CHECK_FALSE(stand.proxy()->weight());
}

namespace {

/// Both slots of `stand` running the test app (v1 blue, v2 green), nginx pointed at blue.
struct TwoVersions {
  std::unique_ptr<test::VersionApp> blue;
  std::unique_ptr<test::VersionApp> green;
  std::unique_ptr<ProxySwitch> proxy;

  TwoVersions(CanaryStand& stand, const test::TempDir& logs) {
    blue = std::make_unique<test::VersionApp>(logs / "blue.log",
                                              std::map<std::string, std::string>{{"APP_VERSION", "v1"}});
    green = std::make_unique<test::VersionApp>(logs / "green.log",
                                               std::map<std::string, std::string>{{"APP_VERSION", "v2"}});
    stand.deploy.slots = {blue->port(), green->port()};
    proxy = stand.proxy();
    const auto switched = proxy->switch_to(blue->port(), Slot::blue);
    INFO((switched ? "" : switched.error().message));
    REQUIRE(switched.ok());
  }
};

// nginx's check server's answer for app web ("blue GENERATION WORKER-PID").
std::string check_answer(const CanaryStand& stand) {
  std::ifstream in(stand.data() / "nginx" / "web" / "http.conf");
  const std::string http((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto port = check_port_of(http);
  REQUIRE(port);
  return test::http_get_body(*port, "/turnout/web");
}

}  // namespace

TEST_CASE("canary: over 2,000 requests the share at each weight is within 5 points of it, without a reload",
          "[integration][deploy][nginx][canary][slow]") {
  CanaryStand stand;
  test::TempDir logs;
  TwoVersions slots(stand, logs);
  const std::string before = check_answer(stand);
  for (const int weight : {10, 50, 90}) {
    DYNAMIC_SECTION("at " << weight << "%") {
      const auto set = slots.proxy->set_weight(Slot::green, weight);
      INFO((set ? "" : set.error().message));
      REQUIRE(set.ok());
      CHECK(slots.proxy->weight() == TrafficWeight{Slot::green, weight});
      int green = 0;
      constexpr int kRequests = 2000;
      for (int i = 0; i < kRequests; ++i) {
        const auto answer = get(stand.nginx->port());
        REQUIRE(answer.status == 200);
        green += answer.body == "v2\n" ? 1 : 0;
      }
      const double share = 100.0 * green / kRequests;
      INFO("green got " << share << "% at weight " << weight << "%");
      CHECK(share >= weight - 5);
      CHECK(share <= weight + 5);
      // The same workers answer: a weight is a file operation, never a reload.
      CHECK(check_answer(stand) == before);
    }
  }
  const auto none = slots.proxy->set_weight(Slot::green, 0);
  REQUIRE(none.ok());
  CHECK_FALSE(slots.proxy->weight());
  for (int i = 0; i < 50; ++i) REQUIRE(get(stand.nginx->port()).body == "v1\n");
}

TEST_CASE("canary: with sticky cookie a client keeps its version, moving only once, to the canary",
          "[integration][deploy][nginx][canary]") {
  CanaryStand stand(pipeline::Sticky::cookie);
  test::TempDir logs;
  TwoVersions slots(stand, logs);
  const std::string cookie_name = canary_cookie("web");
  // 40 clients: each gets its cookie on a first visit, and sends it from then on.
  std::vector<std::string> cookies;
  for (int i = 0; i < 40; ++i) {
    const auto first = get(stand.nginx->port());
    REQUIRE(first.body == "v1\n");  // no split yet
    REQUIRE_THAT(first.set_cookie, Catch::StartsWith(cookie_name + "="));
    cookies.push_back(first.set_cookie.substr(0, first.set_cookie.find(';')));
    CHECK(get(stand.nginx->port(), cookies.back()).set_cookie.empty());  // set once, not again
  }
  std::vector<std::string> version(cookies.size(), "v1\n");
  int moved = 0;
  for (const int weight : {10, 30, 60, 90}) {
    REQUIRE(slots.proxy->set_weight(Slot::green, weight).ok());
    for (std::size_t client = 0; client < cookies.size(); ++client) {
      const std::string now = get(stand.nginx->port(), cookies[client]).body;
      // Within a weight a client's every request goes to one version.
      for (int again = 0; again < 5; ++again) CHECK(get(stand.nginx->port(), cookies[client]).body == now);
      // Across weights it may move to the canary, never back.
      if (version[client] == "v2\n") CHECK(now == "v2\n");
      if (version[client] != now) ++moved;
      version[client] = now;
    }
  }
  CHECK(moved > 0);  // at 90% of the traffic, clients did move to the canary
}

TEST_CASE("canary: without the traffic feed the canary is judged by its probes, with a warning",
          "[integration][deploy][nginx][canary]") {
  CanaryStand stand;  // no listen(): nothing receives the feed's datagrams, as with the agent down
  REQUIRE(stand.deploy_version("v1").ok);
  Client client(stand.nginx->port());
  const auto outcome = stand.deploy_version("v2");
  const auto answers = client.finish();
  INFO(stand.log() << describe(answers));
  REQUIRE(outcome.ok);
  CHECK_THAT(stand.log(),
             Catch::Contains(
                 "warning: the canary is judged by its probes only: no traffic feed reaches this deploy"));
  CHECK_THAT(stand.log(), Catch::Contains("canary at 10%: the probes passed throughout the hold"));
  // nginx never waited on the feed: every request was answered.
  for (const auto& [answer, count] : answers) CHECK((answer == "200 v1\n" || answer == "200 v2\n"));
}

TEST_CASE("canary: a canary that dies during a hold is sent back, the old slot keeping the traffic",
          "[integration][deploy][nginx][canary]") {
  CanaryStand stand;
  stand.listen();
  stand.deploy.canary->steps = {{10, util::Duration(6000), {}}};
  REQUIRE(stand.deploy_version("v1").ok);
  const auto outcome = stand.deploy_version("v2", {{"APP_DIE_AFTER", "3"}});
  INFO(stand.log());
  CHECK_FALSE(outcome.ok);
  CHECK_THAT(outcome.reason, Catch::StartsWith("canary at 10%: slot green died (its process is gone)"));
  CHECK(outcome.live == Slot::blue);
  for (int i = 0; i < 20; ++i) REQUIRE(get(stand.nginx->port()).body == "v1\n");
}

TEST_CASE("canary: the analysis names the figures of the breach", "[unit][deploy][canary]") {
  const auto traffic = [](std::uint64_t requests, std::uint64_t errors, double seconds) {
    Traffic t;
    t.requests = requests;
    t.errors = errors;
    for (std::uint64_t i = 0; i < requests; ++i) t.latency.add(seconds);
    return t;
  };
  pipeline::CanaryAnalysis analysis;
  analysis.max_error_rate = 0.01;
  analysis.min_requests = 100;
  analysis.max_latency_ratio = 1.5;
  CHECK(judge_canary(analysis, 10, Slot::green, traffic(312, 13, 0.01), Slot::blue, traffic(2800, 0, 0.01)) ==
        "canary at 10%: 4.2% 5xx over 312 requests vs 0.0% on blue (max 1.0%)");
  CHECK(
      judge_canary(analysis, 10, Slot::green, traffic(40, 0, 0.01), Slot::blue, traffic(400, 0, 0.01)) ==
      "canary at 10%: only 40 requests reached slot green (min_requests 100; 400 requests on blue): too few "
      "to judge it");
  const auto slow =
      judge_canary(analysis, 50, Slot::blue, traffic(200, 0, 0.4), Slot::green, traffic(200, 0, 0.1));
  REQUIRE(slow);
  CHECK_THAT(*slow, Catch::StartsWith("canary at 50%: p95 latency "));
  CHECK_THAT(*slow, Catch::EndsWith("times (max 1.5)"));
  CHECK_FALSE(
      judge_canary(analysis, 10, Slot::green, traffic(200, 1, 0.01), Slot::blue, traffic(200, 0, 0.01)));
  // Without live traffic there is no ratio to judge by.
  CHECK_FALSE(judge_canary(analysis, 100, Slot::green, traffic(200, 0, 0.5), Slot::blue, Traffic{}));
  // Two readings of running totals give what came between them.
  Traffic later = traffic(10, 2, 0.01);
  later -= traffic(4, 1, 0.01);
  CHECK(later.requests == 6);
  CHECK(later.errors == 1);
  CHECK(later.latency.count() == 6);
}

TEST_CASE("canary: the includes split by the sticky key into 100 buckets, tested per slot",
          "[unit][deploy][canary]") {
  FlagLayout layout;
  layout.app = "my-app.v2";
  layout.dir = "/data/nginx/my-app.v2";
  layout.blue = 8001;
  layout.green = 8002;
  layout.check_port = 9000;
  CHECK(flag_http_include(layout).find("split_clients") == std::string::npos);  // blue-green: no split
  layout.canary = pipeline::Sticky::cookie;
  const std::string name = nginx_name("my-app.v2");
  CHECK(name == "my_dapp_pv2");
  CHECK(nginx_name("my_app") != nginx_name("my-app"));
  const auto http = flag_http_include(layout);
  CHECK_THAT(http, Catch::Contains("map $cookie_turnout_" + name + " $turnout_" + name + "_key {"));
  CHECK_THAT(http,
             Catch::Contains("split_clients \"$turnout_" + name + "_key\" $turnout_" + name + "_bucket {"));
  CHECK_THAT(http, Catch::Contains("    1% 98;\n    * 99;\n}"));
  CHECK_THAT(http, Catch::Contains("\"turnout_" + name + "=$request_id; Path=/; HttpOnly; SameSite=Lax\""));
  CHECK_THAT(http, Catch::Contains("location = /turnout/my-app.v2/weight {\n        alias "
                                   "/data/nginx/my-app.v2/weights/current/weight;"));
  const auto location = flag_location_include(layout);
  CHECK_THAT(location, Catch::Contains("if (-f \"/data/nginx/my-app.v2/weights/current/green/$turnout_" +
                                       name + "_bucket\") { set $turnout_slot green; }"));
  CHECK_THAT(location, Catch::Contains("add_header Set-Cookie $turnout_" + name + "_cookie always;"));
  layout.canary = pipeline::Sticky::ip;
  CHECK_THAT(flag_http_include(layout), Catch::Contains("split_clients \"$remote_addr\""));
  CHECK(flag_location_include(layout).find("add_header") == std::string::npos);
  layout.canary = pipeline::Sticky::none;
  CHECK_THAT(flag_http_include(layout), Catch::Contains("split_clients \"$request_id\""));
}

namespace {

// Waits (up to 30 s) until the deploy of `stand` holds its canary's first step.
bool holding_first_step(const CanaryStand& stand) {
  for (int i = 0; i < 1500; ++i) {
    const auto state = load_app_state(app_dir(stand.data().string(), "web"));
    if (state && state.value().journal && state.value().journal->phase == Phase::canary &&
        state.value().journal->canary_step == 1)
      return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return false;
}

}  // namespace

TEST_CASE("canary: an order to promote skips the remaining steps, one to abort sends the canary back",
          "[integration][deploy][nginx][canary]") {
  CanaryStand stand;
  stand.listen();
  // Holds far longer than the test: only an order ends them.
  stand.deploy.canary->steps = {{10, util::Duration(60000), {}}, {50, util::Duration(60000), {}}};
  REQUIRE(stand.deploy_version("v1").ok);
  const std::string dir = app_dir(stand.data().string(), "web");
  // Without a canary in progress there is nobody to take an order.
  const auto early = give_canary_order(dir, CanaryOrder::promote, util::Duration(500));
  REQUIRE_FALSE(early.ok());
  CHECK(early.error().message == "no canary in progress for app web (no deploy in progress)");

  const bool promote = GENERATE(true, false);
  const auto order = promote ? CanaryOrder::promote : CanaryOrder::abort;
  util::Status given = util::fail("not given");
  std::thread giver([&] {
    if (holding_first_step(stand)) given = give_canary_order(dir, order);
  });
  const auto outcome = stand.deploy_version("v2");
  giver.join();
  INFO(stand.log() << (given ? "" : given.error().message));
  CHECK(given.ok());
  CHECK_THAT(stand.log(), !Catch::Contains("at 50%"));  // the order ended the first hold
  if (promote) {
    CHECK(outcome.ok);
    CHECK(outcome.live == Slot::green);
    CHECK_THAT(stand.log(), Catch::Contains("canary at 10%: promoted by hand (turnout deploy promote): the "
                                            "rest of the steps skipped, 100% now"));
    for (int i = 0; i < 20; ++i) REQUIRE(get(stand.nginx->port()).body == "v2\n");
  } else {
    CHECK_FALSE(outcome.ok);
    CHECK(outcome.live == Slot::blue);
    CHECK(
        outcome.reason ==
        "canary at 10%: aborted by hand (turnout deploy abort); the canary's share is taken away, slot blue "
        "has all the traffic");
    for (int i = 0; i < 20; ++i) REQUIRE(get(stand.nginx->port()).body == "v1\n");
  }
  CHECK_FALSE(stand.state().journal);
  CHECK_FALSE(stand.proxy()->weight());
  CHECK_FALSE(fs::exists(fs::path(dir) / "canary.order"));
}
