// The agent's queue in the run store: what a push supersedes, which run a worker takes next,
// cancelling, requeueing what an interruption stopped, and the counts /metrics reads.

#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "agent/store/connection.h"
#include "agent/store/migrations.h"
#include "agent/store/store.h"
#include "tests/support/sleeping_child.h"
#include "tests/support/temp_dir.h"
#include "util/process_identity.h"

using namespace turnout::agent;
using turnout::test::TempDir;

namespace {

std::unique_ptr<Store> open_store(const TempDir& dir) {
  auto store = Store::open(dir.path().string());
  if (!store) FAIL(store.error().message);
  return std::move(store).value();
}

// A turnout.db as a release before left it: the schema up to `version`, with `prepare` run on it.
void store_at_schema(const std::string& db, int version, const std::vector<std::string>& prepare) {
  detail::Connection connection(db);
  for (const auto& migration : detail::schema_migrations()) {
    if (migration.version > version) break;
    for (const auto& statement : migration.statements) connection.exec(statement);
  }
  connection.exec("PRAGMA user_version = " + std::to_string(version));
  for (const auto& statement : prepare) connection.exec(statement);
}

NewRun push_of(const std::string& sha, const std::string& branch = "main") {
  return NewRun{"/srv/app.git",
                "refs/heads/" + branch,
                branch,
                sha,
                "",
                turnout::agent::Trigger::webhook,
                std::nullopt,
                "acme/app",
                true};
}

QueuedDelivery queue_push(Store& store, const std::string& delivery, const std::string& sha,
                          const std::string& branch = "main") {
  DeliveryRecord record{delivery, "push", "acme/app", "refs/heads/" + branch, sha, "queued", "push"};
  auto queued = store.queue.queue_delivery(record, push_of(sha, branch));
  if (!queued) FAIL(queued.error().message);
  return queued.value();
}

std::int64_t queue(Store& store, const std::string& delivery, const std::string& sha,
                   const std::string& branch = "main") {
  return queue_push(store, delivery, sha, branch).run_id;
}

RunRecord fetch(Store& store, std::int64_t id) {
  auto run = store.history.get(id);
  if (!run || !run.value()) FAIL("no run " << id);
  return *run.value();
}

std::optional<std::int64_t> claim(Store& store) {
  auto claimed = store.queue.claim_next();
  if (!claimed) FAIL(claimed.error().message);
  if (!claimed.value()) return std::nullopt;
  return claimed.value()->id;
}

}  // namespace

TEST_CASE("queue: a newer push supersedes the branch's queued runs, not other branches'",
          "[unit][store][queue]") {
  TempDir dir;
  auto store = open_store(dir);
  const auto first = queue(*store, "d1", "aaa");
  const auto other = queue(*store, "d2", "bbb", "dev");
  DeliveryRecord record{"d3", "push", "acme/app", "refs/heads/main", "ccc", "queued", "push"};
  const auto newer = store->queue.queue_delivery(record, push_of("ccc"));
  REQUIRE(newer);
  CHECK(newer.value().superseded == std::vector<std::int64_t>{first});

  const auto replaced = fetch(*store, first);
  CHECK(replaced.status == RunStatus::superseded);
  CHECK(replaced.superseded_by == newer.value().run_id);
  CHECK(replaced.reason == "superseded by run " + std::to_string(newer.value().run_id) + " (ccc)");
  CHECK(fetch(*store, other).status == RunStatus::queued);
}

TEST_CASE("queue: a worker takes the oldest run whose branch has nothing running", "[unit][store][queue]") {
  TempDir dir;
  auto store = open_store(dir);
  const auto main_run = queue(*store, "d1", "aaa");
  const auto dev_run = queue(*store, "d2", "bbb", "dev");
  CHECK(claim(*store) == main_run);
  const auto taken = fetch(*store, main_run);
  CHECK(taken.status == RunStatus::running);
  CHECK(taken.scheduled);
  CHECK(taken.repo_name == "acme/app");
  // With main running, a newer main push waits; dev goes first.
  const auto main_again = queue(*store, "d3", "ccc");
  CHECK(claim(*store) == dev_run);
  CHECK(claim(*store) == std::nullopt);
  REQUIRE(store->history.finish_run(main_run, RunStatus::succeeded, ""));
  CHECK(claim(*store) == main_again);
}

