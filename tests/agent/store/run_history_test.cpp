#include "agent/store/run_history.h"

#include <signal.h>
#include <spawn.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <functional>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "agent/store/connection.h"
#include "agent/store/migrations.h"
#include "agent/store/run_resources.h"
#include "agent/store/store.h"
#include "agent/store/store_rows.h"
#include "tests/support/sleeping_child.h"
#include "tests/support/temp_dir.h"
#include "util/process_identity.h"
#include "util/utc_time.h"

using namespace turnout::agent;
using turnout::test::TempDir;

extern char** environ;

namespace {

std::unique_ptr<Store> open_store(const std::filesystem::path& dir) {
  auto store = Store::open(dir.string());
  if (!store) FAIL(store.error().message);
  return std::move(store).value();
}

NewRun sample_run(const std::string& sha = "0123456789abcdef0123456789abcdef01234567") {
  return NewRun{"https://github.com/acme/cafeteria.git", "refs/heads/main", "main", sha, "cafeteria",
                turnout::agent::Trigger::webhook,        std::nullopt};
}

std::int64_t create(RunHistory& store, const NewRun& run) {
  auto id = store.create_run(run);
  if (!id) FAIL(id.error().message);
  return id.value();
}

RunRecord fetch(RunHistory& store, std::int64_t id) {
  auto run = store.get(id);
  if (!run) FAIL(run.error().message);
  if (!run.value()) FAIL("no run " << id);
  return *run.value();
}

bool is_timestamp(const std::string& text) {
  static const std::regex format(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  return std::regex_match(text, format);
}

// The file opened directly, as another process (or another version of turnout) would.
int user_version(const std::filesystem::path& db) {
  detail::Connection connection(db.string());
  return detail::schema_version(connection);
}

// Writes a running run owned by `owner` straight into the file: start_run always records this
// process, and the test needs a run that a different (soon dead) process started.
std::int64_t insert_running_run(const std::filesystem::path& db,
                                const turnout::util::ProcessIdentity& owner) {
  detail::Connection connection(db.string());
  connection
      .statement(
          "INSERT INTO runs (repo, trigger, status, queued_at, started_at, owner_pid, owner_start_time) "
          "VALUES ('/srv/repo', 'cli', 'running', ?, ?, ?, ?)")
      .execute({turnout::util::utc_now(), turnout::util::utc_now(), std::int64_t{owner.pid},
                static_cast<std::int64_t>(owner.start_time)});
  return connection.last_insert_rowid();
}

// Sends the default logger's lines to a string while it lives.
struct CapturedLog {
  CapturedLog() : previous(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(lines);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  }
  ~CapturedLog() { spdlog::set_default_logger(previous); }
  std::ostringstream lines;
  std::shared_ptr<spdlog::logger> previous;
};

}  // namespace

TEST_CASE("a created run reads back with every field", "[unit][store]") {
  TempDir dir;
  auto store = open_store(dir.path());
  CHECK(store->path() == (dir / "turnout.db").string());

  const auto first = create(store->history, sample_run());
  NewRun rerun{"/srv/git/cafeteria",           "",   "", "89abcdef0123456789abcdef0123456789abcdef", "",
               turnout::agent::Trigger::rerun, first};
  const auto second = create(store->history, rerun);

  const auto original = fetch(store->history, first);
  CHECK(original.id == first);
  CHECK(original.repo == "https://github.com/acme/cafeteria.git");
  CHECK(original.ref == "refs/heads/main");
  CHECK(original.branch == "main");
  CHECK(original.sha == "0123456789abcdef0123456789abcdef01234567");
  CHECK(original.pipeline == "cafeteria");
  CHECK(original.trigger == turnout::agent::Trigger::webhook);
  CHECK_FALSE(original.rerun_of);
  CHECK(original.status == RunStatus::queued);
  CHECK(original.reason.empty());
  CHECK(is_timestamp(original.queued_at));
  CHECK(original.started_at.empty());
  CHECK(original.finished_at.empty());
  CHECK(original.stages.empty());

  const auto again = fetch(store->history, second);
  CHECK(again.repo == "/srv/git/cafeteria");
  CHECK(again.ref.empty());
  CHECK(again.branch.empty());
  CHECK(again.pipeline.empty());
  CHECK(again.trigger == turnout::agent::Trigger::rerun);
  REQUIRE(again.rerun_of);
  CHECK(*again.rerun_of == first);

  auto listed = store->history.list(10);
  REQUIRE(listed);
  REQUIRE(listed.value().size() == 2);
  CHECK(listed.value()[0].rerun_of == std::optional<std::int64_t>(first));
  CHECK(listed.value()[1].sha == original.sha);
  CHECK(listed.value()[1].queued_at == original.queued_at);
}

TEST_CASE("a missing run is nullopt, not an error", "[unit][store]") {
  TempDir dir;
  auto store = open_store(dir.path());
  auto missing = store->history.get(42);
  REQUIRE(missing);
  CHECK_FALSE(missing.value());
}

TEST_CASE("a rerun of a run that does not exist is refused", "[unit][store]") {
  TempDir dir;
  auto store = open_store(dir.path());
  auto run = sample_run();
  run.rerun_of = 99;
  auto id = store->history.create_run(run);
  REQUIRE_FALSE(id);
  CHECK_THAT(id.error().message, Catch::EndsWith(": create run: the run to rerun, 99, does not exist"));
  CHECK(store->history.list(10).value().empty());
}

TEST_CASE("ids increase and list gives the newest first, up to the limit", "[unit][store]") {
  TempDir dir;
  auto store = open_store(dir.path());
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(create(store->history, sample_run(std::string(40, char('a' + i)))));
  for (std::size_t i = 1; i < ids.size(); ++i) CHECK(ids[i] > ids[i - 1]);

  auto newest = store->history.list(3);
  REQUIRE(newest);
  REQUIRE(newest.value().size() == 3);
  CHECK(newest.value()[0].id == ids[4]);
  CHECK(newest.value()[1].id == ids[3]);
  CHECK(newest.value()[2].id == ids[2]);
  CHECK(newest.value()[0].sha == std::string(40, 'e'));
  CHECK(newest.value()[0].stages.empty());

  auto all = store->history.list(100);
  REQUIRE(all);
  CHECK(all.value().size() == 5);
  auto none = store->history.list(0);
  REQUIRE(none);
  CHECK(none.value().empty());
}

TEST_CASE("stages and steps are recorded, then updated in place", "[unit][store]") {
  TempDir dir;
  auto store = open_store(dir.path());
  const auto id = create(store->history, sample_run());

  StageRecord build{0, "build", turnout::steps::Status::running, "", "2026-11-22T10:00:00.000Z", "", {}};
  StageRecord test{1, "test", turnout::steps::Status::pending, "", "", "", {}};
  REQUIRE(store->history.record_stage(id, test));
  REQUIRE(store->history.record_stage(id, build));
  StepRecord install{
      0, "install", turnout::steps::Status::running, std::nullopt, "", "2026-11-22T10:00:00.100Z", ""};
  StepRecord compile{1, "compile", turnout::steps::Status::pending, std::nullopt, "", "", ""};
  REQUIRE(store->history.record_step(id, 0, compile));
  REQUIRE(store->history.record_step(id, 0, install));

  install.status = turnout::steps::Status::failed;
  install.exit_code = 2;
  install.reason = "exited 2";
  install.finished_at = "2026-11-22T10:00:05.250Z";
  REQUIRE(store->history.record_step(id, 0, install));
  build.status = turnout::steps::Status::failed;
  build.reason = "step install failed";
  build.finished_at = "2026-11-22T10:00:05.300Z";
  REQUIRE(store->history.record_stage(id, build));

  const auto run = fetch(store->history, id);
  REQUIRE(run.stages.size() == 2);
  CHECK(run.stages[0].index == 0);
  CHECK(run.stages[0].name == "build");
  CHECK(run.stages[0].status == turnout::steps::Status::failed);
  CHECK(run.stages[0].reason == "step install failed");
  CHECK(run.stages[0].started_at == "2026-11-22T10:00:00.000Z");
  CHECK(run.stages[0].finished_at == "2026-11-22T10:00:05.300Z");
  CHECK(run.stages[1].name == "test");
  CHECK(run.stages[1].steps.empty());
  REQUIRE(run.stages[0].steps.size() == 2);
  const auto& first = run.stages[0].steps[0];
  CHECK(first.index == 0);
  CHECK(first.name == "install");
  CHECK(first.status == turnout::steps::Status::failed);
  CHECK(first.exit_code == std::optional<int>(2));
  CHECK(first.reason == "exited 2");
  CHECK(first.started_at == "2026-11-22T10:00:00.100Z");
  CHECK(first.finished_at == "2026-11-22T10:00:05.250Z");
  CHECK(run.stages[0].steps[1].name == "compile");
  CHECK_FALSE(run.stages[0].steps[1].exit_code);
}

TEST_CASE("a stage of an unknown run, or a step of an unknown stage, is refused", "[unit][store]") {
  TempDir dir;
  auto store = open_store(dir.path());
  auto stage = store->history.record_stage(
      77, StageRecord{0, "build", turnout::steps::Status::running, "", "", "", {}});
  REQUIRE_FALSE(stage);
  CHECK_THAT(stage.error().message, Catch::EndsWith(": record stage 0 of run 77: no such run"));

  const auto id = create(store->history, sample_run());
  auto step = store->history.record_step(
      id, 3, StepRecord{0, "x", turnout::steps::Status::running, std::nullopt, "", "", ""});
  REQUIRE_FALSE(step);
  CHECK(step.error().message == "run store " + store->path() + ": record step 0 of stage 3 of run " +
                                    std::to_string(id) +
                                    ": the run has no such stage: record the stage before its steps");
  CHECK(fetch(store->history, id).stages.empty());
}

TEST_CASE("a run goes queued -> running -> final, and a final run is left alone", "[unit][store]") {
  TempDir dir;
  auto store = open_store(dir.path());
  CapturedLog log;
  const auto id = create(store->history, sample_run());

  REQUIRE(store->history.start_run(id, "cafeteria-v2"));
  auto running = fetch(store->history, id);
  CHECK(running.status == RunStatus::running);
  CHECK(running.pipeline == "cafeteria-v2");
  CHECK(is_timestamp(running.started_at));
  CHECK(running.finished_at.empty());

  REQUIRE(store->history.finish_run(id, RunStatus::failed, "stage test failed"));
  const auto finished = fetch(store->history, id);
  CHECK(finished.status == RunStatus::failed);
  CHECK(finished.reason == "stage test failed");
  CHECK(is_timestamp(finished.finished_at));

  // Idempotent: a second finish (a late cancel, say) changes nothing and is no error.
  CHECK(store->history.finish_run(id, RunStatus::cancelled, "cancelled by alice"));
  const auto after = fetch(store->history, id);
  CHECK(after.status == RunStatus::failed);
  CHECK(after.reason == "stage test failed");
  CHECK(after.finished_at == finished.finished_at);

  const auto lines = log.lines.str();
  CHECK_THAT(lines, Catch::Contains("run " + std::to_string(id) + ": queued -> running"));
  CHECK_THAT(lines, Catch::Contains("run " + std::to_string(id) + ": running -> failed"));
  CHECK_THAT(lines, !Catch::Contains("-> cancelled"));
}

TEST_CASE("a queued run can be finished without starting, wrong transitions fail", "[unit][store]") {
  TempDir dir;
  auto store = open_store(dir.path());
  const auto id = create(store->history, sample_run());

  auto not_final = store->history.finish_run(id, RunStatus::running, "");
  REQUIRE_FALSE(not_final);
  CHECK_THAT(not_final.error().message, Catch::Contains("running is not a final status"));

  REQUIRE(store->history.finish_run(id, RunStatus::superseded, "superseded by run 9"));
  const auto run = fetch(store->history, id);
  CHECK(run.status == RunStatus::superseded);
  CHECK(run.started_at.empty());
  CHECK(is_timestamp(run.finished_at));

  auto restart = store->history.start_run(id, "cafeteria");
  REQUIRE_FALSE(restart);
  CHECK_THAT(restart.error().message,
             Catch::Contains("start run " + std::to_string(id)) && Catch::Contains("it is superseded"));
  CHECK(fetch(store->history, id).status == RunStatus::superseded);

  auto missing = store->history.start_run(404, "x");
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message, Catch::Contains("start run 404: no such run"));
  CHECK_FALSE(store->history.finish_run(404, RunStatus::failed, ""));
}

