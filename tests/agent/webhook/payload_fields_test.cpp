#include "agent/webhook/payload_fields.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using turnout::agent::PayloadPath;
using turnout::agent::PayloadValue;
using turnout::agent::read_payload_fields;
using turnout::util::ErrorKind;
using Kind = PayloadValue::Kind;

namespace {

const std::vector<PayloadPath> kPaths = {{"", "ref"}, {"", "id"}, {"repository", "full_name"}};

std::vector<PayloadValue> read(const std::string& body) {
  auto read = read_payload_fields(body, kPaths);
  INFO(body << ": " << (read ? "" : read.error().message));
  REQUIRE(read.ok());
  return std::move(read).value();
}

std::string refusal(const std::string& body) {
  const auto read = read_payload_fields(body, kPaths);
  REQUIRE_FALSE(read.ok());
  CHECK(read.error().kind == ErrorKind::invalid);
  return read.error().message;
}

}  // namespace

TEST_CASE("payload fields: the wanted values, whatever surrounds them", "[unit][webhook]") {
  const auto values = read(R"({"x":[{"ref":"deeper, not ours"}],"ref":"refs/heads/m\u0061in","id":42,)"
                           R"("repository":{"owner":{"full_name":"deeper"},"full_name":"a\/b"}})");
  CHECK(values[0].kind == Kind::string);
  CHECK(values[0].text == "refs/heads/main");
  CHECK(values[1].kind == Kind::integer);
  CHECK(values[1].integer == 42);
  CHECK(values[2].text == "a/b");
}

TEST_CASE("payload fields: absent, null, containers and other numbers", "[unit][webhook]") {
  auto values = read(R"({"ref":null,"id":1.5})");
  CHECK(values[0].kind == Kind::other);
  CHECK(values[1].kind == Kind::other);
  CHECK(values[2].kind == Kind::absent);
  values = read(R"({"ref":["a"],"id":{"n":1},"repository":"a/b"})");
  CHECK(values[0].kind == Kind::other);
  CHECK(values[1].kind == Kind::other);
  CHECK(values[2].kind == Kind::absent);
  CHECK(read(R"({"id":18446744073709551615})")[1].kind == Kind::too_large);
  CHECK(read(R"({"id":-9223372036854775808})")[1].integer == INT64_MIN);
  CHECK(read(R"({"id":true})")[1].flag);
}

TEST_CASE("payload fields: a repeated key counts with its last value", "[unit][webhook]") {
  CHECK(read(R"({"ref":"a","ref":1})")[0].kind == Kind::integer);
  CHECK(read(R"({"ref":1,"ref":"b"})")[0].text == "b");
  CHECK(read(R"({"repository":{"full_name":"a/b"},"repository":{}})")[2].kind == Kind::absent);
  CHECK(read(R"({"repository":{"full_name":"a/b","full_name":null}})")[2].kind == Kind::other);
  CHECK(read(R"({"repository":{"full_name":"a/b"},"":{}})")[2].text == "a/b");
}

TEST_CASE("payload fields: strings keep NULs and decode surrogate pairs", "[unit][webhook]") {
  CHECK(read(R"({"ref":"a\u0000b"})")[0].text == std::string("a\0b", 3));
  CHECK(read(R"({"ref":"\ud83d\ude00"})")[0].text == "\xf0\x9f\x98\x80");
}

TEST_CASE("payload fields: only well-formed UTF-8 is read", "[unit][webhook]") {
  for (const std::string good :
       {"\xc2\x80", "\xe0\xa0\x80", "\xed\x9f\xbf", "\xef\xbf\xbf", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf"}) {
    CHECK(read("{\"ref\":\"" + good + "\"}")[0].text == good);
  }
  // Overlong forms, surrogates, past U+10FFFF, stray and cut-short sequences.
  for (const std::string bad :
       {"\xc0\xaf", "\xe0\x9f\xbf", "\xed\xa0\x80", "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80",
        "\xf5\x80\x80\x80", "\x80", "\xff", "\xe2\x82", "\xe2\x28\xa1"}) {
    INFO(bad);
    CHECK_THAT(refusal("{\"ref\":\"" + bad + "\",\"id\":1}"), Contains("not UTF-8 (at byte 8)"));
  }
}

TEST_CASE("payload fields: what is not one JSON object is refused with a reason", "[unit][webhook]") {
  CHECK_THAT(refusal(""), StartsWith("is not valid JSON: "));
  CHECK_THAT(refusal(R"({"ref":"a",})"), StartsWith("is not valid JSON: "));
  CHECK_THAT(refusal("{} trailing"), Contains("more data after the value (at byte 3)"));
  CHECK_THAT(refusal(std::string("{}\0{}", 5)), Contains("more data after the value"));
  CHECK_THAT(refusal(R"({"ref":"\udc00"})"), StartsWith("is not valid JSON: "));
  CHECK_THAT(refusal("{\"ref\":\"\xff\"}"), StartsWith("is not valid JSON: "));
  CHECK(refusal("[]") == "must be a JSON object");
  CHECK(refusal("42") == "must be a JSON object");
  CHECK(read("  {}\r\n\t").size() == kPaths.size());
}

TEST_CASE("payload fields: 128 levels are read, 129 are refused", "[unit][webhook]") {
  const auto nested = [](int depth) {
    return "{\"a\":" + std::string(depth - 1, '[') + std::string(depth - 1, ']') + "}";
  };
  CHECK(read(nested(128)).size() == kPaths.size());
  CHECK_THAT(refusal(nested(129)), Contains("nested deeper than 128 levels"));
}