TEST_CASE("queue: runs of the CLI are never taken by a worker", "[unit][store][queue]") {
  TempDir dir;
  auto store = open_store(dir);
  auto cli = push_of("aaa");
  cli.scheduled = false;
  REQUIRE(store->history.create_run(cli));
  CHECK(claim(*store) == std::nullopt);
}

TEST_CASE("queue: with concurrency queue, nothing is superseded and runs go in order",
          "[unit][store][queue]") {
  TempDir dir;
  auto store = open_store(dir);
  const auto first = queue(*store, "d1", "aaa");
  REQUIRE(claim(*store) == first);
  REQUIRE(store->history.set_pipeline(first, "app", turnout::pipeline::Concurrency::queue));
  const auto second = queue(*store, "d2", "bbb");
  const auto third = queue(*store, "d3", "ccc");
  CHECK(fetch(*store, second).status == RunStatus::queued);
  REQUIRE(store->history.finish_run(first, RunStatus::succeeded, ""));
  CHECK(claim(*store) == second);
  CHECK(fetch(*store, third).status == RunStatus::queued);
}

TEST_CASE("queue: a running cancel-in-progress run is named for preemption by a newer push",
          "[unit][store][queue]") {
  TempDir dir;
  auto store = open_store(dir);
  const auto first = queue(*store, "d1", "aaa");
  REQUIRE(claim(*store) == first);
  CHECK(store->queue.preemptions().value().empty());
  REQUIRE(store->history.set_pipeline(first, "app", turnout::pipeline::Concurrency::supersede));
  queue(*store, "d2", "bbb");
  CHECK(store->queue.preemptions().value().empty());
  REQUIRE(store->history.set_pipeline(first, "app", turnout::pipeline::Concurrency::cancel_in_progress));
  const auto newest = queue(*store, "d3", "ccc");
  const auto found = store->queue.preemptions().value();
  REQUIRE(found.size() == 1);
  CHECK(found[0].running == first);
  CHECK(found[0].newer == newest);
}

TEST_CASE("queue: a push says whether its branch is cancel-in-progress, as the newest pipeline recorded",
          "[unit][store][queue]") {
  TempDir dir;
  auto store = open_store(dir);
  const auto first = queue_push(*store, "d1", "aaa");
  CHECK_FALSE(first.cancel_in_progress);  // no run of the branch has loaded a pipeline yet
  REQUIRE(claim(*store) == first.run_id);
  REQUIRE(
      store->history.set_pipeline(first.run_id, "app", turnout::pipeline::Concurrency::cancel_in_progress));
  CHECK(queue_push(*store, "d2", "bbb").cancel_in_progress);
  CHECK_FALSE(queue_push(*store, "d3", "ccc", "dev").cancel_in_progress);  // another branch
  REQUIRE(store->history.finish_run(first.run_id, RunStatus::succeeded, ""));
  const auto second = claim(*store);
  REQUIRE(second);
  REQUIRE(store->history.set_pipeline(
      *second, "app", turnout::pipeline::Concurrency::supersede));  // the newest pipeline changed its mind
  CHECK_FALSE(queue_push(*store, "d4", "ddd").cancel_in_progress);
}

TEST_CASE("queue: cancel_queued ends a queued run only", "[unit][store][queue]") {
  TempDir dir;
  auto store = open_store(dir);
  const auto first = queue(*store, "d1", "aaa");
  const auto other = queue(*store, "d2", "bbb", "dev");
  REQUIRE(claim(*store) == first);
  CHECK(store->queue.cancel_queued(first, "no").value() == false);
  CHECK(fetch(*store, first).status == RunStatus::running);
  CHECK(store->queue.cancel_queued(other, "cancelled through the API").value() == true);
  const auto cancelled = fetch(*store, other);
  CHECK(cancelled.status == RunStatus::cancelled);
  CHECK(cancelled.reason == "cancelled through the API");
}