TEST_CASE("start_run records this process as the run's owner", "[unit][store]") {
  TempDir dir;
  auto store = open_store(dir.path());
  const auto id = create(store->history, sample_run());
  REQUIRE(store->history.start_run(id, "cafeteria"));

  detail::Connection connection((dir / "turnout.db").string());
  const auto row =
      connection.statement("SELECT owner_pid, owner_start_time FROM runs WHERE id = ?").rows({id}).at(0);
  const auto pid = row.integer(0);
  const auto start_time = row.integer(1);
  const auto self = turnout::util::self_identity();
  CHECK(pid == self.pid);
  CHECK(static_cast<std::uint64_t>(start_time) == self.start_time);
}

TEST_CASE("a reopened store keeps its runs and does not migrate again", "[unit][store]") {
  TempDir dir;
  const auto db = dir / "turnout.db";
  std::int64_t id = 0;
  {
    auto store = open_store(dir.path());
    id = create(store->history, sample_run());
    REQUIRE(store->history.start_run(id, "cafeteria"));
  }
  REQUIRE(user_version(db) == detail::latest_schema_version());

  // Re-running migration 1 would fail: its CREATE TABLEs have no IF NOT EXISTS.
  auto store = open_store(dir.path());
  CHECK(user_version(db) == detail::latest_schema_version());
  const auto run = fetch(store->history, id);
  CHECK(run.status == RunStatus::running);
  CHECK(run.pipeline == "cafeteria");
  CHECK(create(store->history, sample_run()) > id);

  detail::Connection connection(db.string());
  const auto mode = connection.statement("PRAGMA journal_mode").first_text().value_or("");
  CHECK(mode == "wal");
}

