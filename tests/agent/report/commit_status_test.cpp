#include "agent/report/commit_status.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

using namespace turnout::agent;

namespace {

std::size_t characters(const std::string& text) {
  std::size_t count = 0;
  for (const char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return count;
}

Poco::JSON::Object::Ptr parse(const std::string& text) {
  return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

}  // namespace

TEST_CASE("report: a short description is kept as it is", "[unit][report]") {
  CHECK(truncate_description("build passed in 42s") == "build passed in 42s");
  const std::string exactly(140, 'x');
  CHECK(truncate_description(exactly) == exactly);
}

TEST_CASE("report: a long description is cut to 140 characters, ending in an ellipsis", "[unit][report]") {
  const auto cut = truncate_description(std::string(300, 'a'));
  CHECK(characters(cut) == 140);
  CHECK(cut.substr(0, 139) == std::string(139, 'a'));
  CHECK(cut.substr(139) == "\xE2\x80\xA6");
}

TEST_CASE("report: a description is cut on a UTF-8 character boundary", "[unit][report]") {
  std::string text;
  for (int i = 0; i < 100; ++i) text += "\xC3\xA9\xE2\x82\xAC";  // é€: 2 and 3 bytes
  const auto cut = truncate_description(text);
  CHECK(characters(cut) == 140);
  // Every multi-byte sequence is whole: a lead byte is followed by its continuation bytes.
  for (std::size_t i = 0; i < cut.size();) {
    const auto lead = static_cast<unsigned char>(cut[i]);
    const std::size_t length = lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    REQUIRE(i + length <= cut.size());
    for (std::size_t k = 1; k < length; ++k) CHECK((static_cast<unsigned char>(cut[i + k]) & 0xC0) == 0x80);
    i += length;
  }
  CHECK(truncate_description("\xE2\x82\xAC", 1) == "\xE2\x82\xAC");
}

TEST_CASE("report: contexts name the pipeline and the stage", "[unit][report]") {
  CHECK(status_context("cafeteria") == "turnout/cafeteria");
  CHECK(status_context("cafeteria", "test") == "turnout/cafeteria/test");
  CHECK(statuses_url("https://api.github.com", "acme/app", "abc") ==
        "https://api.github.com/repos/acme/app/statuses/abc");
  CHECK(statuses_url("https://ghe.example.com/api/v3", "acme/app", "abc") ==
        "https://ghe.example.com/api/v3/repos/acme/app/statuses/abc");
  CHECK(failure_description("test", "unit", "exited 1") == "test failed: step \"unit\" exited 1");
  CHECK(failure_description("build", "", "timed out") == "build failed: timed out");
}

TEST_CASE("report: a status body has GitHub's fields, target_url only when there is one", "[unit][report]") {
  const auto with =
      parse(status_body(CommitState::failure, "turnout/app", std::string(200, 'd'), "http://ci/runs/1"));
  CHECK(with->getValue<std::string>("state") == "failure");
  CHECK(with->getValue<std::string>("context") == "turnout/app");
  CHECK(characters(with->getValue<std::string>("description")) == 140);
  CHECK(with->getValue<std::string>("target_url") == "http://ci/runs/1");
  const auto without = parse(status_body(CommitState::pending, "turnout/app", "queued", ""));
  CHECK_FALSE(without->has("target_url"));
  CHECK(without->getValue<std::string>("state") == "pending");
}