TEST_CASE("queue: a run stopped for a shutdown is queued again, and its delivery stays a duplicate",
          "[unit][store][queue]") {
  TempDir dir;
  auto store = open_store(dir);
  const auto first = queue(*store, "d1", "aaa");
  REQUIRE(claim(*store) == first);
  REQUIRE(store->history.finish_run(
      first, RunEnding{RunStatus::error, "interrupted: the agent stopped", std::nullopt, true}));
  const auto runs = store->history.list(10).value();
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].status == RunStatus::queued);
  CHECK(runs[0].trigger == turnout::agent::Trigger::requeue);
  CHECK(runs[0].rerun_of == first);
  CHECK(runs[0].sha == "aaa");
  CHECK(runs[0].repo_name == "acme/app");
  DeliveryRecord repeat{"d1", "push", "acme/app", "refs/heads/main", "aaa", "queued", "push"};
  const auto again = store->queue.queue_delivery(repeat, push_of("aaa"));
  REQUIRE(again);
  CHECK(again.value().duplicate);
  CHECK(again.value().run_id == runs[0].id);
}

TEST_CASE("queue: after a crash the newest interrupted run per branch is queued again",
          "[unit][store][queue]") {
  TempDir dir;
  auto store = open_store(dir);
  const auto older = queue(*store, "d1", "aaa");
  const auto dev = queue(*store, "d2", "bbb", "dev");
  turnout::test::SleepingChild child;
  const auto owner = turnout::util::identify(child.pid());
  REQUIRE(owner);
  {
    // Another agent took both and then died.
    turnout::agent::detail::Connection connection((dir / "turnout.db").string());
    connection.statement("UPDATE runs SET status = 'running', owner_pid = ?, owner_start_time = ?")
        .execute({std::int64_t{owner->pid}, static_cast<std::int64_t>(owner->start_time)});
  }
  child.kill_and_reap();
  const auto interrupted = store->history.mark_interrupted();
  REQUIRE(interrupted);
  CHECK(interrupted.value() == std::vector<std::int64_t>{older, dev});
  const auto runs = store->history.list(10).value();
  REQUIRE(runs.size() == 4);
  for (const auto& run : {runs[0], runs[1]}) {
    CHECK(run.status == RunStatus::queued);
    CHECK(run.trigger == turnout::agent::Trigger::requeue);
  }
  CHECK(((runs[0].rerun_of == dev && runs[1].rerun_of == older) ||
         (runs[0].rerun_of == older && runs[1].rerun_of == dev)));
  // Once queued again, a second look changes nothing.
  CHECK(store->history.mark_interrupted().value().empty());
  CHECK(store->history.list(10).value().size() == 4);
}

TEST_CASE("queue: stats count deliveries by result, runs by status, and the queue", "[unit][store][queue]") {
  TempDir dir;
  auto store = open_store(dir);
  queue(*store, "d1", "aaa");
  queue(*store, "d2", "bbb", "dev");
  REQUIRE(store->queue.record_delivery({"d3", "ping", "acme/app", "", "", "pong", "ping"}));
  REQUIRE(claim(*store));
  const auto stats = store->counter.stats();
  REQUIRE(stats);
  CHECK(stats.value().queue_depth == 1);
  using Counts = std::vector<std::pair<std::string, std::int64_t>>;
  CHECK(stats.value().deliveries_by_result == Counts{{"pong", 1}, {"queued", 2}});
  CHECK(stats.value().runs_by_status == Counts{{"queued", 1},
                                               {"running", 1},
                                               {"succeeded", 0},
                                               {"failed", 0},
                                               {"cancelled", 0},
                                               {"superseded", 0},
                                               {"error", 0}});
}

TEST_CASE("queue: the branch's concurrency comes from its newest run with a pipeline, however old",
          "[unit][store][queue]") {
  TempDir dir;
  auto store = open_store(dir);
  const auto first = queue(*store, "d1", "aaa");
  REQUIRE(claim(*store) == first);
  REQUIRE(store->history.set_pipeline(first, "app", turnout::pipeline::Concurrency::supersede));
  REQUIRE(store->history.finish_run(first, RunStatus::succeeded, ""));
  const auto second = queue(*store, "d2", "bbb");
  REQUIRE(claim(*store) == second);
  REQUIRE(store->history.set_pipeline(second, "app", turnout::pipeline::Concurrency::queue));
  REQUIRE(store->history.finish_run(second, RunStatus::failed, ""));
  // Runs that never loaded a pipeline (a missing commit, say) do not change it.
  std::vector<std::int64_t> queued;
  for (int i = 0; i < 5; ++i) queued.push_back(queue(*store, "e" + std::to_string(i), "ccc"));
  for (const auto id : queued) CHECK(fetch(*store, id).status == RunStatus::queued);
  // Nor do other branches'.
  const auto dev = queue(*store, "f1", "ddd", "dev");
  REQUIRE(claim(*store) == queued.front());
  REQUIRE(store->history.set_pipeline(dev, "app", turnout::pipeline::Concurrency::supersede));
  queue(*store, "f2", "eee");
  CHECK(fetch(*store, queued.back()).status == RunStatus::queued);
}