TEST_CASE("a database newer than this turnout is refused with a clear error", "[unit][store]") {
  TempDir dir;
  const auto db = dir / "turnout.db";
  const int future = detail::latest_schema_version() + 3;
  {
    detail::Connection connection(db.string());
    connection.exec("PRAGMA user_version = " + std::to_string(future));
  }
  auto store = Store::open(dir.path().string());
  REQUIRE_FALSE(store);
  CHECK(store.error().message == "run store " + db.string() + ": turnout.db has schema version " +
                                     std::to_string(future) + ", this turnout knows up to " +
                                     std::to_string(detail::latest_schema_version()) + ": upgrade turnout");
  CHECK(user_version(db) == future);
}

TEST_CASE("a data directory that cannot be created is a clear error", "[unit][store]") {
  TempDir dir;
  const auto blocker = dir.write("not-a-dir", "a file where a folder should be");
  auto store = Store::open((blocker / "data").string());
  REQUIRE_FALSE(store);
  CHECK_THAT(store.error().message,
             Catch::StartsWith("run store " + (blocker / "data" / "turnout.db").string()) &&
                 Catch::Contains("cannot create data directory"));
}

TEST_CASE("a turnout.db that is no database is an error, not an exception", "[unit][store]") {
  TempDir dir;
  dir.write("turnout.db", std::string(8192, 'x'));
  auto store = Store::open(dir.path().string());
  REQUIRE_FALSE(store);
  CHECK_THAT(store.error().message, Catch::StartsWith("run store " + (dir / "turnout.db").string() + ": ") &&
                                        Catch::Contains("not a database"));
}

