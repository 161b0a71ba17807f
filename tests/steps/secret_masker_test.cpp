#include "steps/secret_masker.h"

#include <catch2/catch.hpp>

using turnout::steps::SecretMasker;

namespace {

std::string masked(const SecretMasker& masker, std::string text) {
  masker.mask(text);
  return text;
}

}  // namespace

TEST_CASE("SecretMasker without secrets changes nothing", "[unit][steps]") {
  const SecretMasker masker;
  CHECK(masker.empty());
  CHECK(masker.longest() == 0);
  CHECK(masked(masker, "token hunter2") == "token hunter2");
}

TEST_CASE("SecretMasker hides every occurrence", "[unit][steps]") {
  const SecretMasker masker({"hunter2"});
  CHECK(masked(masker, "hunter2") == "***");
  CHECK(masked(masker, "pw=hunter2, again hunter2.") == "pw=***, again ***.");
  CHECK(masked(masker, "hunter2hunter2") == "******");
  CHECK(masked(masker, "hunter3") == "hunter3");
  CHECK(masked(masker, "") == "");
}

TEST_CASE("SecretMasker lets the longer secret win", "[unit][steps]") {
  const SecretMasker masker({"abc", "abcdef"});
  CHECK(masker.values() == std::vector<std::string>{"abcdef", "abc"});
  CHECK(masker.longest() == 6);
  CHECK(masked(masker, "xabcdefx") == "x***x");
  CHECK(masked(masker, "abc abcdef") == "*** ***");
}

TEST_CASE("SecretMasker hides overlapping occurrences entirely", "[unit][steps]") {
  // Neither "xa" nor "abcd" may show a byte, whichever order they are applied in.
  const SecretMasker masker({"xa", "abcd"});
  CHECK(masked(masker, "-xabcd-") == "-***-");
  const SecretMasker repeated({"aa"});
  CHECK(masked(repeated, "baaab") == "b***b");
}

TEST_CASE("SecretMasker takes each line of a multi-line secret", "[unit][steps]") {
  const SecretMasker masker({"-----BEGIN KEY-----\r\nMIIEow\n\nsecretline\n"});
  CHECK(masker.values() == std::vector<std::string>{"-----BEGIN KEY-----", "secretline", "MIIEow"});
  CHECK(masked(masker, "key: MIIEow") == "key: ***");
  CHECK(masked(masker, "secretline\r") == "***\r");
  CHECK(masked(masker, "nothing here") == "nothing here");
}

TEST_CASE("SecretMasker ignores empty values and keeps duplicates once", "[unit][steps]") {
  const SecretMasker only_empty({"", "\n", "\r\n"});
  CHECK(only_empty.empty());
  CHECK(masked(only_empty, "abc") == "abc");

  const SecretMasker masker({"tok", "", "tok", "tok\ntok"});
  CHECK(masker.values() == std::vector<std::string>{"tok"});
}

TEST_CASE("SecretMasker::find reports merged spans and a forced head", "[unit][steps]") {
  const SecretMasker masker({"abc"});
  std::vector<SecretMasker::Span> spans;
  masker.find("..abc..abc", spans);
  REQUIRE(spans.size() == 2);
  CHECK((spans[0].begin == 2 && spans[0].end == 5));
  CHECK((spans[1].begin == 7 && spans[1].end == 10));

  masker.find("xyabc.", spans, 3);  // the head overlaps the first occurrence: one span
  REQUIRE(spans.size() == 1);
  CHECK((spans[0].begin == 0 && spans[0].end == 5));
}