TEST_CASE("queue: finding the branch's concurrency reads only runs that loaded a pipeline",
          "[unit][store][queue]") {
  TempDir dir;
  auto store = open_store(dir);
  detail::Connection connection(store->path());
  std::string plan;
  // The query of run_queue.cpp's branch_concurrency, as every accepted push runs it.
  for (const auto& row :
       connection
           .statement("EXPLAIN QUERY PLAN SELECT concurrency FROM runs WHERE repo = ? AND branch = ? "
                      "AND concurrency != '' ORDER BY id DESC LIMIT 1")
           .rows({"/srv/app.git", "main"}))
    plan += row.text(3) + "\n";
  INFO(plan);
  CHECK_THAT(plan, Catch::Contains("USING INDEX runs_branch_concurrency"));
  CHECK_THAT(plan, !Catch::Contains("TEMP B-TREE"));
}

TEST_CASE("deliveries queued from many threads at once are each durable, and a repeat is a duplicate",
          "[unit][store][queue]") {
  TempDir dir;
  auto store = open_store(dir);
  // 16 distinct deliveries and 8 copies of one more, all at once: they share commits (group
  // commit), yet each gets its own answer, and only one copy of the repeated id queues a run.
  constexpr int kDistinct = 16;
  constexpr int kCopies = 8;
  std::vector<QueuedDelivery> answers(kDistinct + kCopies);
  std::vector<std::string> errors(answers.size());
  std::vector<std::thread> senders;
  for (std::size_t i = 0; i < answers.size(); ++i) {
    senders.emplace_back([&, i] {
      DeliveryRecord delivery;
      delivery.delivery_id = i < kDistinct ? "delivery-" + std::to_string(i) : "repeated";
      delivery.event = "push";
      delivery.result = "queued";
      // A branch each: a newer push to the same branch would supersede the repeated one's run.
      const auto run = push_of("0123456789abcdef0123456789abcdef01234567", delivery.delivery_id);
      auto queued = store->queue.queue_delivery(delivery, run);
      if (queued) answers[i] = queued.value();
      if (!queued) errors[i] = queued.error().message;
    });
  }
  for (auto& sender : senders) sender.join();

  for (const auto& error : errors) CHECK(error.empty());
  std::set<std::int64_t> runs;
  for (int i = 0; i < kDistinct; ++i) {
    CHECK_FALSE(answers[i].duplicate);
    runs.insert(answers[i].run_id);
  }
  int duplicates = 0;
  std::set<std::int64_t> repeated_runs;
  for (int i = kDistinct; i < kDistinct + kCopies; ++i) {
    duplicates += answers[i].duplicate ? 1 : 0;
    repeated_runs.insert(answers[i].run_id);
  }
  CHECK(runs.size() == kDistinct);
  CHECK(duplicates == kCopies - 1);
  REQUIRE(repeated_runs.size() == 1);
  CHECK(runs.count(*repeated_runs.begin()) == 0);
  // Committed, not just answered: another connection to the file sees every one of them.
  detail::Connection connection((dir / "turnout.db").string());
  const auto queued = connection.statement("SELECT count(*) FROM deliveries WHERE result = 'queued'")
                          .first_integer()
                          .value_or(0);
  CHECK(queued == kDistinct + 1);
  CHECK(open_store(dir)->history.list(100).value().size() == kDistinct + 1);
}