TEST_CASE("open creates the data directory", "[unit][store]") {
  TempDir dir;
  const auto nested = dir / "var/lib/turnout";
  auto store = open_store(nested);
  CHECK(std::filesystem::is_regular_file(nested / "turnout.db"));
  CHECK(create(store->history, sample_run()) == 1);
}

TEST_CASE("two stores on one file, as two processes, both write and see each other", "[unit][store]") {
  TempDir dir;
  auto first = open_store(dir.path());
  auto second = open_store(dir.path());

  const auto a = create(first->history, sample_run());
  const auto b = create(second->history, sample_run());
  CHECK(b > a);
  REQUIRE(second->history.start_run(a, "cafeteria"));
  REQUIRE(first->history.finish_run(b, RunStatus::cancelled, "cancelled"));
  CHECK(first->history.get(a).value()->status == RunStatus::running);
  CHECK(second->history.get(b).value()->status == RunStatus::cancelled);

  // Several threads on each store at once: every insert lands, with distinct ids.
  std::vector<std::thread> writers;
  std::vector<std::vector<std::int64_t>> ids(4);
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      RunHistory& store = t % 2 == 0 ? first->history : second->history;
      for (int i = 0; i < 20; ++i) {
        auto id = store.create_run(sample_run());
        if (id) ids[t].push_back(id.value());
      }
    });
  }
  for (auto& writer : writers) writer.join();
  std::set<std::int64_t> distinct;
  for (const auto& some : ids) distinct.insert(some.begin(), some.end());
  CHECK(distinct.size() == 80);
  CHECK(first->history.list(1000).value().size() == 82);
}

