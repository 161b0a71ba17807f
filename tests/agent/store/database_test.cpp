// The database under the narrow stores: durable writes committed together, what SQLite's
// answers become, and rows as they come back.
#include "agent/store/database.h"

#include <pthread.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "agent/store/connection.h"
#include "agent/store/wal_file.h"
#include "tests/support/temp_dir.h"

using namespace turnout::agent;
using turnout::test::TempDir;

namespace {

std::unique_ptr<Database> open_database(const TempDir& dir) {
  auto database = Database::open(dir.path().string());
  if (!database) FAIL(database.error().message);
  return std::move(database).value();
}

std::int64_t count_runs(const TempDir& dir) {
  detail::Connection connection((dir / "turnout.db").string());
  return connection.statement("SELECT COUNT(*) FROM runs").first_integer().value_or(-1);
}

const char* const kInsert = "INSERT INTO runs (repo, status) VALUES (?, 'queued')";

// How many of this process's descriptors are open on the file now at `path`.
int descriptors_on(const std::string& path) {
  int count = 0;
  for (const auto& fd : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code error;
    if (std::filesystem::read_symlink(fd.path(), error) == path) ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("database: a durable write is on disk when it returns", "[unit][store]") {
  TempDir dir;
  auto database = open_database(dir);
  REQUIRE(database->write_durably("add a run", [](detail::Connection& connection) {
    connection.statement(kInsert).execute({"/srv/a.git"});
  }));
  // Another connection, as another process would open the file.
  CHECK(count_runs(dir) == 1);
}

TEST_CASE("database: a durable write that fails writes nothing and says what it was", "[unit][store]") {
  TempDir dir;
  auto database = open_database(dir);
  const auto failed = database->write_durably("add two runs", [](detail::Connection& connection) {
    connection.statement(kInsert).execute({"/srv/a.git"});
    connection.statement("INSERT INTO runs (repo, status) VALUES (?, 'nonsense')").execute({"/srv/b.git"});
  });
  REQUIRE_FALSE(failed);
  CHECK_THAT(failed.error().message,
             Catch::StartsWith("run store " + database->path() + ": add two runs: ") &&
                 Catch::Contains("CHECK constraint failed"));
  CHECK(count_runs(dir) == 0);
  // The connection is usable afterwards: the failed transaction was rolled back.
  REQUIRE(database->write_durably("add a run", [](detail::Connection& connection) {
    connection.statement(kInsert).execute({"/srv/c.git"});
  }));
  CHECK(count_runs(dir) == 1);
}

TEST_CASE("database: durable writes from many threads each land once", "[unit][store]") {
  TempDir dir;
  auto database = open_database(dir);
  constexpr int kWriters = 12;
  std::vector<std::thread> writers;
  std::vector<bool> ok(kWriters, false);
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      const std::string repo = "/srv/" + std::to_string(i) + ".git";
      ok[i] = database
                  ->write_durably(
                      "add run " + std::to_string(i),
                      [&](detail::Connection& connection) { connection.statement(kInsert).execute({repo}); })
                  .ok();
    });
  }
  for (auto& writer : writers) writer.join();
  for (const bool each : ok) CHECK(each);
  CHECK(count_runs(dir) == kWriters);
}

TEST_CASE("database: a durable write is told done by the syncing thread, once the log is synced",
          "[unit][store]") {
  TempDir dir;
  auto database = open_database(dir);
  std::promise<std::string> told_on;
  database->write_durably_async(
      "add a run",
      [](detail::Connection& connection) { connection.statement(kInsert).execute({"/srv/a.git"}); },
      [&](turnout::util::Status written) {
        char name[16] = {};
        ::pthread_getname_np(::pthread_self(), name, sizeof name);
        told_on.set_value(written ? std::string(name) : written.error().message);
      });
  auto told = told_on.get_future();
  REQUIRE(told.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  // The store is in WAL mode, so the committing thread hands the batch to the syncing one.
  CHECK(told.get() == "store-sync");
  CHECK(count_runs(dir) == 1);
}

TEST_CASE("wal file: syncs the log of a database in WAL mode, and names the file when there is none",
          "[unit][store]") {
  TempDir dir;
  auto database = open_database(dir);
  REQUIRE(database->write_durably("add a run", [](detail::Connection& connection) {
    connection.statement(kInsert).execute({"/srv/a.git"});
  }));
  detail::WalFile wal(database->path());
  CHECK(wal.sync());
  // SQLite made its log anew (another inode at the path): the new one is synced.
  const auto log = database->path() + "-wal";
  std::filesystem::rename(log, log + ".old");
  std::filesystem::copy_file(log + ".old", log);
  CHECK(descriptors_on(log) == 0);
  CHECK(wal.sync());
  CHECK(descriptors_on(log) == 1);
  std::filesystem::remove(log);
  const auto missing = wal.sync();
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message,
             Catch::StartsWith("cannot sync " + log + ": ") && Catch::Contains("No such file"));
  std::filesystem::rename(log + ".old", log);
  CHECK(wal.sync());
}

TEST_CASE("database: locked() turns SQLite's refusal into an error naming the file and the operation",
          "[unit][store]") {
  TempDir dir;
  auto database = open_database(dir);
  const auto refused =
      database->locked("read a table", [](detail::Connection& connection) -> turnout::util::Status {
        connection.statement("SELECT * FROM no_such_table").execute();
        return turnout::util::Ok{};
      });
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message ==
        "run store " + database->path() + ": read a table: no such table: no_such_table");
}

TEST_CASE("statement: a constraint is told apart from other errors, and rows keep NULL, integers and text",
          "[unit][store]") {
  TempDir dir;
  open_database(dir);
  detail::Connection connection((dir / "turnout.db").string());
  try {
    connection.statement("INSERT INTO runs (repo, status, rerun_of) VALUES ('x', 'queued', 99)").execute();
    FAIL("a rerun_of naming no run was accepted");
  } catch (const detail::SqlError& error) {
    CHECK(error.is_constraint());
  }
  try {
    connection.statement("SELECT nothing FROM runs").execute();
    FAIL("an unknown column was accepted");
  } catch (const detail::SqlError& error) {
    CHECK_FALSE(error.is_constraint());
  }
  const auto rows = connection.statement("SELECT NULL, 42, 'text', '7'").rows();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].is_null(0));
  CHECK(rows[0].nullable_integer(0) == std::nullopt);
  CHECK(rows[0].text(0).empty());
  CHECK(rows[0].integer(1) == 42);
  CHECK(rows[0].text(1) == "42");
  CHECK(rows[0].text(2) == "text");
  CHECK(rows[0].integer(3) == 7);
  // A kept statement runs again with new values.
  auto& twice = connection.statement("SELECT ? + 1");
  CHECK(twice.first_integer({std::int64_t{1}}) == 2);
  CHECK(twice.first_integer({std::int64_t{41}}) == 42);
  CHECK(&connection.statement("SELECT ? + 1") == &twice);
}
