#include "git/mirror_sync.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <thread>

#include "tests/support/background_process.h"
#include "tests/support/command.h"
#include "tests/support/git_http_server.h"
#include "tests/support/git_repo.h"
#include "tests/support/temp_dir.h"

namespace turnout::git {
namespace {

namespace fs = std::filesystem;
using test::read_file;
using test::TempDir;

using Origin = test::GitRepo;
using test::run_git;

SyncRequest request(const std::string& url, const std::string& ref = "", const std::string& sha = "") {
  SyncRequest request;
  request.url = url;
  request.ref = ref;
  request.sha = sha;
  return request;
}

Checkout synced(const Mirrors& mirrors, const SyncRequest& request) {
  auto result = mirrors.sync(request);
  INFO("sync " << request.url << " ref '" << request.ref << "' sha '" << request.sha
               << "': " << (result ? "" : result.error().message));
  REQUIRE(result.ok());
  return std::move(result).value();
}

std::string sync_error(const Mirrors& mirrors, const SyncRequest& request) {
  auto result = mirrors.sync(request);
  REQUIRE_FALSE(result.ok());
  return result.error().message;
}

void write_file(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

std::string file_in(const Checkout& checkout, const std::string& name) {
  return read_file(fs::path(checkout.workspace) / name);
}

/// `git status --porcelain --ignored` of the workspace: "" when it is exactly the commit.
std::string workspace_status(const Checkout& checkout) {
  return run_git(checkout.workspace, {"status", "--porcelain", "--ignored"});
}

}  // namespace

TEST_CASE("first sync mirrors the remote and checks out its default branch", "[integration][git]") {
  const TempDir dir;
  Origin origin(dir / "origin");
  const std::string sha = origin.commit({{"README.md", "hello\n"}, {"src/main.sh", "echo hi\n"}});
  const Mirrors mirrors((dir / "data").string());

  const Checkout checkout = synced(mirrors, request(origin.url()));
  CHECK(checkout.sha == sha);
  CHECK(checkout.ref == "refs/heads/main");
  CHECK(checkout.branch == "main");
  CHECK(fs::path(checkout.mirror).parent_path() == dir / "data" / "mirrors");
  CHECK(fs::path(checkout.workspace).parent_path() == dir / "data" / "workspaces");
  CHECK(file_in(checkout, "README.md") == "hello\n");
  CHECK(file_in(checkout, "src/main.sh") == "echo hi\n");
  CHECK(run_git(checkout.workspace, {"rev-parse", "HEAD"}) == sha);
  CHECK(run_git(checkout.workspace, {"rev-parse", "--abbrev-ref", "HEAD"}) == "HEAD");  // detached
  CHECK(workspace_status(checkout).empty());
  CHECK(run_git(checkout.mirror, {"rev-parse", "refs/heads/main"}) == sha);
  CHECK(run_git(checkout.mirror, {"rev-parse", "--is-bare-repository"}) == "true");
  // The workspace borrows the mirror's objects instead of copying them.
  CHECK(read_file(fs::path(checkout.workspace) / ".git/objects/info/alternates") ==
        checkout.mirror + "/objects\n");
  CHECK(fs::is_empty(fs::path(checkout.workspace) / ".git/objects/pack"));
}

TEST_CASE("a sync fetches new commits", "[integration][git]") {
  const TempDir dir;
  Origin origin(dir / "origin");
  origin.commit({{"version", "1"}});
  const Mirrors mirrors((dir / "data").string());
  synced(mirrors, request(origin.url(), "main"));

  const std::string second = origin.commit({{"version", "2"}});
  const Checkout checkout = synced(mirrors, request(origin.url(), "main"));
  CHECK(checkout.sha == second);
  CHECK(file_in(checkout, "version") == "2");
  CHECK(run_git(checkout.mirror, {"rev-parse", "refs/heads/main"}) == second);
}

TEST_CASE("a sync checks out an older commit, by full or short id", "[integration][git]") {
  const TempDir dir;
  Origin origin(dir / "origin");
  const std::string first = origin.commit({{"version", "1"}});
  const std::string second = origin.commit({{"version", "2"}});
  const Mirrors mirrors((dir / "data").string());

  const Checkout by_sha = synced(mirrors, request(origin.url(), "", first));
  CHECK(by_sha.sha == first);
  CHECK(by_sha.ref.empty());
  CHECK(by_sha.branch.empty());
  CHECK(file_in(by_sha, "version") == "1");

  const Checkout with_ref = synced(mirrors, request(origin.url(), "main", second.substr(0, 10)));
  CHECK(with_ref.sha == second);
  CHECK(with_ref.ref == "refs/heads/main");
  CHECK(file_in(with_ref, "version") == "2");
}

TEST_CASE("a commit already in the mirror needs no network", "[integration][git]") {
  const TempDir dir;
  Origin origin(dir / "origin");
  const std::string first = origin.commit({{"version", "1"}});
  const std::string second = origin.commit({{"version", "2"}});
  const Mirrors mirrors((dir / "data").string());
  synced(mirrors, request(origin.url(), "main"));

  fs::rename(dir / "origin", dir / "gone");  // the remote is unreachable from now on
  const Checkout checkout = synced(mirrors, request(origin.url(), "main", first));
  CHECK(checkout.sha == first);
  CHECK(checkout.branch == "main");
  CHECK(file_in(checkout, "version") == "1");
  CHECK_THAT(sync_error(mirrors, request(origin.url(), "main")),
             Catch::StartsWith("cannot reach " + origin.url()));
  CHECK(second.size() == 40);
}

TEST_CASE("a tag is checked out at its commit", "[integration][git]") {
  const TempDir dir;
  Origin origin(dir / "origin");
  const std::string tagged = origin.commit({{"version", "1"}});
  origin.git({"tag", "-a", "v1", "-m", "release 1"});
  origin.commit({{"version", "2"}});
  const Mirrors mirrors((dir / "data").string());

  const Checkout checkout = synced(mirrors, request(origin.url(), "v1"));
  CHECK(checkout.sha == tagged);
  CHECK(checkout.ref == "refs/tags/v1");
  CHECK(checkout.branch.empty());
  CHECK(file_in(checkout, "version") == "1");
}

TEST_CASE("a force-pushed branch is updated to its new tip", "[integration][git]") {
  const TempDir dir;
  Origin origin(dir / "origin");
  origin.commit({{"app", "base"}});
  origin.git({"checkout", "-q", "-b", "feature"});
  const std::string before = origin.commit({{"app", "first try"}});
  const Mirrors mirrors((dir / "data").string());
  CHECK(synced(mirrors, request(origin.url(), "feature")).sha == before);

  origin.git({"reset", "-q", "--hard", "main"});
  const std::string after = origin.commit({{"app", "second try"}});
  const Checkout checkout = synced(mirrors, request(origin.url(), "refs/heads/feature"));
  CHECK(checkout.sha == after);
  CHECK(checkout.branch == "feature");
  CHECK(file_in(checkout, "app") == "second try");
  CHECK(run_git(checkout.mirror, {"rev-parse", "refs/heads/feature"}) == after);
}

TEST_CASE("a ref deleted on the remote is reported", "[integration][git]") {
  const TempDir dir;
  Origin origin(dir / "origin");
  origin.commit({{"app", "base"}});
  origin.git({"branch", "feature"});
  const Mirrors mirrors((dir / "data").string());
  synced(mirrors, request(origin.url(), "feature"));

  origin.git({"branch", "-D", "feature"});
  CHECK(sync_error(mirrors, request(origin.url(), "feature")) ==
        "ref 'feature' not found on " + origin.url());
  CHECK(sync_error(mirrors, request(origin.url(), "no-such-branch")) ==
        "ref 'no-such-branch' not found on " + origin.url());
}

TEST_CASE("an unknown commit is reported after fetching", "[integration][git]") {
  const TempDir dir;
  Origin origin(dir / "origin");
  origin.commit({{"app", "base"}});
  const Mirrors mirrors((dir / "data").string());
  const std::string unknown = "0123456789abcdef0123456789abcdef01234567";
  CHECK(sync_error(mirrors, request(origin.url(), "main", unknown)) ==
        "commit " + unknown + " not found in " + origin.url() + " after fetch");
  CHECK(sync_error(mirrors, request(origin.url(), "", unknown)) ==
        "commit " + unknown + " not found in " + origin.url() + " after fetch");
}

TEST_CASE("bad ref names and commit ids are refused before any fetch", "[integration][git]") {
  const TempDir dir;
  const Mirrors mirrors((dir / "data").string());
  CHECK_THAT(sync_error(mirrors, request(dir.path().string(), "main:evil")),
             Catch::StartsWith("invalid ref name"));
  CHECK_THAT(sync_error(mirrors, request(dir.path().string(), "refs/heads/*")),
             Catch::StartsWith("invalid ref name"));
  CHECK_THAT(sync_error(mirrors, request(dir.path().string(), "a..b")),
             Catch::StartsWith("invalid ref name"));
  CHECK(sync_error(mirrors, request(dir.path().string(), "", "xyz")) ==
        "'xyz' is not a commit id: give 4 to 40 hex digits");
  CHECK_FALSE(fs::exists(dir / "data" / "mirrors"));
}

TEST_CASE("a new mirror of a local repository links its packs", "[integration][git]") {
  const TempDir dir;
  Origin origin(dir / "origin");
  origin.commit({{"app", "v1"}});
  origin.git({"gc", "-q"});
  const std::string loose = origin.commit({{"app", "v2"}});
  const Mirrors mirrors((dir / "data").string());

  const Checkout checkout = synced(mirrors, request(origin.url()));
  CHECK(checkout.sha == loose);
  std::size_t linked = 0;
  for (const auto& pack : fs::directory_iterator(dir / "origin/.git/objects/pack")) {
    const fs::path copy = fs::path(checkout.mirror) / "objects/pack" / pack.path().filename();
    if (fs::exists(copy) && fs::equivalent(copy, pack.path())) ++linked;
  }
  CHECK(linked >= 2);  // the .pack and its .idx
  run_git(checkout.mirror, {"fsck", "--full", "--strict"});

  const std::string next = origin.commit({{"app", "v3"}});
  const Checkout fetched = synced(mirrors, request(origin.url()));
  CHECK(fetched.sha == next);
  CHECK(file_in(fetched, "app") == "v3");
}

TEST_CASE("a local repository that borrows its objects is fetched normally", "[integration][git]") {
  const TempDir dir;
  Origin origin(dir / "origin");
  const std::string sha = origin.commit({{"app", "v1"}});
  run_git(dir.path(), {"clone", "-q", "--shared", origin.url(), (dir / "shared").string()});
  const Mirrors mirrors((dir / "data").string());

  const Checkout checkout = synced(mirrors, request((dir / "shared").string()));
  CHECK(checkout.sha == sha);
  CHECK(file_in(checkout, "app") == "v1");
  run_git(checkout.mirror, {"fsck", "--full", "--strict"});
}

TEST_CASE("checkout applies the repository's .gitattributes", "[integration][git]") {
  const TempDir dir;
  Origin origin(dir / "origin");
  origin.commit({{".gitattributes", "*.bat text eol=crlf\n"},
                 {"run.bat", "echo one\necho two\n"},
                 {"plain", "a\nb\n"}});
  const Mirrors mirrors((dir / "data").string());

  const Checkout checkout = synced(mirrors, request(origin.url()));
  CHECK(file_in(checkout, "run.bat") == "echo one\r\necho two\r\n");
  CHECK(file_in(checkout, "plain") == "a\nb\n");
  CHECK(workspace_status(checkout).empty());
}

TEST_CASE("a dirty workspace is cleaned for the next run", "[integration][git]") {
  const TempDir dir;
  Origin origin(dir / "origin");
  const std::string sha = origin.commit(
      {{".gitignore", "*.log\nbuild/\n"}, {"tracked.txt", "original\n"}, {"kept.txt", "kept\n"}});
  const Mirrors mirrors((dir / "data").string());
  const fs::path workspace = synced(mirrors, request(origin.url())).workspace;

  write_file(workspace / "untracked.txt", "left over\n");
  write_file(workspace / "new-folder/file", "left over\n");
  write_file(workspace / "debug.log", "ignored\n");
  write_file(workspace / "build/output.bin", "ignored\n");
  write_file(workspace / "tracked.txt", "modified\n");
  fs::remove(workspace / "kept.txt");

  const Checkout checkout = synced(mirrors, request(origin.url()));
  CHECK(checkout.workspace == workspace.string());
  CHECK(checkout.sha == sha);
  CHECK_FALSE(fs::exists(workspace / "untracked.txt"));
  CHECK_FALSE(fs::exists(workspace / "new-folder"));
  CHECK_FALSE(fs::exists(workspace / "debug.log"));
  CHECK_FALSE(fs::exists(workspace / "build"));
  CHECK(file_in(checkout, "tracked.txt") == "original\n");
  CHECK(file_in(checkout, "kept.txt") == "kept\n");
  CHECK(workspace_status(checkout).empty());
}

TEST_CASE("a workspace changed through git or behind its stat data is reset", "[integration][git]") {
  const TempDir dir;
  Origin origin(dir / "origin");
  const std::string sha = origin.commit({{"tracked.txt", "original\n"}});
  const Mirrors mirrors((dir / "data").string());
  const fs::path workspace = synced(mirrors, request(origin.url())).workspace;

  SECTION("same size, mtime put back") {
    const auto mtime = fs::last_write_time(workspace / "tracked.txt");
    write_file(workspace / "tracked.txt", "modified\n");
    fs::last_write_time(workspace / "tracked.txt", mtime);
    CHECK(fs::last_write_time(workspace / "tracked.txt") == mtime);
  }
  SECTION("a file staged by a step") {
    write_file(workspace / "staged.txt", "new\n");
    run_git(workspace, {"add", "staged.txt"});
    CHECK(run_git(workspace, {"diff", "--cached", "--name-only"}) == "staged.txt");
  }
  SECTION("a commit made by a step") {
    write_file(workspace / "committed.txt", "new\n");
    run_git(workspace, {"add", "committed.txt"});
    run_git(workspace, {"commit", "-q", "-m", "from a step"});
    CHECK(run_git(workspace, {"rev-parse", "HEAD"}) != sha);
  }
  SECTION("another branch checked out by a step") {
    run_git(workspace, {"checkout", "-q", "-b", "elsewhere"});
    write_file(workspace / "tracked.txt", "changed on a branch\n");
    run_git(workspace, {"commit", "-q", "-am", "from a step"});
    CHECK(run_git(workspace, {"rev-parse", "--abbrev-ref", "HEAD"}) == "elsewhere");
  }

  const Checkout checkout = synced(mirrors, request(origin.url()));
  CHECK(checkout.workspace == workspace.string());
  CHECK(run_git(workspace, {"rev-parse", "HEAD"}) == sha);
  CHECK(file_in(checkout, "tracked.txt") == "original\n");
  CHECK_FALSE(fs::exists(workspace / "staged.txt"));
  CHECK_FALSE(fs::exists(workspace / "committed.txt"));
  CHECK(workspace_status(checkout).empty());
}

TEST_CASE("an unchanged workspace is left as it is", "[integration][git]") {
  const TempDir dir;
  Origin origin(dir / "origin");
  origin.commit({{"a/b/c.txt", "c\n"}, {"top.txt", "top\n"}});
  const Mirrors mirrors((dir / "data").string());
  const fs::path workspace = synced(mirrors, request(origin.url())).workspace;
  const auto index_time = fs::last_write_time(workspace / ".git/index");
  const auto file_time = fs::last_write_time(workspace / "a/b/c.txt");

  const Checkout again = synced(mirrors, request(origin.url()));
  CHECK(fs::last_write_time(workspace / ".git/index") == index_time);
  CHECK(fs::last_write_time(workspace / "a/b/c.txt") == file_time);
  CHECK(workspace_status(again).empty());
}

TEST_CASE("files that differ between two commits follow the checkout", "[integration][git]") {
  const TempDir dir;
  Origin origin(dir / "origin");
  origin.commit({{"script.sh", "echo 1\n"}});
  fs::permissions(dir / "origin" / "script.sh", fs::perms::owner_exec, fs::perm_options::add);
  const std::string first = origin.commit({{"config", "one\n"}, {"old-only", "x"}});
  const std::string second =
      origin.commit({{"config", "two\n"}, {"old-only", std::nullopt}, {"new-only", "y"}});
  const Mirrors mirrors((dir / "data").string());

  const Checkout at_second = synced(mirrors, request(origin.url(), "main", second));
  CHECK(file_in(at_second, "config") == "two\n");
  CHECK_FALSE(fs::exists(fs::path(at_second.workspace) / "old-only"));
  CHECK(file_in(at_second, "new-only") == "y");
  const auto permissions = fs::status(fs::path(at_second.workspace) / "script.sh").permissions();
  CHECK((permissions & fs::perms::owner_exec) != fs::perms::none);
  CHECK(run_git(at_second.workspace, {"ls-files", "-s", "script.sh"}).starts_with("100755"));

  const Checkout at_first = synced(mirrors, request(origin.url(), "main", first));
  CHECK(file_in(at_first, "config") == "one\n");
  CHECK(file_in(at_first, "old-only") == "x");
  CHECK_FALSE(fs::exists(fs::path(at_first.workspace) / "new-only"));
  CHECK(workspace_status(at_first).empty());
}

TEST_CASE("a file that becomes a folder and back follows the checkout", "[integration][git]") {
  const TempDir dir;
  Origin origin(dir / "origin");
  const std::string as_file = origin.commit({{"thing", "a file\n"}, {"keep", "k"}});
  const std::string as_folder = origin.commit({{"thing", std::nullopt}, {"thing/inside", "in a folder\n"}});
  const Mirrors mirrors((dir / "data").string());

  CHECK(file_in(synced(mirrors, request(origin.url(), "", as_file)), "thing") == "a file\n");
  const Checkout folder = synced(mirrors, request(origin.url(), "", as_folder));
  CHECK(file_in(folder, "thing/inside") == "in a folder\n");
  const Checkout file = synced(mirrors, request(origin.url(), "", as_file));
  CHECK(file_in(file, "thing") == "a file\n");
  CHECK(workspace_status(file).empty());
}

TEST_CASE("a damaged workspace is made anew", "[integration][git]") {
  const TempDir dir;
  Origin origin(dir / "origin");
  const std::string sha = origin.commit({{"app", "v1"}});
  const Mirrors mirrors((dir / "data").string());
  const fs::path workspace = synced(mirrors, request(origin.url())).workspace;

  fs::remove_all(workspace / ".git" / "objects");
  write_file(workspace / ".git" / "index", "garbage");
  const Checkout checkout = synced(mirrors, request(origin.url()));
  CHECK(checkout.sha == sha);
  CHECK(file_in(checkout, "app") == "v1");
  CHECK(workspace_status(checkout).empty());
}

TEST_CASE("a workspace in use is not handed to a second sync", "[integration][git]") {
  const TempDir dir;
  Origin origin(dir / "origin");
  origin.commit({{"app", "v1"}});
  const Mirrors mirrors((dir / "data").string());

  std::optional<Checkout> running = synced(mirrors, request(origin.url()));
  const Checkout second = synced(mirrors, request(origin.url()));
  CHECK(second.workspace != running->workspace);
  CHECK(second.workspace == running->workspace + ".2");
  CHECK(file_in(second, "app") == "v1");

  const std::string first_workspace = running->workspace;
  running.reset();  // that run ended
  CHECK(synced(mirrors, request(origin.url())).workspace == first_workspace);
}

TEST_CASE("two syncs of one remote at once are serialised", "[integration][git][slow]") {
  const TempDir dir;
  Origin origin(dir / "origin");
  std::map<std::string, std::optional<std::string>> files;
  for (int i = 0; i < 400; ++i)
    files["dir" + std::to_string(i % 20) + "/file" + std::to_string(i)] = std::to_string(i);
  for (int round = 0; round < 3; ++round) {
    for (auto& [name, content] : files) content = name + " round " + std::to_string(round);
    origin.commit(files);
  }
  const std::string tip = origin.git({"rev-parse", "HEAD"});

  for (int attempt = 0; attempt < 3; ++attempt) {
    const fs::path data = dir / ("data" + std::to_string(attempt));
    std::optional<util::Result<Checkout>> results[2];
    std::thread threads[2];
    for (int i = 0; i < 2; ++i)
      threads[i] =
          std::thread([&, i] { results[i].emplace(Mirrors(data.string()).sync(request(origin.url()))); });
    for (auto& thread : threads) thread.join();
    for (auto& result : results) {
      INFO((result->ok() ? "" : result->error().message));
      REQUIRE(result->ok());
      CHECK(result->value().sha == tip);
      CHECK(workspace_status(result->value()).empty());
    }
    CHECK(results[0]->value().workspace != results[1]->value().workspace);
    run_git(results[0]->value().mirror, {"fsck", "--full", "--strict"});
  }
}

TEST_CASE("a malformed URL is refused", "[integration][git]") {
  const TempDir dir;
  const Mirrors mirrors((dir / "data").string());
  CHECK(sync_error(mirrors, request("https://")) == "malformed repository URL 'https://': it has no host");
  CHECK_FALSE(fs::exists(dir / "data" / "mirrors"));
}

TEST_CASE("an unreachable remote is reported as such", "[integration][git]") {
  const TempDir dir;
  const Mirrors mirrors((dir / "data").string());
  const std::string url = "http://127.0.0.1:" + std::to_string(test::free_loopback_port()) + "/app.git";
  const std::string message = sync_error(mirrors, request(url));
  CHECK_THAT(message, Catch::StartsWith("cannot reach " + url + ": "));
  CHECK_THAT(message, Catch::Contains("Connection refused"));

  CHECK(sync_error(mirrors, request((dir / "nowhere").string())) ==
        "cannot reach " + (dir / "nowhere").string() + ": no such file or folder");
}

TEST_CASE("ssh remotes need a readable key file", "[integration][git]") {
  const TempDir dir;
  const Mirrors mirrors((dir / "data").string());
  SyncRequest ssh = request("git@127.0.0.1:acme/app.git");
  ssh.credentials.ssh_key_file = (dir / "id_ed25519").string();
  CHECK(sync_error(mirrors, ssh) ==
        "cannot read the SSH key file '" + ssh.credentials.ssh_key_file +
            "' for git@127.0.0.1:acme/app.git: check that it exists and is readable");
  ssh.url = "ssh://git@127.0.0.1:2222/acme/app.git";
  CHECK_THAT(sync_error(mirrors, ssh), Catch::StartsWith("cannot read the SSH key file"));
}

TEST_CASE("sync over smart HTTP clones and fetches", "[integration][git][nginx]") {
  const TempDir dir;
  Origin origin(dir / "origin");
  origin.commit({{"version", "1"}});
  run_git(dir.path(), {"clone", "-q", "--bare", origin.url(), (dir / "served" / "app.git").string()});
  const test::GitHttpServer server(dir / "served");
  const Mirrors mirrors((dir / "data").string());

  const Checkout first = synced(mirrors, request(server.url("app.git")));
  CHECK(first.sha == origin.git({"rev-parse", "HEAD"}));
  CHECK(file_in(first, "version") == "1");

  const std::string second = origin.commit({{"version", "2"}});
  origin.git({"push", "-q", (dir / "served" / "app.git").string(), "main"});
  const Checkout fetched = synced(mirrors, request(server.url("app.git"), "main"));
  CHECK(fetched.sha == second);
  CHECK(file_in(fetched, "version") == "2");
  CHECK_THAT(sync_error(mirrors, request(server.url("missing.git"))),
             Catch::StartsWith("cannot reach " + server.url("missing.git") + ": "));
}

TEST_CASE("sync over HTTP sends the token as x-access-token", "[integration][git][nginx]") {
  const TempDir dir;
  Origin origin(dir / "origin");
  const std::string sha = origin.commit({{"version", "1"}});
  run_git(dir.path(), {"clone", "-q", "--bare", origin.url(), (dir / "served" / "app.git").string()});
  const test::GitHttpServer server(dir / "served", test::BasicAuth{"x-access-token", "right-token"});
  const Mirrors mirrors((dir / "data").string());
  const std::string url = server.url("app.git");

  SyncRequest authorised = request(url);
  authorised.credentials.token = "right-token";
  CHECK(synced(mirrors, authorised).sha == sha);

  SyncRequest wrong = request(url, "main");
  wrong.credentials.token = "wrong-token";
  const std::string rejected = sync_error(mirrors, wrong);
  CHECK_THAT(rejected, Catch::StartsWith("authentication failed for " + url + ": "));
  CHECK_THAT(rejected, Catch::Contains("check the token"));
  CHECK_THAT(rejected, !Catch::Contains("wrong-token"));

  const std::string missing = sync_error(mirrors, request(url, "main"));
  CHECK_THAT(missing, Catch::StartsWith("authentication failed for " + url + ": "));
  CHECK_THAT(missing, Catch::Contains("no token is configured (set token_env or token_file)"));
  // `turnout run` names its own flags.
  SyncRequest from_cli = request(url, "main");
  from_cli.credentials.token_setting = "--token-env or --token-file";
  CHECK_THAT(sync_error(mirrors, from_cli),
             Catch::Contains("no token is configured (set --token-env or --token-file)"));
}

}  // namespace turnout::git