TEST_CASE("stores opened on a new file at the same moment migrate it once", "[unit][store]") {
  TempDir dir;
  std::vector<std::thread> openers;
  std::vector<std::string> errors(6);
  for (std::size_t i = 0; i < errors.size(); ++i) {
    openers.emplace_back([&, i] {
      auto store = Store::open(dir.path().string());
      if (!store) {
        errors[i] = store.error().message;
        return;
      }
      const auto created = store.value()->history.create_run(sample_run());
      errors[i] = created ? "" : created.error().message;
    });
  }
  for (auto& opener : openers) opener.join();
  for (const auto& error : errors) CHECK(error.empty());
  CHECK(user_version(dir / "turnout.db") == detail::latest_schema_version());
  CHECK(open_store(dir.path())->history.list(100).value().size() == errors.size());
}

TEST_CASE("mark_interrupted ends the runs of a killed process, not those of a live one", "[unit][store]") {
  TempDir dir;
  auto store = open_store(dir.path());
  const auto ours = create(store->history, sample_run());
  REQUIRE(store->history.start_run(ours, "cafeteria"));
  const auto queued = create(store->history, sample_run());

  turnout::test::SleepingChild child;
  const auto owner = turnout::util::identify(child.pid());
  REQUIRE(owner);
  const auto theirs = insert_running_run(dir / "turnout.db", *owner);

  auto while_alive = store->history.mark_interrupted();
  REQUIRE(while_alive);
  CHECK(while_alive.value().empty());
  CHECK(fetch(store->history, theirs).status == RunStatus::running);

  child.kill_and_reap();
  auto after_kill = store->history.mark_interrupted();
  REQUIRE(after_kill);
  CHECK(after_kill.value() == std::vector<std::int64_t>{theirs});

  const auto interrupted = fetch(store->history, theirs);
  CHECK(interrupted.status == RunStatus::error);
  CHECK(interrupted.reason == "interrupted");
  CHECK(is_timestamp(interrupted.finished_at));
  CHECK(fetch(store->history, ours).status == RunStatus::running);
  CHECK(fetch(store->history, queued).status == RunStatus::queued);

  auto again = store->history.mark_interrupted();
  REQUIRE(again);
  CHECK(again.value().empty());
}

TEST_CASE("mark_interrupted treats a recycled pid as gone", "[unit][store]") {
  TempDir dir;
  auto store = open_store(dir.path());
  auto impostor = turnout::util::self_identity();
  impostor.start_time += 100;  // our pid, but a different process once had it
  const auto id = insert_running_run(dir / "turnout.db", impostor);
  auto marked = store->history.mark_interrupted();
  REQUIRE(marked);
  CHECK(marked.value() == std::vector<std::int64_t>{id});
}

