#include "agent/config/secret_ref.h"

#include <catch2/catch.hpp>

#include <unistd.h>
#include <cstdlib>
#include <string>

#include "tests/support/temp_dir.h"

using Catch::Matchers::Contains;
using turnout::agent::read_secret;
using turnout::agent::SecretRef;
using turnout::util::ErrorKind;

namespace {

SecretRef file_ref(const std::string& path) {
  return SecretRef{SecretRef::Source::file, path, "webhook_secret_file"};
}

// A variable name no other test or the environment uses.
std::string unique_variable(const std::string& stem) {
  return "TURNOUT_TEST_" + stem + "_" + std::to_string(getpid());
}

}  // namespace

TEST_CASE("read_secret reads a file, trimmed", "[unit][config]") {
  turnout::test::TempDir dir;
  const auto path = dir.write("secret", "  It's a Secret to Everybody\n");
  const auto secret = read_secret(file_ref(path.string()));
  REQUIRE(secret.ok());
  CHECK(secret.value() == "It's a Secret to Everybody");
}

TEST_CASE("read_secret reads an environment variable", "[unit][config]") {
  const std::string name = unique_variable("SECRET");
  ::setenv(name.c_str(), "s3cret\n", 1);
  const auto secret = read_secret(SecretRef{SecretRef::Source::env, name, "webhook_secret_env"});
  ::unsetenv(name.c_str());
  REQUIRE(secret.ok());
  CHECK(secret.value() == "s3cret");
}

TEST_CASE("read_secret refuses an empty file, naming it", "[unit][config]") {
  turnout::test::TempDir dir;
  for (const std::string content : {"", " \n\t\r\n"}) {
    const auto path = dir.write("empty", content);
    const auto secret = read_secret(file_ref(path.string()));
    REQUIRE_FALSE(secret.ok());
    CHECK(secret.error().kind == ErrorKind::invalid);
    CHECK(secret.error().message ==
          "file '" + path.string() + "' (webhook_secret_file) is empty: put the secret in it");
  }
}

TEST_CASE("read_secret reports a missing file or variable as not found", "[unit][config]") {
  turnout::test::TempDir dir;
  const auto missing = read_secret(file_ref((dir / "nope").string()));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::not_found);
  CHECK(missing.error().message == "cannot read file '" + (dir / "nope").string() +
                                       "' (webhook_secret_file): No such file or directory");

  const std::string name = unique_variable("UNSET");
  ::unsetenv(name.c_str());
  const auto unset = read_secret(SecretRef{SecretRef::Source::env, name, "api_token_env"});
  REQUIRE_FALSE(unset.ok());
  CHECK(unset.error().kind == ErrorKind::not_found);
  CHECK(unset.error().message == "environment variable " + name + " (api_token_env) is not set");
}

TEST_CASE("read_secret refuses an empty variable", "[unit][config]") {
  const std::string name = unique_variable("EMPTY");
  ::setenv(name.c_str(), "", 1);
  const auto secret = read_secret(SecretRef{SecretRef::Source::env, name, "token_env"});
  ::unsetenv(name.c_str());
  REQUIRE_FALSE(secret.ok());
  CHECK(secret.error().kind == ErrorKind::invalid);
  CHECK_THAT(secret.error().message, Contains("is empty"));
}

TEST_CASE("read_secret never puts the content in an error", "[unit][config]") {
  turnout::test::TempDir dir;
  SECTION("an oversized file") {
    const std::string content = "s3cret" + std::string(70 * 1024, 'x');
    const auto path = dir.write("big", content);
    const auto secret = read_secret(file_ref(path.string()));
    REQUIRE_FALSE(secret.ok());
    CHECK_THAT(secret.error().message, Contains("is over 64 KiB"));
    CHECK_THAT(secret.error().message, !Contains("s3cret"));
  }
  SECTION("a folder") {
    const auto secret = read_secret(file_ref(dir.path().string()));
    REQUIRE_FALSE(secret.ok());
    CHECK_THAT(secret.error().message, Contains(dir.path().string()));
  }
}

TEST_CASE("read_secret without a configured place fails", "[unit][config]") {
  const auto secret = read_secret(SecretRef{});
  REQUIRE_FALSE(secret.ok());
  CHECK(secret.error().kind == ErrorKind::invalid);
  CHECK(secret.error().message == "no secret configured");
  CHECK(SecretRef{SecretRef::Source::env, "GITHUB_TOKEN", "token_env"}.describe() ==
        "environment variable GITHUB_TOKEN (token_env)");
}
