// The store's report queue (migration 6): order per key, the bound, retries, dependencies.
#include <catch2/catch.hpp>

#include "agent/store/store.h"
#include "tests/support/temp_dir.h"

using namespace turnout::agent;
using turnout::test::TempDir;

namespace {

std::unique_ptr<Store> open_store(const TempDir& dir) {
  auto store = Store::open(dir.path().string());
  if (!store) FAIL(store.error().message);
  return std::move(store).value();
}

NewReport status(const std::string& key, const std::string& body) {
  return NewReport{"acme/app",   key, ReportKind::status, "http://gh/repos/acme/app/statuses/x", body,
                   std::nullopt, 1};
}

std::int64_t enqueue(Store& store, const NewReport& report, std::int64_t bound = 100) {
  auto id = store.reports.enqueue_report(report, bound);
  if (!id) FAIL(id.error().message);
  return id.value();
}

std::vector<std::string> due_bodies(Store& store, std::int64_t now_ms = 1) {
  auto due = store.reports.due_reports(now_ms, 50);
  if (!due) FAIL(due.error().message);
  std::vector<std::string> bodies;
  for (const auto& record : due.value()) bodies.push_back(record.report.body);
  return bodies;
}

}  // namespace

TEST_CASE("report queue: one report per key is due at a time, oldest first", "[unit][report]") {
  TempDir dir;
  auto store = open_store(dir);
  const auto a1 = enqueue(*store, status("a", "a1"));
  enqueue(*store, status("a", "a2"));
  const auto b1 = enqueue(*store, status("b", "b1"));
  CHECK(due_bodies(*store) == std::vector<std::string>{"a1", "b1"});
  REQUIRE(store->reports.end_report(a1, ReportState::sent, ""));
  CHECK(due_bodies(*store) == std::vector<std::string>{"a2", "b1"});
  // A report put off holds back the newer ones of its key, and nobody else.
  REQUIRE(store->reports.retry_report(b1, 5000, "HTTP 502", true));
  CHECK(due_bodies(*store, 4999) == std::vector<std::string>{"a2"});
  CHECK(due_bodies(*store, 5000) == std::vector<std::string>{"a2", "b1"});
  const auto b = store->reports.reports_of_run(1);
  REQUIRE(b);
  REQUIRE(b.value().size() == 3);
  CHECK(b.value()[2].attempts == 1);
  CHECK(b.value()[2].last_error == "HTTP 502");
  CHECK(b.value()[0].state == ReportState::sent);
  CHECK(store->counter.stats().value().reports_pending == 2);
}

TEST_CASE("report queue: a full queue drops its oldest pending status", "[unit][report]") {
  TempDir dir;
  auto store = open_store(dir);
  auto deployment = status("d", "deployment");
  deployment.kind = ReportKind::deployment;
  enqueue(*store, deployment, 3);
  const auto oldest_status = enqueue(*store, status("a", "a1"), 3);
  enqueue(*store, status("b", "b1"), 3);
  enqueue(*store, status("c", "c1"), 3);  // the fourth: a1 makes room
  CHECK(due_bodies(*store) == std::vector<std::string>{"deployment", "b1", "c1"});
  const auto all = store->reports.reports_of_run(1).value();
  REQUIRE(all.size() == 4);
  CHECK(all[1].id == oldest_status);
  CHECK(all[1].state == ReportState::dropped);
  CHECK(all[1].last_error == "the report queue was full");
  CHECK(store->counter.stats().value().reports_pending == 3);
}

TEST_CASE("report queue: a deployment status sees its deployment's state and GitHub id", "[unit][report]") {
  TempDir dir;
  auto store = open_store(dir);
  auto deployment = status("deploy 1", "deployment");
  deployment.kind = ReportKind::deployment;
  const auto made = enqueue(*store, deployment);
  auto in_progress = status("deploy 1", "in_progress");
  in_progress.kind = ReportKind::deployment_status;
  in_progress.depends_on = made;
  enqueue(*store, in_progress);
  CHECK(due_bodies(*store) == std::vector<std::string>{"deployment"});
  REQUIRE(store->reports.end_report(made, ReportState::sent, "", 4242));
  const auto due = store->reports.due_reports(1, 50).value();
  REQUIRE(due.size() == 1);
  CHECK(due[0].report.body == "in_progress");
  CHECK(due[0].dependency == ReportState::sent);
  CHECK(due[0].dependency_id == 4242);
}

TEST_CASE("report queue: pending reports survive reopening the store, pruning keeps them", "[unit][report]") {
  TempDir dir;
  {
    auto store = open_store(dir);
    for (int i = 0; i < 5; ++i) {
      const auto id = enqueue(*store, status("k" + std::to_string(i), "sent " + std::to_string(i)));
      REQUIRE(store->reports.end_report(id, ReportState::sent, ""));
    }
    enqueue(*store, status("k", "pending"));
  }
  auto store = open_store(dir);
  CHECK(due_bodies(*store) == std::vector<std::string>{"pending"});
  const auto pruned = store->reports.prune_reports(2);
  REQUIRE(pruned);
  CHECK(pruned.value() == 3);
  CHECK(store->reports.reports_of_run(1).value().size() == 3);
  CHECK(due_bodies(*store) == std::vector<std::string>{"pending"});
}
