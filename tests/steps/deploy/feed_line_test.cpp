#include "steps/deploy/feed_line.h"

#include <catch2/catch.hpp>

#include <string>

#include "steps/deploy/feed_endpoint.h"

namespace turnout::steps::deploy {
namespace {

const std::string kKey = "0123456789abcdef0123456789abcdef";
/// A line as nginx 1.22 sends it for the generated include (captured from a real one).
const std::string kLine =
    "<190>Dec  7 06:09:35 turnout: turnout1 " + kKey + " web blue 127.0.0.1:47311 200 0.002";

FeedVerdict verdict_of(const std::string& datagram) { return parse_feed_line(datagram, kKey).verdict; }

}  // namespace

TEST_CASE("feed line: nginx's line is parsed whole", "[unit][deploy]") {
  const auto parsed = parse_feed_line(kLine, kKey);
  REQUIRE(parsed.verdict == FeedVerdict::accepted);
  CHECK(parsed.line.app == "web");
  CHECK(parsed.line.slot == Slot::blue);
  CHECK(parsed.line.port == 47311);
  CHECK(parsed.line.status == 200);
  CHECK(*parsed.line.upstream_seconds == Approx(0.002));
  // No upstream reached: `-` for both.
  // The app's name points into the datagram: it must outlive the parsed line.
  const std::string unanswered =
      "<190>Dec 17 23:59:59 turnout: turnout1 " + kKey + " my-app.v2 green - 502 -";
  const auto none = parse_feed_line(unanswered, kKey);
  REQUIRE(none.verdict == FeedVerdict::accepted);
  CHECK(none.line.app == "my-app.v2");
  CHECK(none.line.slot == Slot::green);
  CHECK(none.line.port == 0);
  CHECK(none.line.status == 502);
  CHECK_FALSE(none.line.upstream_seconds);
  const auto slow = parse_feed_line(
      "<190>Dec  7 06:09:35 turnout: turnout1 " + kKey + " web blue 127.0.0.1:1 504 60.001", kKey);
  REQUIRE(slow.verdict == FeedVerdict::accepted);
  CHECK(*slow.line.upstream_seconds == Approx(60.001));
}

TEST_CASE("feed line: anything but the include's format is malformed", "[unit][deploy]") {
  const std::string head = "<190>Dec  7 06:09:35 turnout: turnout1 " + kKey + " ";
  for (const auto& bad : {
           std::string(""),
           std::string("garbage"),
           "<191>Dec  7 06:09:35 turnout: turnout1 " + kKey + " web blue 127.0.0.1:1 200 0.002",  // severity
           "<190>dec  7 06:09:35 turnout: turnout1 " + kKey + " web blue 127.0.0.1:1 200 0.002",  // time
           "<190>Dec  7 06:09:35 host turnout: turnout1 " + kKey + " web blue 127.0.0.1:1 200 0.002",
           "<190>Dec  7 06:09:35 nginx: turnout1 " + kKey + " web blue 127.0.0.1:1 200 0.002",  // tag
           "<190>Dec  7 06:09:35 turnout: turnout2 " + kKey + " web blue 127.0.0.1:1 200 0.002",
           head + "web purple 127.0.0.1:1 200 0.002",       // slot
           head + "Web blue 127.0.0.1:1 200 0.002",         // app name
           head + "web blue 10.0.0.1:1 200 0.002",          // not loopback
           head + "web blue 127.0.0.1:70000 200 0.002",     // port
           head + "web blue 127.0.0.1:1 600 0.002",         // status
           head + "web blue 127.0.0.1:1 20x 0.002",         // status
           head + "web blue 127.0.0.1:1 200 0.002, 0.004",  // two upstream tries
           head + "web blue 127.0.0.1:1 200 0.02",          // not milliseconds
           head + "web blue 127.0.0.1:1 200 -0.002",        // negative
           head + "web blue 127.0.0.1:1 200 0.002 ",        // trailing space
           head + "web blue 127.0.0.1:1 200 0.002\n",       // trailing newline
           head + "web  blue 127.0.0.1:1 200 0.002",        // two spaces
           head + "web blue 127.0.0.1:1 200",               // a field missing
           head + "web blue 127.0.0.1:1 200 0.002 extra",   // a field more
           head + std::string(600, 'a') + " blue - 200 -",  // too long
       }) {
    INFO(bad);
    CHECK(verdict_of(bad) == FeedVerdict::malformed);
  }
}

TEST_CASE("feed line: a line of the right form without the key is forged", "[unit][deploy]") {
  const std::string other = "ffffffffffffffffffffffffffffffff";
  CHECK(verdict_of("<190>Dec  7 06:09:35 turnout: turnout1 " + other + " web blue 127.0.0.1:1 500 0.002") ==
        FeedVerdict::forged);
  // A key of another length does not parse at all.
  CHECK(verdict_of("<190>Dec  7 06:09:35 turnout: turnout1 abc web blue 127.0.0.1:1 500 0.002") ==
        FeedVerdict::malformed);
  CHECK(std::string(to_string(FeedVerdict::forged)) == "forged");
}

TEST_CASE("feed line: the directives the include writes", "[unit][deploy]") {
  CHECK(feed_log_format("web", kKey) == "log_format turnout_feed_web 'turnout1 " + kKey +
                                            " web $turnout_slot $upstream_addr $status "
                                            "$upstream_response_time';\n");
  CHECK(feed_access_log("web", 40001) ==
        "access_log syslog:server=127.0.0.1:40001,facility=local7,severity=info,tag=turnout,nohostname "
        "turnout_feed_web;\n");
}

TEST_CASE("feed endpoint: made once, then kept, a damaged file is named", "[unit][deploy]") {
  CHECK(parse_feed_endpoint("40001 " + kKey + "\n") == FeedEndpoint{40001, kKey});
  CHECK_FALSE(parse_feed_endpoint("40001 " + kKey));
  CHECK_FALSE(parse_feed_endpoint("0 " + kKey + "\n"));
  CHECK_FALSE(parse_feed_endpoint("40001 " + kKey.substr(1) + "\n"));
  CHECK_FALSE(parse_feed_endpoint("40001 " + std::string(32, 'G') + "\n"));
}

}  // namespace turnout::steps::deploy
