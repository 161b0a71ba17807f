#include "steps/deploy/traffic_feed.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "steps/deploy/feed_endpoint.h"
#include "steps/deploy/nginx_flag.h"
#include "tests/support/background_process.h"
#include "tests/support/datagram.h"
#include "tests/support/fake_github.h"
#include "tests/support/http_get.h"
#include "tests/support/nginx.h"
#include "tests/support/temp_dir.h"
#include "util/udp_receiver.h"

extern char** environ;

namespace turnout::steps::deploy {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

const std::string kKey = "0123456789abcdef0123456789abcdef";
const util::DatagramInfo kLocal{true, false, 0};

std::string line(const std::string& app, const std::string& slot, int status, const std::string& seconds,
                 const std::string& key = kKey) {
  return "<190>Dec  7 06:09:35 turnout: turnout1 " + key + " " + app + " " + slot + " 127.0.0.1:4000 " +
         std::to_string(status) + " " + seconds;
}

Clock::time_point at(long ms) { return Clock::time_point(milliseconds(5'000'000 + ms)); }

}  // namespace

TEST_CASE("traffic feed: requests, 5xx and latency per app and slot, over the window", "[unit][deploy]") {
  TrafficFeed feed({kKey, milliseconds(60'000), milliseconds(1'000), 256});
  CHECK(feed.take(line("web", "blue", 200, "0.010"), kLocal, at(0)) == FeedVerdict::accepted);
  CHECK(feed.take(line("web", "blue", 503, "0.020"), kLocal, at(500)) == FeedVerdict::accepted);
  CHECK(feed.take(line("web", "green", 200, "-"), kLocal, at(30'000)) == FeedVerdict::accepted);
  CHECK(feed.take(line("shop", "blue", 404, "0.001"), kLocal, at(30'000)) == FeedVerdict::accepted);

  const auto blue = feed.window("web", Slot::blue, at(30'000));
  CHECK(blue.requests == 2);
  CHECK(blue.errors == 1);
  CHECK(blue.error_rate() == Approx(0.5));
  CHECK(blue.latency.count() == 2);
  CHECK(*blue.latency.quantile(0.5) == Approx(0.01));
  const auto green = feed.window("web", Slot::green, at(30'000));
  CHECK(green.requests == 1);
  CHECK(green.latency.count() == 0);                               // no upstream time: not a latency
  CHECK(feed.window("shop", Slot::blue, at(30'000)).errors == 0);  // a 4xx is not an error
  CHECK(feed.window("nothing", Slot::blue, at(0)).requests == 0);
  // series(): the same minute in 10 s stretches, oldest first (the app page's last minute).
  const auto blue_series = feed.series("web", Slot::blue, at(59'999), 6);
  REQUIRE(blue_series.size() == 6);
  CHECK(blue_series[0].requests == 2);
  CHECK(blue_series[0].errors == 1);
  CHECK(blue_series[5].requests == 0);
  const auto green_series = feed.series("web", Slot::green, at(59'999), 6);
  CHECK(green_series[3].requests == 1);  // at 30 s
  CHECK(feed.series("nothing", Slot::blue, at(0), 6).size() == 6);

  // A minute on, blue's requests have left the window; the totals keep them.
  CHECK(feed.window("web", Slot::blue, at(60'999)).requests == 0);
  const auto all = feed.figures(at(61'000));
  REQUIRE(all.size() == 3);
  CHECK(all[0].app == "shop");
  CHECK(all[1].app == "web");
  CHECK(all[1].slot == Slot::blue);
  CHECK(all[1].window.requests == 0);
  CHECK(all[1].total.requests == 2);
  CHECK(all[1].total.errors == 1);
  CHECK(all[2].window.requests == 1);  // green's, 31 s old
  CHECK(feed.counts().accepted == 4);
  // total(): one slot's, for verify's reading at the switch.
  CHECK(feed.total("web", Slot::blue).requests == 2);
  CHECK(feed.total("web", Slot::blue).errors == 1);
  CHECK(feed.total("shop", Slot::green).requests == 0);
  CHECK(feed.total("nothing", Slot::blue).requests == 0);
}

TEST_CASE("traffic feed: bad datagrams are counted and change no figure", "[unit][deploy]") {
  TrafficFeed feed({kKey, milliseconds(60'000), milliseconds(1'000), 1});
  CHECK(feed.take("garbage", kLocal, at(0)) == FeedVerdict::malformed);
  CHECK(feed.take(line("web", "blue", 500, "0.001", std::string(32, 'f')), kLocal, at(0)) ==
        FeedVerdict::forged);
  // The right key from elsewhere than 127.0.0.1 (127.0.0.2 is loopback too) is not nginx's.
  CHECK(feed.take(line("web", "blue", 500, "0.001"), {false, false, 0}, at(0)) == FeedVerdict::forged);
  // Cut short by the receiver: not trusted, whatever its beginning says.
  CHECK(feed.take(line("web", "blue", 500, "0.001"), {true, true, 0}, at(0)) == FeedVerdict::malformed);
  CHECK(feed.figures(at(0)).empty());
  // One app at most: a second one is dropped and counted; the kernel's drop count is kept.
  CHECK(feed.take(line("web", "blue", 200, "0.001"), {true, false, 7}, at(0)) == FeedVerdict::accepted);
  CHECK(feed.take(line("shop", "blue", 200, "0.001"), kLocal, at(0)) == FeedVerdict::accepted);
  const auto counts = feed.counts();
  CHECK(counts.accepted == 1);
  CHECK(counts.malformed == 2);
  CHECK(counts.forged == 2);
  CHECK(counts.too_many_apps == 1);
  CHECK(counts.dropped == 7);
  CHECK(feed.figures(at(0)).size() == 1);
}

TEST_CASE("feed endpoint: made once under the data folder, then kept", "[unit][deploy]") {
  test::TempDir data;
  const auto first = feed_endpoint(data.path().string());
  REQUIRE(first.ok());
  CHECK(first.value().port > 0);
  CHECK(first.value().key.size() == 32);
  CHECK((fs::status(feed_endpoint_file(data.path().string())).permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));
  const auto again = feed_endpoint(data.path().string());
  REQUIRE(again.ok());
  CHECK(again.value() == first.value());
  data.write("nginx/feed.endpoint", "not an endpoint\n");
  const auto damaged = feed_endpoint(data.path().string());
  REQUIRE_FALSE(damaged.ok());
  CHECK_THAT(damaged.error().message, Catch::Contains("feed.endpoint is not `PORT KEY`"));
}

namespace {

/// Two backend slots, a front nginx with the flag mode's includes (feed on), and the feed's
/// receiver in this process counting into `feed`, as `turnout serve` does.
struct FedFront {
  test::TempDir files;
  std::string data = (files / "data").string();
  FeedEndpoint endpoint = feed_endpoint(data).value();
  TrafficFeed feed{{endpoint.key, milliseconds(60'000), milliseconds(1'000), 256}};
  std::unique_ptr<util::UdpReceiver> receiver;
  // blue: nginx, fast; green: a server that takes 40 ms over each answer. /fail answers 500.
  test::NginxServer blue{[](int port) {
    return "server { listen 127.0.0.1:" + std::to_string(port) +
           "; location / { return 200 'blue\n'; } location /fail { return 500; } }";
  }};
  int green_port = test::free_loopback_port();
  test::StandInServer green{green_port, std::nullopt,
                            [](test::GithubRequest request, test::ScriptedAnswer& answer) {
                              std::this_thread::sleep_for(milliseconds(40));
                              answer.status = request.path == "/fail" ? 500 : 200;
                              answer.body = "green\n";
                              return request;
                            }};
  fs::path includes = files / "data" / "nginx" / "web";
  test::NginxServer nginx{[this](int port) { return test::flag_site(includes, port); }};
  pipeline::Deploy deploy;

  FedFront() {
    green.start();
    deploy.app = "web";
    deploy.slots = {blue.port(), green_port};
    pipeline::NginxProxy proxy;
    const std::string flags = " -p " + nginx.prefix().string() + " -c " + nginx.config_file().string();
    proxy.test = "/usr/sbin/nginx -t -q" + flags;
    proxy.reload = "/usr/sbin/nginx -s reload" + flags;
    proxy.feed = true;
    deploy.proxy.nginx = proxy;
    listen();
  }

  void listen() {
    auto started = util::UdpReceiver::start({endpoint.port}, [this](auto datagram, const auto& info) {
      feed.take(datagram, info, Clock::now());
    });
    REQUIRE(started.ok());
    receiver = std::move(started.value());
  }

  std::unique_ptr<ProxySwitch> proxy() const {
    ProxyEnv env;
    for (char** entry = environ; *entry != nullptr; ++entry) env.env.emplace_back(*entry);
    env.cwd = files.path().string();
    env.data_dir = data;
    return make_proxy_switch(deploy, env);
  }

  /// `count` requests of `path` through nginx; how many were answered `status`.
  int requests(int count, const std::string& path, int status) const {
    int answered = 0;
    for (int i = 0; i < count; ++i) {
      int got = 0;
      test::http_get_body(nginx.port(), path, &got);
      answered += got == status ? 1 : 0;
    }
    return answered;
  }

  /// Waits (up to 10 s) until the feed has taken `count` datagrams in all.
  bool taken(std::uint64_t count) const {
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    for (;;) {
      const auto counts = feed.counts();
      if (counts.accepted + counts.malformed + counts.forged >= count) return true;
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(milliseconds(5));
    }
  }
};

}  // namespace

TEST_CASE("traffic feed: real nginx reports every request of each slot, 5xx and latency included",
          "[integration][deploy][nginx]") {
  FedFront front;
  const auto proxy = front.proxy();
  const auto to_blue = proxy->switch_to(front.blue.port(), Slot::blue);
  INFO(front.nginx.error_log());
  REQUIRE(to_blue.ok());
  CHECK(front.requests(40, "/", 200) == 40);
  CHECK(front.requests(10, "/fail", 500) == 10);
  REQUIRE(proxy->switch_to(front.green_port, Slot::green).ok());
  CHECK(front.requests(20, "/", 200) == 20);
  CHECK(front.requests(5, "/fail", 500) == 5);
  REQUIRE(front.taken(75));

  const auto now = Clock::now();
  const auto blue = front.feed.window("web", Slot::blue, now);
  const auto green = front.feed.window("web", Slot::green, now);
  CHECK(blue.requests == 50);
  CHECK(blue.errors == 10);
  CHECK(blue.latency.count() == 50);
  CHECK(green.requests == 25);
  CHECK(green.errors == 5);
  CHECK(green.latency.count() == 25);
  // green takes 40 ms over each answer: its median is at least that bucket's lower bound.
  CHECK(*green.latency.quantile(0.5) >= 0.03);
  CHECK(*blue.latency.quantile(0.5) < *green.latency.quantile(0.5));
  CHECK(front.feed.counts().malformed == 0);
  CHECK(front.feed.counts().forged == 0);
  CHECK(front.feed.counts().dropped == 0);
}

TEST_CASE("traffic feed: a forged or malformed datagram to the port is counted and dropped",
          "[integration][deploy][nginx]") {
  FedFront front;
  const auto proxy = front.proxy();
  REQUIRE(proxy->switch_to(front.blue.port(), Slot::blue).ok());
  CHECK(front.requests(3, "/", 200) == 3);
  REQUIRE(front.taken(3));
  // Someone else on the machine: the line of a 500 without the key, and a stray syslog line.
  const std::string forged =
      "<190>Dec  7 06:09:35 turnout: turnout1 ffffffffffffffffffffffffffffffff web blue "
      "127.0.0.1:" +
      std::to_string(front.blue.port()) + " 500 0.001";
  REQUIRE(test::send_datagram(front.endpoint.port, forged));
  REQUIRE(test::send_datagram(front.endpoint.port, "<13>Dec  7 06:09:35 cron: hello"));
  REQUIRE(front.taken(5));
  const auto blue = front.feed.window("web", Slot::blue, Clock::now());
  CHECK(blue.requests == 3);
  CHECK(blue.errors == 0);
  CHECK(front.feed.counts().forged == 1);
  CHECK(front.feed.counts().malformed == 1);
}

TEST_CASE("traffic feed: with the receiver down nginx still answers every request",
          "[integration][deploy][nginx]") {
  FedFront front;
  const auto proxy = front.proxy();
  REQUIRE(proxy->switch_to(front.blue.port(), Slot::blue).ok());
  front.receiver.reset();  // the agent stopped: the port is closed, nginx's datagrams are refused
  CHECK(front.requests(200, "/", 200) == 200);
  CHECK(front.requests(20, "/fail", 500) == 20);
  // Back up: counting resumes with the next request.
  front.listen();
  CHECK(front.requests(5, "/", 200) == 5);
  REQUIRE(front.taken(5));
  CHECK(front.feed.window("web", Slot::blue, Clock::now()).requests == 5);
}

TEST_CASE("nginx flag: turning the feed on or off rewrites the includes and reloads once",
          "[integration][deploy][nginx]") {
  FedFront front;
  front.deploy.proxy.nginx->feed = false;
  REQUIRE(front.proxy()->switch_to(front.blue.port(), Slot::blue).ok());
  CHECK_THAT(test::read_file(front.includes / "http.conf"), !Catch::Contains("log_format"));
  CHECK_THAT(test::read_file(front.includes / "location.conf"), !Catch::Contains("access_log"));
  CHECK(front.requests(2, "/", 200) == 2);
  const auto reloads = [&] {
    const std::string log = front.nginx.error_log();
    int count = 0;
    for (auto at = log.find("signal 1 (SIGHUP)"); at != std::string::npos;
         at = log.find("signal 1 (SIGHUP)", at + 1))
      ++count;
    return count;
  };
  const int before = reloads();
  front.deploy.proxy.nginx->feed = true;
  REQUIRE(front.proxy()->switch_to(front.green_port, Slot::green).ok());
  CHECK(reloads() == before + 1);
  CHECK_THAT(test::read_file(front.includes / "http.conf"),
             Catch::Contains(feed_log_format("web", front.endpoint.key)));
  CHECK_THAT(test::read_file(front.includes / "location.conf"),
             Catch::Contains(feed_access_log("web", front.endpoint.port)));
  REQUIRE(front.proxy()->switch_to(front.blue.port(), Slot::blue).ok());
  CHECK(reloads() == before + 1);
  CHECK(front.requests(4, "/", 200) == 4);
  REQUIRE(front.taken(4));  // before the feed was on, nothing was sent
  CHECK(front.feed.window("web", Slot::blue, Clock::now()).requests == 4);
  front.deploy.proxy.nginx->feed = false;
  REQUIRE(front.proxy()->switch_to(front.blue.port(), Slot::blue).ok());
  CHECK(reloads() == before + 2);
  CHECK_THAT(test::read_file(front.includes / "location.conf"), !Catch::Contains("access_log"));
}

}  // namespace turnout::steps::deploy