TEST_CASE("a step's peak memory, CPU time and pressure are kept with it, and unknown stays null",
          "[unit][store][pressure]") {
  using turnout::util::PressureScope;
  TempDir dir;
  auto store = open_store(dir.path());
  const auto id = create(store->history, sample_run());
  REQUIRE(store->history.record_stage(id, {0, "build", turnout::steps::Status::running, "", "", "", {}}));
  StepRecord measured{0, "make", turnout::steps::Status::succeeded, 0, "", "", ""};
  measured.peak_memory_bytes = std::int64_t{812} << 20;
  measured.cpu_ms = 72000;
  measured.pressure = turnout::steps::StepPressure{PressureScope::cgroup, {5574082004, 1, 2, 3, 4}};
  REQUIRE(store->history.record_step(id, 0, measured));
  StepRecord on_machine{1, "test", turnout::steps::Status::succeeded, 0, "", "", ""};
  on_machine.pressure = turnout::steps::StepPressure{PressureScope::machine, {0, 0, 0, 70, 0}};
  REQUIRE(store->history.record_step(id, 0, on_machine));
  REQUIRE(store->history.record_step(
      id, 0, {2, "never ran", turnout::steps::Status::skipped, std::nullopt, "", "", ""}));
  const auto steps = fetch(store->history, id).stages.at(0).steps;
  REQUIRE(steps.size() == 3);
  CHECK(steps[0].peak_memory_bytes == std::int64_t{812} << 20);
  CHECK(steps[0].cpu_ms == 72000);
  REQUIRE(steps[0].pressure.has_value());
  CHECK(steps[0].pressure->source == PressureScope::cgroup);
  CHECK(steps[0].pressure->stall == turnout::util::PressureStall{5574082004, 1, 2, 3, 4});
  REQUIRE(steps[1].pressure.has_value());
  CHECK(steps[1].pressure->source == PressureScope::machine);
  CHECK(steps[1].pressure->stall == turnout::util::PressureStall{0, 0, 0, 70, 0});
  CHECK_FALSE(steps[1].peak_memory_bytes.has_value());
  CHECK_FALSE(steps[2].peak_memory_bytes.has_value());
  CHECK_FALSE(steps[2].cpu_ms.has_value());
  CHECK_FALSE(steps[2].pressure.has_value());
}

namespace {

// A finished step at `index` that used `peak` bytes and `cpu` ms and stalled `stall` (its
// group's or the machine's); nullopt for a figure not known.
StepRecord measured_step(int index, std::optional<std::int64_t> peak, std::optional<std::int64_t> cpu,
                         std::optional<turnout::steps::StepPressure> stall) {
  StepRecord step{index, "step " + std::to_string(index), turnout::steps::Status::succeeded, 0, "", "", ""};
  step.peak_memory_bytes = peak;
  step.cpu_ms = cpu;
  step.pressure = stall;
  return step;
}

// The run `id` as the newest page of `store` shows it, with or without a filter that picks its index.
RunRecord listed(RunHistory& store, std::int64_t id, const RunFilter& filter) {
  const auto page = store.page(filter);
  if (!page) FAIL(page.error().message);
  for (const auto& run : page.value().runs)
    if (run.id == id) return run;
  FAIL("run " << id << " is not on the page");
  return {};
}

}  // namespace

