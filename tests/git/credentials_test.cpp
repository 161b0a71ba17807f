#include "git/credentials.h"

#include <catch2/catch.hpp>

#include <cstdlib>

#include "tests/support/temp_dir.h"

namespace turnout::git {

TEST_CASE("a token is read from an environment variable", "[unit][git]") {
  ::setenv("TURNOUT_TEST_GIT_TOKEN", " s3cret\n", 1);
  const auto credentials = load_credentials({.token_env = "TURNOUT_TEST_GIT_TOKEN"});
  ::unsetenv("TURNOUT_TEST_GIT_TOKEN");
  REQUIRE(credentials.ok());
  CHECK(credentials.value().token == "s3cret");
}

TEST_CASE("a token is read from a file, without its newline", "[unit][git]") {
  const test::TempDir dir;
  const auto file = dir.write("token", "s3cret\n");
  const auto credentials = load_credentials({.token_file = file.string()});
  REQUIRE(credentials.ok());
  CHECK(credentials.value().token == "s3cret");
}

TEST_CASE("missing token sources are named, never their secrets", "[unit][git]") {
  ::unsetenv("TURNOUT_TEST_NO_SUCH_TOKEN");
  const auto unset = load_credentials({.token_env = "TURNOUT_TEST_NO_SUCH_TOKEN"});
  REQUIRE_FALSE(unset.ok());
  CHECK(unset.error().message ==
        "the environment variable TURNOUT_TEST_NO_SUCH_TOKEN (token_env) is not set or empty");

  const test::TempDir dir;
  const auto missing = load_credentials({.token_file = (dir / "nope").string()});
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.error().message,
             Catch::StartsWith("cannot read the token file '" + (dir / "nope").string()));

  const auto empty = load_credentials({.token_file = dir.write("empty", "\n").string()});
  REQUIRE_FALSE(empty.ok());
  CHECK_THAT(empty.error().message, Catch::EndsWith("is empty"));

  const auto both = load_credentials({.token_env = "A", .token_file = "b"});
  REQUIRE_FALSE(both.ok());
  CHECK_THAT(both.error().message, Catch::Contains("not both"));
}

TEST_CASE("an SSH key file must be readable", "[unit][git]") {
  const test::TempDir dir;
  const auto missing = load_credentials({.ssh_key_file = (dir / "id_ed25519").string()});
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.error().message, Catch::StartsWith("cannot read the SSH key file '"));

  const auto key = dir.write("id_ed25519", "not really a key");
  const auto present = load_credentials({.ssh_key_file = key.string()});
  REQUIRE(present.ok());
  CHECK(present.value().ssh_key_file == key.string());
}

TEST_CASE("credentials name what the person typed: agent.yml's keys or the CLI's flags", "[unit][git]") {
  ::unsetenv("TURNOUT_TEST_NO_SUCH_TOKEN");
  const SettingNames flags{"--token-env", "--token-file", "--ssh-key", "ssh_passphrase_env"};
  const auto unset = load_credentials({.token_env = "TURNOUT_TEST_NO_SUCH_TOKEN", .names = flags});
  REQUIRE_FALSE(unset.ok());
  CHECK(unset.error().message ==
        "the environment variable TURNOUT_TEST_NO_SUCH_TOKEN (--token-env) is not set or empty");
  const auto both = load_credentials({.token_env = "A", .token_file = "b", .names = flags});
  REQUIRE_FALSE(both.ok());
  CHECK(both.error().message == "give either --token-env or --token-file, not both");
  const auto none = load_credentials({.names = flags});
  REQUIRE(none.ok());
  CHECK(none.value().token_setting == "--token-env or --token-file");
  CHECK(load_credentials({}).value().token_setting == "token_env or token_file");
}

}  // namespace turnout::git