TEST_CASE("deliveries are keyed per forge: the same id from another forge is another delivery",
          "[unit][store]") {
  TempDir dir;
  auto store = open_store(dir);
  const auto first = queue_push(*store, "d-1", std::string(40, 'a'));
  // Another branch: a push to main would supersede the first run, and a repeat of an ended run
  // is a redelivery, not a duplicate.
  DeliveryRecord gitea{"d-1",    "push", "acme/app", "refs/heads/dev", std::string(40, 'b'),
                       "queued", "push", "gitea"};
  const auto other = store->queue.queue_delivery(gitea, push_of(std::string(40, 'b'), "dev"));
  REQUIRE(other.ok());
  CHECK_FALSE(other.value().duplicate);
  CHECK(other.value().run_id != first.run_id);
  const auto again = store->queue.queue_delivery(gitea, push_of(std::string(40, 'b'), "dev"));
  REQUIRE(again.ok());
  CHECK(again.value().duplicate);
  CHECK(again.value().run_id == other.value().run_id);
  CHECK(queue_push(*store, "d-1", std::string(40, 'a')).duplicate);
}

TEST_CASE("migration 7 keeps the deliveries GitHub sent before it, as GitHub's", "[unit][store]") {
  TempDir dir;
  const auto db = (dir / "turnout.db").string();
  // A turnout.db as the release before forges left it: schema 6, one queued push.
  store_at_schema(
      db, 6,
      {"INSERT INTO runs (repo, ref, branch, sha, trigger, status, scheduled, repo_name) VALUES "
       "('/srv/app.git', 'refs/heads/main', 'main', '" +
           std::string(40, 'a') + "', 'webhook', 'queued', 1, 'acme/app')",
       "INSERT INTO deliveries (delivery_id, event, repo, ref, sha, result, reason, run_id) VALUES "
       "('old-1', 'push', 'acme/app', 'refs/heads/main', '" +
           std::string(40, 'a') + "', 'queued', 'push', 1)"});
  auto store = open_store(dir);
  detail::Connection connection(db);
  CHECK(detail::schema_version(connection) == detail::latest_schema_version());
  CHECK(connection.statement("SELECT forge FROM deliveries WHERE delivery_id = 'old-1'")
            .first_text()
            .value_or("") == "github");
  // GitHub's repeat of the old delivery is still a duplicate of its queued run; Gitea's is not.
  const auto repeat = queue_push(*store, "old-1", std::string(40, 'a'));
  CHECK(repeat.duplicate);
  CHECK(repeat.run_id == 1);
  DeliveryRecord gitea{"old-1",  "push", "acme/app", "refs/heads/main", std::string(40, 'c'),
                       "queued", "push", "gitea"};
  const auto fresh = store->queue.queue_delivery(gitea, push_of(std::string(40, 'c')));
  REQUIRE(fresh.ok());
  CHECK_FALSE(fresh.value().duplicate);
}

namespace {

// Every column of every run, in id order, as one JSON text.
std::string all_runs(detail::Connection& connection) {
  return connection
      .statement(
          "SELECT json_group_array(json_array(id, repo, ref, branch, sha, pipeline, trigger, rerun_of, "
          "status, "
          "reason, queued_at, started_at, finished_at, owner_pid, owner_start_time, scheduled, repo_name, "
          "concurrency, superseded_by, message)) FROM (SELECT * FROM runs ORDER BY id)")
      .first_text()
      .value_or("");
}

// How many times `sql` compiles to `opcode` (EXPLAIN): what a write does to the file, told by
// the program SQLite runs for it.
int opcodes(detail::Connection& connection, const std::string& sql, const std::string& opcode) {
  int count = 0;
  for (const auto& row : connection.statement("EXPLAIN " + sql).rows())
    count += row.text(1) == opcode ? 1 : 0;
  return count;
}

// The statements that queue a run and supersede one.
const std::string kInsertRun =
    "INSERT INTO runs (repo, ref, branch, sha, pipeline, trigger, rerun_of, status, queued_at, repo_name, "
    "scheduled, message) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)";
const std::string kSupersede =
    "UPDATE runs SET status = ?, reason = ?, finished_at = ?, superseded_by = ? WHERE id = ?";

const std::string kSha(40, 'a');

}  // namespace

