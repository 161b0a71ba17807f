// A page of history (RunHistory::page) and the deliveries' log (DeliveryLog): what the
// dashboard reads, filtered and paged by id, and the refusals' retention.
#include <catch2/catch.hpp>

#include "agent/store/connection.h"
#include "agent/store/store.h"
#include "tests/support/temp_dir.h"

using namespace turnout::agent;
using turnout::test::TempDir;

namespace {

std::unique_ptr<Store> open_store(const std::filesystem::path& dir) {
  auto store = Store::open(dir.string());
  if (!store) FAIL(store.error().message);
  return std::move(store).value();
}

std::int64_t add_run(Store& store, const std::string& repo_name, const std::string& branch) {
  NewRun run{"https://example.test/" + repo_name,
             "refs/heads/" + branch,
             branch,
             "abc",
             "app",
             Trigger::webhook,
             std::nullopt,
             repo_name,
             true,
             "subject line\nbody"};
  return store.history.create_run(run).value();
}

std::vector<std::int64_t> ids(const RunPage& page) {
  std::vector<std::int64_t> out;
  for (const auto& run : page.runs) out.push_back(run.id);
  return out;
}

}  // namespace

TEST_CASE("history page: filters by repository, branch and status, pages by id", "[unit][store][dashboard]") {
  TempDir dir;
  auto store = open_store(dir.path());
  const auto a1 = add_run(*store, "acme/a", "main");
  const auto b1 = add_run(*store, "acme/b", "main");
  const auto a2 = add_run(*store, "acme/a", "dev");
  const auto a3 = add_run(*store, "acme/a", "main");
  REQUIRE(store->history.finish_run(a3, RunStatus::failed, "exited 1"));

  CHECK(ids(store->history.page({}).value()) == std::vector<std::int64_t>{a3, a2, b1, a1});
  CHECK(ids(store->history.page({"acme/a", "", std::nullopt, std::nullopt, 50}).value()) ==
        std::vector<std::int64_t>{a3, a2, a1});
  CHECK(ids(store->history.page({"acme/a", "main", std::nullopt, std::nullopt, 50}).value()) ==
        std::vector<std::int64_t>{a3, a1});
  CHECK(ids(store->history.page({"", "main", RunStatus::queued, std::nullopt, 50}).value()) ==
        std::vector<std::int64_t>{b1, a1});
  CHECK(ids(store->history.page({"", "", RunStatus::failed, std::nullopt, 50}).value()) ==
        std::vector<std::int64_t>{a3});

  const auto first = store->history.page({"", "", std::nullopt, std::nullopt, 2}).value();
  CHECK(ids(first) == std::vector<std::int64_t>{a3, a2});
  CHECK(first.more);
  const auto second = store->history.page({"", "", std::nullopt, a2, 2}).value();
  CHECK(ids(second) == std::vector<std::int64_t>{b1, a1});
  CHECK_FALSE(second.more);
  CHECK(first.runs.front().message == "subject line\nbody");
}

TEST_CASE("history page: a queued run says which running run it waits for", "[unit][store][dashboard]") {
  TempDir dir;
  auto store = open_store(dir.path());
  const auto running = add_run(*store, "acme/a", "main");
  const auto waiting = add_run(*store, "acme/a", "main");
  const auto other = add_run(*store, "acme/a", "dev");
  REQUIRE(store->history.start_run(running, "app"));
  CHECK(store->history.waits_for(*store->history.get(waiting).value()).value() == running);
  CHECK_FALSE(store->history.waits_for(*store->history.get(other).value()).value());
}

TEST_CASE("delivery log: refusals are written in the background, the newest kept",
          "[unit][store][dashboard]") {
  TempDir dir;
  auto store = open_store(dir.path());
  DeliveryLog log(*store->database, 3);
  for (int i = 1; i <= 5; ++i) {
    DeliveryRecord refused;
    refused.forge = "github";
    refused.delivery_id = "d-" + std::to_string(i);
    refused.event = "push";
    refused.reason = "bad signature";
    log.refused(refused, 401);
  }
  REQUIRE(log.flush());
  const auto page = log.page(std::nullopt, 10).value();
  REQUIRE(page.deliveries.size() == 3);
  CHECK(page.deliveries[0].delivery_id == "d-5");
  CHECK(page.deliveries[2].delivery_id == "d-3");
  CHECK(page.deliveries[0].status == 401);
  CHECK(page.deliveries[0].result == "rejected");
  CHECK_FALSE(page.more);
  const auto older = log.page(page.deliveries[1].id, 1).value();
  REQUIRE(older.deliveries.size() == 1);
  CHECK(older.deliveries[0].delivery_id == "d-3");
}

TEST_CASE("deliveries: every kind is bounded, but not one whose run is still going",
          "[unit][store][dashboard]") {
  TempDir dir;
  auto store = open_store(dir.path());
  RunQueue queue(*store->database, 3);
  DeliveryLog log(*store->database, 10, 3);
  const auto delivery = [](const std::string& id, const std::string& result) {
    DeliveryRecord record;
    record.delivery_id = id;
    record.event = "push";
    record.repo = "acme/a";
    record.result = result;
    return record;
  };
  NewRun run{"https://example.test/acme/a",
             "refs/heads/main",
             "main",
             "abc",
             "app",
             Trigger::webhook,
             std::nullopt,
             "acme/a",
             true,
             "subject"};
  // Queued and ended; queued and still queued (another branch, so not superseded).
  const auto ended = queue.queue_delivery(delivery("ended", "queued"), run).value().run_id;
  REQUIRE(store->history.finish_run(ended, RunStatus::succeeded, ""));
  run.branch = "dev";
  const auto going = queue.queue_delivery(delivery("going", "queued"), run).value().run_id;
  for (int i = 1; i <= 3; ++i)
    REQUIRE(queue.record_delivery(delivery("ignored-" + std::to_string(i), "ignored")));
  log.refused(delivery("refused-1", "rejected"), 401);
  log.refused(delivery("refused-2", "rejected"), 401);
  REQUIRE(log.flush());

  std::vector<std::string> kept;
  const auto page = log.page(std::nullopt, 100).value();
  for (const auto& row : page.deliveries) kept.push_back(row.delivery_id);
  CHECK(kept == std::vector<std::string>{"refused-2", "refused-1", "ignored-3", "going"});
  // A repeat of the kept one is still a duplicate of its queued run.
  const auto again = queue.queue_delivery(delivery("going", "queued"), run).value();
  CHECK(again.duplicate);
  CHECK(again.run_id == going);
}