TEST_CASE("a run's totals: the largest peak memory, the summed CPU time and stalls, null when unknown",
          "[unit][store][pressure][resources]") {
  using turnout::steps::Status;
  using turnout::steps::StepPressure;
  using turnout::util::PressureScope;
  using turnout::util::PressureStall;
  TempDir dir;
  auto store = open_store(dir.path());
  auto& history = store->history;
  // Two measured steps in two stages, and a skipped one with no figures, which changes nothing.
  const auto measured = create(history, sample_run());
  REQUIRE(history.record_stage(measured, {0, "build", Status::succeeded, "", "", "", {}}));
  REQUIRE(history.record_stage(measured, {1, "test", Status::succeeded, "", "", "", {}}));
  REQUIRE(history.record_step(
      measured, 0,
      measured_step(0, std::int64_t{100} << 20, 300, StepPressure{PressureScope::cgroup, {10, 1, 2, 3, 4}})));
  REQUIRE(history.record_step(
      measured, 1,
      measured_step(0, std::int64_t{700} << 20, 45, StepPressure{PressureScope::cgroup, {5, 0, 0, 1, 1}})));
  REQUIRE(history.record_step(measured, 1, {1, "never ran", Status::skipped, std::nullopt, "", "", ""}));
  // One step measured in its group, one only on the machine: the sums are said to be mixed.
  const auto mixed = create(history, sample_run());
  REQUIRE(history.record_stage(mixed, {0, "build", Status::succeeded, "", "", "", {}}));
  REQUIRE(history.record_step(
      mixed, 0, measured_step(0, std::nullopt, 7, StepPressure{PressureScope::cgroup, {1, 2, 3, 4, 5}})));
  REQUIRE(history.record_step(
      mixed, 0,
      measured_step(1, 4096, std::nullopt, StepPressure{PressureScope::machine, {10, 20, 30, 40, 50}})));
  // A step without any figure, and a run without any step.
  const auto unknown = create(history, sample_run());
  REQUIRE(history.record_stage(unknown, {0, "build", Status::succeeded, "", "", "", {}}));
  REQUIRE(history.record_step(unknown, 0, measured_step(0, std::nullopt, std::nullopt, std::nullopt)));
  const auto empty = create(history, sample_run());

  RunFilter on_branch;
  on_branch.branch = "main";
  const auto list = history.list(10);
  REQUIRE(list);
  REQUIRE(list.value().size() == 4);
  for (const auto& [name, read] : std::vector<std::pair<std::string, std::function<RunRecord(std::int64_t)>>>{
           {"list",
            [&](std::int64_t id) {
              for (const auto& run : list.value())
                if (run.id == id) return run;
              FAIL("run " << id << " is not listed");
              return RunRecord{};
            }},
           {"page", [&](std::int64_t id) { return listed(history, id, RunFilter{}); }},
           {"page of a branch", [&](std::int64_t id) { return listed(history, id, on_branch); }},
           {"get", [&](std::int64_t id) { return fetch(history, id); }}}) {
    INFO(name);
    const auto totals = read(measured).resources;
    CHECK(totals.peak_memory_bytes == std::int64_t{700} << 20);
    CHECK(totals.cpu_ms == 345);
    REQUIRE(totals.pressure.has_value());
    CHECK(totals.pressure->source == PressureScope::cgroup);
    CHECK(totals.pressure->stall == PressureStall{15, 1, 2, 4, 5});

    const auto both = read(mixed).resources;
    CHECK(both.peak_memory_bytes == 4096);
    CHECK(both.cpu_ms == 7);
    REQUIRE(both.pressure.has_value());
    CHECK_FALSE(both.pressure->source.has_value());
    CHECK(both.pressure->stall == PressureStall{11, 22, 33, 44, 55});

    for (const auto id : {unknown, empty}) {
      const auto none = read(id).resources;
      CHECK_FALSE(none.peak_memory_bytes.has_value());
      CHECK_FALSE(none.cpu_ms.has_value());
      CHECK_FALSE(none.pressure.has_value());
    }
  }
}

TEST_CASE("a page's totals read each run's steps through the steps' key, never the whole table",
          "[unit][store][resources]") {
  TempDir dir;
  auto store = open_store(dir.path());
  detail::Connection connection(store->path());
  for (const std::string where : {"", " AND branch = ?2"}) {
    std::string plan;
    for (const auto& row :
         connection
             .statement("EXPLAIN QUERY PLAN " +
                        detail::with_resources("SELECT " + std::string(detail::kRunColumns) +
                                               " FROM runs WHERE id < ?4" + where +
                                               " ORDER BY id DESC LIMIT ?5"))
             .rows({"", "main", "", std::int64_t{1000}, std::int64_t{51}}))
      plan += row.text(3) + "\n";
    INFO(plan);
    CHECK_THAT(plan,
               Catch::Contains("SEARCH steps USING INDEX sqlite_autoindex_steps_1 (run_id=?)") ||
                   Catch::Contains("SEARCH steps USING COVERING INDEX sqlite_autoindex_steps_1 (run_id=?)"));
    CHECK_THAT(plan, !Catch::Contains("SCAN steps"));
  }
}
