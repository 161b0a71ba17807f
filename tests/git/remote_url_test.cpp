#include "git/remote_url.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>

namespace turnout::git {
namespace {

RemoteUrl parsed(const std::string& text) {
  auto url = parse_remote_url(text);
  INFO(text << ": " << (url ? "" : url.error().message));
  REQUIRE(url.ok());
  return url.value();
}

std::string name_of(const std::string& text) { return mirror_name(parsed(text)); }

std::string error_of(const std::string& text) {
  auto url = parse_remote_url(text);
  INFO(text);
  REQUIRE_FALSE(url.ok());
  return url.error().message;
}

}  // namespace

TEST_CASE("remote URLs are classified and split", "[unit][git]") {
  const auto https = parsed("https://github.com/acme/app.git");
  CHECK(https.kind == RemoteKind::https);
  CHECK(https.host == "github.com");
  CHECK(https.path == "/acme/app.git");
  CHECK(https.url == "https://github.com/acme/app.git");

  const auto http = parsed("http://127.0.0.1:8080/app.git");
  CHECK(http.kind == RemoteKind::http);
  CHECK(http.port == "8080");
  CHECK(http.is_loopback());
  CHECK_FALSE(parsed("http://git.example.com/app.git").is_loopback());

  const auto ssh = parsed("ssh://deploy@Git.Example.com:2222/srv/app.git");
  CHECK(ssh.kind == RemoteKind::ssh);
  CHECK(ssh.user == "deploy");
  CHECK(ssh.host == "git.example.com");
  CHECK(ssh.port == "2222");
  CHECK(ssh.path == "/srv/app.git");

  const auto scp = parsed("git@github.com:acme/app.git");
  CHECK(scp.kind == RemoteKind::scp);
  CHECK(scp.is_ssh());
  CHECK(scp.user == "git");
  CHECK(scp.host == "github.com");
  CHECK(scp.path == "acme/app.git");

  const auto file = parsed("file:///srv/git/app.git/");
  CHECK(file.kind == RemoteKind::file);
  CHECK(file.path == "/srv/git/app.git");
  CHECK(file.url == "file:///srv/git/app.git");

  const auto local = parsed("some/relative/../repo");
  CHECK(local.kind == RemoteKind::local_path);
  CHECK(local.path == (std::filesystem::current_path() / "some/repo").string());
  CHECK(parsed("/srv/git/app.git").kind == RemoteKind::local_path);
  CHECK(parsed("[::1]:repo.git").host == "::1");
}

TEST_CASE("malformed remote URLs are refused with the reason", "[unit][git]") {
  CHECK(error_of("") == "malformed repository URL '': it is empty");
  CHECK_THAT(error_of("https://"), Catch::Contains("it has no host"));
  CHECK_THAT(error_of("https:///acme/app.git"), Catch::Contains("it has no host"));
  CHECK_THAT(error_of("https://github.com"), Catch::Contains("empty path"));
  CHECK_THAT(error_of("ftp://example.com/app.git"), Catch::Contains("unsupported scheme 'ftp://'"));
  CHECK_THAT(error_of("https://example.com:99999/app.git"), Catch::Contains("port '99999'"));
  CHECK_THAT(error_of("https://example.com:http/app.git"), Catch::Contains("port 'http'"));
  CHECK_THAT(error_of("https://exa mple.com/app.git"), Catch::Contains("not a valid host name"));
  CHECK_THAT(error_of("https://example.com/app.git\nsecond line"), Catch::Contains("control character"));
  CHECK_THAT(error_of("git@github.com:"), Catch::Contains("empty path"));
  CHECK_THAT(error_of("-oProxyCommand=touch /tmp/x:repo"), Catch::Contains("starts with '-'"));
  CHECK_THAT(error_of("file://otherhost/srv/app.git"), Catch::Contains("cannot name a host"));
  CHECK_THAT(error_of("https://example.com/app.git?x=1"), Catch::Contains("query or fragment"));
  CHECK_THAT(error_of("https://[::1/app.git"), Catch::Contains("no closing ']'"));
}

TEST_CASE("a malformed URL's error never shows its password", "[unit][git]") {
  const std::string message = error_of("https://x-access-token:s3cret@example.com:bad/app.git");
  CHECK_THAT(message,
             Catch::StartsWith("malformed repository URL 'https://x-access-token:***@example.com:bad"));
  CHECK_THAT(message, !Catch::Contains("s3cret"));
}

TEST_CASE("mirror names are one safe path component", "[unit][git]") {
  const std::regex safe("[A-Za-z0-9._-]{1,40}-[0-9a-f]{12}");
  for (const std::string url :
       {"../../etc", "/", "https://evil.example.com/../../etc/passwd", "git@host:../../../root",
        "file:///srv/../../etc", "https://example.com/%2e%2e/x"}) {
    const std::string name = name_of(url);
    INFO(url << " -> " << name);
    CHECK(std::regex_match(name, safe));
    CHECK(name.front() != '.');
    CHECK(name.find("..") == std::string::npos);
  }
  CHECK(name_of("https://github.com/acme/cafeteria.git").starts_with("github.com_acme_cafeteria-"));
  CHECK(name_of(std::string(500, 'a')).size() == 40 + 1 + 12);
}

TEST_CASE("mirror names differ for different repositories", "[unit][git]") {
  CHECK(name_of("/srv/a/b") != name_of("/srv/a_b"));
  CHECK(name_of("https://example.com/a/b") != name_of("https://example.com/a_b"));
  CHECK(name_of("https://example.com/app") != name_of("http://example.com/app"));
  CHECK(name_of("https://example.com/app") != name_of("https://example.com:8443/app"));
  CHECK(name_of("alice@host:repo") != name_of("bob@host:repo"));
  CHECK(name_of("git@host:repo") != name_of("ssh://git@host/repo"));
}

TEST_CASE("mirror names ignore credentials and spelling", "[unit][git]") {
  const std::string plain = name_of("https://github.com/acme/app.git");
  const std::string with_token = name_of("https://x-access-token:s3cret@github.com/acme/app.git");
  CHECK(with_token == plain);
  CHECK(with_token.find("s3cret") == std::string::npos);
  CHECK(name_of("https://GitHub.com/acme/app.git/") == plain);
  CHECK(name_of("https://github.com:443/acme/app.git") == plain);
  CHECK(name_of("/srv/git/app.git") == name_of("file:///srv/git/app.git"));
}

TEST_CASE("credentials in URLs are redacted for display", "[unit][git]") {
  CHECK(redact_url("https://x-access-token:s3cret@github.com/a.git") ==
        "https://x-access-token:***@github.com/a.git");
  CHECK(redact_url("https://ghp_token@github.com/a.git") == "https://***@github.com/a.git");
  CHECK(redact_url("ssh://git@github.com/a.git") == "ssh://git@github.com/a.git");
  CHECK(redact_url("ssh://git:pw@github.com/a.git") == "ssh://git:***@github.com/a.git");
  CHECK(redact_url("fetching 'https://u:p@h/x' failed") == "fetching 'https://u:***@h/x' failed");
  CHECK(redact_url("no URL here") == "no URL here");
  CHECK(parsed("https://u:s3cret@example.com/app.git").display() == "https://u:***@example.com/app.git");
}

TEST_CASE("remote kinds have names", "[unit][git]") {
  CHECK(to_string(RemoteKind::scp) == "scp-like ssh");
  CHECK(to_string(RemoteKind::local_path) == "local path");
}

}  // namespace turnout::git