TEST_CASE(
    "migration 11 keeps every run with its id counter and the references to it, superseding then "
    "rewrites only the status's two indexes and no write of a run builds a temporary index",
    "[unit][store]") {
  TempDir dir;
  const auto db = (dir / "turnout.db").string();
  store_at_schema(
      db, 10,
      {"INSERT INTO runs (repo, ref, branch, sha, trigger, status, reason, scheduled, repo_name, "
       "concurrency, message) VALUES ('/srv/app.git', 'refs/heads/main', 'main', '" +
           kSha + "', 'webhook', 'queued', '', 1, 'acme/app', 'supersede', 'first\nline')",
       "INSERT INTO runs (repo, ref, branch, sha, trigger, rerun_of, status, scheduled, repo_name) VALUES "
       "('/srv/app.git', 'refs/heads/main', 'main', '" +
           kSha + "', 'requeue', 1, 'queued', 1, 'acme/app')",
       "UPDATE runs SET status = 'superseded', reason = 'superseded by run 2', superseded_by = 2 "
       "WHERE id = 1",
       "INSERT INTO stages (run_id, idx, name, status) VALUES (2, 0, 'build', 'running')",
       "INSERT INTO deliveries (delivery_id, event, repo, ref, sha, result, reason, run_id) VALUES "
       "('old-1', 'push', 'acme/app', 'refs/heads/main', '" +
           kSha + "', 'queued', 'push', 2)",
       // Ids 3 to 7 were handed out once (runs the release before pruned by hand, say).
       "UPDATE sqlite_sequence SET seq = 7 WHERE name = 'runs'"});
  std::string before;
  {
    detail::Connection connection(db);
    before = all_runs(connection);
    // Every index entry of the run deleted and written anew, and a temporary index of the
    // CHECK's seven statuses built for each row written.
    CHECK(opcodes(connection, kSupersede, "IdxDelete") == 6);
    CHECK(opcodes(connection, kSupersede, "OpenEphemeral") == 1);
    CHECK(opcodes(connection, kInsertRun, "OpenEphemeral") == 1);
  }

  auto store = open_store(dir);
  detail::Connection connection(db);
  CHECK(detail::schema_version(connection) == detail::latest_schema_version());
  CHECK(all_runs(connection) == before);
  CHECK(opcodes(connection, kSupersede, "IdxDelete") == 2);
  CHECK(opcodes(connection, kSupersede, "OpenEphemeral") == 0);
  CHECK(opcodes(connection, kInsertRun, "OpenEphemeral") == 0);
  // The CHECK still holds: a status outside the seven is refused.
  try {
    connection.exec("UPDATE runs SET status = 'paused' WHERE id = 2");
    FAIL("a run was given the status 'paused'");
  } catch (const detail::SqlError& error) {
    CHECK(error.is_constraint());
  }
  std::vector<std::string> references;
  for (const auto& row : connection.statement("PRAGMA foreign_key_list(runs)").rows())
    references.push_back(row.text(3));
  CHECK(references == std::vector<std::string>{"rerun_of"});
  CHECK(connection.statement("SELECT count(*) FROM sqlite_master WHERE name = 'runs_rebuilt'")
            .first_integer() == 0);
  // The stages still belong to the runs table: one for a run that does not exist is refused.
  CHECK_THROWS_AS(connection.exec("INSERT INTO stages (run_id, idx, name) VALUES (99, 0, 'x')"),
                  detail::SqlError);

  // The next run continues the counter; it supersedes the queued run 2 as before.
  const auto next = queue_push(*store, "new-1", std::string(40, 'b'));
  CHECK(next.run_id == 8);
  CHECK(next.superseded == std::vector<std::int64_t>{2});
  CHECK(fetch(*store, 2).superseded_by == 8);
}

TEST_CASE("migration 11 on a store with a reference to a missing run fails naming it and changes nothing",
          "[unit][store]") {
  TempDir dir;
  const auto db = (dir / "turnout.db").string();
  store_at_schema(
      db, 10,
      {"PRAGMA foreign_keys = OFF",
       "INSERT INTO deliveries (delivery_id, event, result, run_id) VALUES ('lost', 'push', 'queued', 42)"});

  auto store = Store::open(dir.path().string());
  REQUIRE_FALSE(store.ok());
  CHECK_THAT(store.error().message,
             Catch::Contains("migration 11: deliveries row 1 references a missing runs"));
  detail::Connection connection(db);
  CHECK(detail::schema_version(connection) == 10);
  CHECK(connection.statement("SELECT count(*) FROM sqlite_master WHERE name = 'runs_rebuilt'")
            .first_integer() == 0);
  CHECK(connection.statement("SELECT count(*) FROM pragma_foreign_key_list('runs')").first_integer() == 2);
}
