#include "agent/store/run_history.h"

#include <spdlog/spdlog.h>
#include <sys/types.h>

#include <limits>
#include <utility>

#include "agent/store/run_resources.h"
#include "agent/store/status_change.h"
#include "agent/store/store_rows.h"
#include "util/utc_time.h"

namespace turnout::agent {
namespace {

using namespace detail;

using steps::Status;

Status step_status_of(const std::string& name, std::int64_t run_id) {
  if (auto status = steps::parse_status(name)) return *status;
  throw SqlError(0,
                 "run " + std::to_string(run_id) + " has a stage or step with unknown status '" + name + "'");
}

// Who a stage's or step's status change is about, as the log says it.
std::string stage_subject(std::int64_t run_id, const std::string& stage) {
  return "run " + std::to_string(run_id) + ", stage " + stage;
}

std::string step_subject(std::int64_t run_id, int stage_index, const std::string& step) {
  return "run " + std::to_string(run_id) + ", stage " + std::to_string(stage_index) + ", step " + step;
}

// Logs a stage's or step's change from `before` (nullopt: it was not recorded yet) to `after`.
void log_if_changed(const std::string& subject, const std::optional<std::string>& before, Status after) {
  if (before && *before == to_string(after)) return;
  log_status_change(subject, before.value_or("none"), to_string(after), spdlog::level::debug);
}

std::vector<StageRecord> read_stages(Connection& connection, std::int64_t run_id) {
  std::vector<StageRecord> stages;
  for (const auto& row :
       connection
           .statement("SELECT idx, name, status, reason, started_at, finished_at FROM stages "
                      "WHERE run_id = ? ORDER BY idx")
           .rows({run_id})) {
    StageRecord stage;
    stage.index = static_cast<int>(row.integer(0));
    stage.name = row.text(1);
    stage.status = step_status_of(row.text(2), run_id);
    stage.reason = row.text(3);
    stage.started_at = row.text(4);
    stage.finished_at = row.text(5);
    stages.push_back(std::move(stage));
  }
  return stages;
}

// A step's pressure from its source's column `first` and the five stall columns after it; nullopt
// when the source is NULL (or a name this version does not know).
std::optional<steps::StepPressure> pressure_of(const SqlRow& row, std::size_t first) {
  const auto source = util::parse_pressure_scope(row.text(first));
  if (row.is_null(first) || !source) return std::nullopt;
  const auto micros = [&](std::size_t offset) {
    return static_cast<std::uint64_t>(row.integer(first + offset));
  };
  return steps::StepPressure{*source, {micros(1), micros(2), micros(3), micros(4), micros(5)}};
}

// The stall columns' values of `pressure`: NULL when it is not known.
std::optional<std::int64_t> stall_value(const std::optional<steps::StepPressure>& pressure,
                                        std::uint64_t util::PressureStall::*field) {
  if (!pressure) return std::nullopt;
  return static_cast<std::int64_t>(pressure->stall.*field);
}

// Puts each step under its stage; the foreign key guarantees the stage exists.
void read_steps(Connection& connection, std::int64_t run_id, std::vector<StageRecord>& stages) {
  for (const auto& row : connection
                             .statement("SELECT stage_idx, idx, name, status, exit_code, reason, started_at, "
                                        "finished_at, peak_memory_bytes, cpu_ms, pressure_source, "
                                        "cpu_some_stall_us, memory_some_stall_us, memory_full_stall_us, "
                                        "io_some_stall_us, io_full_stall_us FROM steps WHERE run_id = ? "
                                        "ORDER BY stage_idx, idx")
                             .rows({run_id})) {
    const auto stage_index = static_cast<int>(row.integer(0));
    StepRecord step;
    step.index = static_cast<int>(row.integer(1));
    step.name = row.text(2);
    step.status = step_status_of(row.text(3), run_id);
    if (auto code = row.nullable_integer(4)) step.exit_code = static_cast<int>(*code);
    step.reason = row.text(5);
    step.started_at = row.text(6);
    step.finished_at = row.text(7);
    step.peak_memory_bytes = row.nullable_integer(8);
    step.cpu_ms = row.nullable_integer(9);
    step.pressure = pressure_of(row, 10);
    for (auto& stage : stages) {
      if (stage.index == stage_index) stage.steps.push_back(std::move(step));
    }
  }
}

// A row of with_resources(): the run and its totals.
RunRecord with_totals(const SqlRow& row) {
  RunRecord run = run_from_row(row);
  run.resources = resources_from_row(row);
  return run;
}

void upsert_stage(Connection& connection, std::int64_t run_id, const StageRecord& stage) {
  const auto before = connection.statement("SELECT status FROM stages WHERE run_id = ? AND idx = ?")
                          .first_text({run_id, std::int64_t{stage.index}});
  connection
      .statement(
          "INSERT INTO stages (run_id, idx, name, status, reason, started_at, finished_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, idx) DO UPDATE SET "
          "name = excluded.name, status = excluded.status, reason = excluded.reason, "
          "started_at = excluded.started_at, finished_at = excluded.finished_at")
      .execute({run_id, std::int64_t{stage.index}, stage.name, to_string(stage.status), stage.reason,
                stage.started_at, stage.finished_at});
  log_if_changed(stage_subject(run_id, stage.name), before, stage.status);
}

void upsert_step(Connection& connection, std::int64_t run_id, int stage_index, const StepRecord& step) {
  const auto exit_code = step.exit_code ? std::optional<std::int64_t>(*step.exit_code) : std::nullopt;
  const auto before =
      connection.statement("SELECT status FROM steps WHERE run_id = ? AND stage_idx = ? AND idx = ?")
          .first_text({run_id, std::int64_t{stage_index}, std::int64_t{step.index}});
  connection
      .statement(
          "INSERT INTO steps (run_id, stage_idx, idx, name, status, exit_code, reason, started_at, "
          "finished_at, peak_memory_bytes, cpu_ms, pressure_source, cpu_some_stall_us, memory_some_stall_us, "
          "memory_full_stall_us, io_some_stall_us, io_full_stall_us) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT "
          "(run_id, stage_idx, idx) DO UPDATE SET name = excluded.name, status = excluded.status, "
          "exit_code = excluded.exit_code, reason = excluded.reason, started_at = excluded.started_at, "
          "finished_at = excluded.finished_at, peak_memory_bytes = excluded.peak_memory_bytes, "
          "cpu_ms = excluded.cpu_ms, pressure_source = excluded.pressure_source, "
          "cpu_some_stall_us = excluded.cpu_some_stall_us, "
          "memory_some_stall_us = excluded.memory_some_stall_us, "
          "memory_full_stall_us = excluded.memory_full_stall_us, "
          "io_some_stall_us = excluded.io_some_stall_us, io_full_stall_us = excluded.io_full_stall_us")
      .execute({run_id, std::int64_t{stage_index}, std::int64_t{step.index}, step.name,
                to_string(step.status), nullable(exit_code), step.reason, step.started_at, step.finished_at,
                nullable(step.peak_memory_bytes), nullable(step.cpu_ms),
                step.pressure ? SqlValue(std::string_view(util::to_string(step.pressure->source)))
                              : SqlValue(nullptr),
                nullable(stall_value(step.pressure, &util::PressureStall::cpu_some_us)),
                nullable(stall_value(step.pressure, &util::PressureStall::memory_some_us)),
                nullable(stall_value(step.pressure, &util::PressureStall::memory_full_us)),
                nullable(stall_value(step.pressure, &util::PressureStall::io_some_us)),
                nullable(stall_value(step.pressure, &util::PressureStall::io_full_us))});
  log_if_changed(step_subject(run_id, stage_index, step.name), before, step.status);
}

std::optional<RunStatus> read_status(Connection& connection, std::int64_t id) {
  const auto found = connection.statement("SELECT status FROM runs WHERE id = ?").first_text({id});
  if (!found) return std::nullopt;
  return status_of(*found, id);
}

// The ids of running runs whose owner process is gone (dead, a zombie, or its pid reused).
std::vector<std::int64_t> orphaned_runs(Connection& connection) {
  std::vector<std::int64_t> gone;
  for (const auto& row :
       connection.statement("SELECT id, owner_pid, owner_start_time FROM runs WHERE status = ? ORDER BY id")
           .rows({to_string(RunStatus::running)})) {
    const util::ProcessIdentity owner{static_cast<pid_t>(row.integer(1)),
                                      static_cast<std::uint64_t>(row.integer(2))};
    if (!util::is_alive(owner)) gone.push_back(row.integer(0));
  }
  return gone;
}

// Queues again the newest interrupted run of the agent's queue per repository and branch,
// unless something newer of that branch is queued or running (it builds a newer commit anyway).
// Returns (interrupted, new) pairs.
std::vector<std::pair<std::int64_t, std::int64_t>> requeue_newest(
    Connection& connection, const std::vector<std::int64_t>& interrupted) {
  std::vector<std::pair<std::int64_t, std::int64_t>> requeued;
  for (auto id = interrupted.rbegin(); id != interrupted.rend(); ++id) {
    const auto run = read_run(connection, *id);
    if (!run || !run->scheduled) continue;
    const auto newer =
        connection
            .statement(
                "SELECT COUNT(*) FROM runs WHERE repo = ? AND branch = ? AND id > ? AND scheduled = 1 "
                "AND (status IN ('queued', 'running') OR (status = 'error' AND reason = 'interrupted'))")
            .first_integer({run->repo, run->branch, run->id})
            .value_or(0);
    if (newer == 0) requeued.emplace_back(run->id, requeue(connection, *run));
  }
  return requeued;
}

// Ends, as failed with `reason`, the stages and steps of `run_id` still running; returns who
// changed, for the log once committed.
std::vector<std::string> fail_running(Connection& connection, std::int64_t run_id,
                                      const std::string& reason = "interrupted") {
  std::vector<std::string> changed;
  for (const auto& row :
       connection.statement("SELECT stage_idx, name FROM steps WHERE run_id = ? AND status = ?")
           .rows({run_id, to_string(Status::running)}))
    changed.push_back(step_subject(run_id, static_cast<int>(row.integer(0)), row.text(1)));
  for (const auto& row : connection.statement("SELECT name FROM stages WHERE run_id = ? AND status = ?")
                             .rows({run_id, to_string(Status::running)}))
    changed.push_back(stage_subject(run_id, row.text(0)));
  for (const char* table : {"steps", "stages"}) {
    connection
        .statement(std::string("UPDATE ") + table +
                   " SET status = ?, reason = ?, finished_at = ? WHERE run_id = ? AND status = ?")
        .execute({to_string(Status::failed), reason, util::utc_now(), run_id, to_string(Status::running)});
  }
  return changed;
}

}  // namespace

util::Result<std::int64_t> RunHistory::create_run(const NewRun& run) {
  return database_.locked("create run", [&](Connection& connection) -> util::Result<std::int64_t> {
    try {
      const auto id = insert_run(connection, run);
      spdlog::debug("run {}: queued", id);
      return id;
    } catch (const SqlError& error) {
      if (!error.is_constraint()) throw;
      // The only constraint a caller can break: rerun_of must name a recorded run.
      return util::fail("the run to rerun, " + std::to_string(run.rerun_of.value_or(0)) + ", does not exist");
    }
  });
}

util::Status RunHistory::start_run(std::int64_t id, const std::string& pipeline) {
  return database_.locked("start run " + std::to_string(id), [&](Connection& connection) -> util::Status {
    Transaction transaction(connection, Transaction::Kind::write);
    const auto old = read_status(connection, id);
    if (!old) return util::fail("no such run");
    if (*old != RunStatus::queued) {
      return util::fail(std::string("it is ") + to_string(*old) + ", only a queued run can start");
    }
    write_started(connection, id, pipeline);
    transaction.commit();
    log_transition(id, *old, RunStatus::running);
    return util::Ok{};
  });
}

util::Status RunHistory::set_pipeline(std::int64_t id, const std::string& name,
                                      pipeline::Concurrency concurrency) {
  return database_.locked("record the pipeline of run " + std::to_string(id),
                          [&](Connection& connection) -> util::Status {
                            connection.statement("UPDATE runs SET pipeline = ?, concurrency = ? WHERE id = ?")
                                .execute({name, pipeline::to_string(concurrency), id});
                            return util::Ok{};
                          });
}

util::Status RunHistory::finish_run(std::int64_t id, RunStatus status, const std::string& reason) {
  return finish_run(id, RunEnding{status, reason});
}

util::Status RunHistory::finish_run(std::int64_t id, const RunEnding& ending) {
  return database_.locked("finish run " + std::to_string(id), [&](Connection& connection) -> util::Status {
    if (!is_final(ending.status))
      return util::fail(std::string(to_string(ending.status)) + " is not a final status");
    Transaction transaction(connection, Transaction::Kind::write);
    const auto run = read_run(connection, id);
    if (!run) return util::fail("no such run");
    if (is_final(run->status)) {
      spdlog::debug("run {}: already {}, not {}", id, to_string(run->status), to_string(ending.status));
      return util::Ok{};
    }
    // What its stages and steps did that the store could not write then; any still open after
    // that never had its end written, and no one runs it any more.
    for (const auto& stage : ending.progress.stages) upsert_stage(connection, id, stage);
    for (const auto& [stage_index, step] : ending.progress.steps)
      upsert_step(connection, id, stage_index, step);
    const auto closed = fail_running(connection, id, "its end was not recorded: the store could not write");
    write_finished(connection, id, ending.status, ending.reason, ending.superseded_by, ending.finished_at);
    const auto again = ending.requeue ? std::optional<std::int64_t>(requeue(connection, *run)) : std::nullopt;
    transaction.commit();
    for (const auto& subject : closed)
      log_status_change(subject, to_string(Status::running), to_string(Status::failed));
    log_transition(id, run->status, ending.status);
    if (again) spdlog::info("run {}: queued again as run {}", id, *again);
    return util::Ok{};
  });
}

util::Status RunHistory::record_stage(std::int64_t run_id, const StageRecord& stage) {
  const auto what = "record stage " + std::to_string(stage.index) + " of run " + std::to_string(run_id);
  return database_.locked(what, [&](Connection& connection) -> util::Status {
    try {
      upsert_stage(connection, run_id, stage);
    } catch (const SqlError& error) {
      if (!error.is_constraint()) throw;
      return util::fail("no such run");
    }
    return util::Ok{};
  });
}

util::Status RunHistory::record_step(std::int64_t run_id, int stage_index, const StepRecord& step) {
  const auto what = "record step " + std::to_string(step.index) + " of stage " + std::to_string(stage_index) +
                    " of run " + std::to_string(run_id);
  return database_.locked(what, [&](Connection& connection) -> util::Status {
    try {
      upsert_step(connection, run_id, stage_index, step);
    } catch (const SqlError& error) {
      if (!error.is_constraint()) throw;
      return util::fail("the run has no such stage: record the stage before its steps");
    }
    return util::Ok{};
  });
}

util::Status RunHistory::record_step_group(std::int64_t run_id, int stage_index, int step_index,
                                           const util::ProcessIdentity& leader) {
  const auto what =
      "record the process group of step " + std::to_string(step_index) + " of run " + std::to_string(run_id);
  return database_.locked(what, [&](Connection& connection) -> util::Status {
    connection
        .statement(
            "UPDATE steps SET pgid = ?, pgid_start_time = ? WHERE run_id = ? AND stage_idx = ? AND idx = ?")
        .execute({std::int64_t{leader.pid}, static_cast<std::int64_t>(leader.start_time), run_id,
                  std::int64_t{stage_index}, std::int64_t{step_index}});
    return util::Ok{};
  });
}

util::Result<std::vector<RunRecord>> RunHistory::list(int limit) {
  return database_.locked("list runs", [&](Connection& connection) -> util::Result<std::vector<RunRecord>> {
    std::vector<RunRecord> runs;
    if (limit <= 0) return runs;
    static const std::string sql =
        with_resources(std::string("SELECT ") + kRunColumns + " FROM runs ORDER BY id DESC LIMIT ?");
    for (const auto& row : connection.statement(sql).rows({std::int64_t{limit}}))
      runs.push_back(with_totals(row));
    return runs;
  });
}

util::Status RunHistory::set_commit(std::int64_t id, const std::string& sha) {
  return database_.locked(
      "record the commit of run " + std::to_string(id), [&](Connection& connection) -> util::Status {
        connection.statement("UPDATE runs SET sha = ? WHERE id = ? AND sha = ''").execute({sha, id});
        return util::Ok{};
      });
}

namespace {

// The SQL of a page, with each run's totals: only the filters given, so that SQLite picks their
// index. Every parameter keeps its number (?1 repo_name, ?2 branch, ?3 status, ?4 before, ?5
// limit, ?6 repo) whichever are used.
std::string page_sql(const RunFilter& filter) {
  std::string sql = std::string("SELECT ") + kRunColumns + " FROM runs WHERE id < ?4";
  if (!filter.repo_name.empty()) sql += " AND repo_name = ?1";
  if (!filter.branch.empty()) sql += " AND branch = ?2";
  if (filter.status) sql += " AND status = ?3";
  if (!filter.repo.empty()) sql += " AND repo = ?6";
  return with_resources(sql + " ORDER BY id DESC LIMIT ?5");
}

}  // namespace

util::Result<RunPage> RunHistory::page(const RunFilter& filter) {
  return database_.locked("list runs", [&](Connection& connection) -> util::Result<RunPage> {
    RunPage page;
    if (filter.limit <= 0) return page;
    const std::string status = filter.status ? to_string(*filter.status) : "";
    const std::int64_t before = filter.before.value_or(std::numeric_limits<std::int64_t>::max());
    auto& statement = connection.statement(page_sql(filter));
    const std::int64_t limit = std::int64_t{filter.limit} + 1;
    // ?6 is bound only when the SQL has it.
    const auto rows =
        filter.repo.empty()
            ? statement.rows({filter.repo_name, filter.branch, status, before, limit})
            : statement.rows({filter.repo_name, filter.branch, status, before, limit, filter.repo});
    for (const auto& row : rows) page.runs.push_back(with_totals(row));
    page.more = page.runs.size() > static_cast<std::size_t>(filter.limit);
    if (page.more) page.runs.pop_back();
    return page;
  });
}

util::Result<std::optional<std::int64_t>> RunHistory::waits_for(const RunRecord& run) {
  return database_.locked("find what run " + std::to_string(run.id) + " waits for",
                          [&](Connection& connection) -> util::Result<std::optional<std::int64_t>> {
                            return connection
                                .statement(
                                    "SELECT id FROM runs WHERE repo = ? AND branch = ? AND status = ? "
                                    "AND scheduled = 1 AND id != ? ORDER BY id LIMIT 1")
                                .first_integer({run.repo, run.branch, "running", run.id});
                          });
}

util::Result<std::optional<RunRecord>> RunHistory::get(std::int64_t id) {
  return database_.locked("get run " + std::to_string(id),
                          [&](Connection& connection) -> util::Result<std::optional<RunRecord>> {
                            // One read transaction: the run, its stages and its steps as of one moment.
                            Transaction transaction(connection, Transaction::Kind::read);
                            auto found = read_run(connection, id);
                            if (!found) return std::optional<RunRecord>();
                            RunRecord run = std::move(*found);
                            run.stages = read_stages(connection, id);
                            read_steps(connection, id, run.stages);
                            run.resources = read_resources(connection, id);
                            transaction.commit();
                            return std::optional<RunRecord>(std::move(run));
                          });
}

util::Result<std::string> RunHistory::latest_pipeline(const std::string& repo_name) {
  return database_.locked(
      "find the pipeline of " + repo_name, [&](Connection& connection) -> util::Result<std::string> {
        return connection
            .statement(
                "SELECT pipeline FROM runs WHERE repo_name = ? AND pipeline != '' ORDER BY id DESC LIMIT 1")
            .first_text({repo_name})
            .value_or("");
      });
}

util::Result<std::vector<std::int64_t>> RunHistory::mark_interrupted() {
  return database_.locked("mark interrupted runs",
                          [&](Connection& connection) -> util::Result<std::vector<std::int64_t>> {
                            Transaction transaction(connection, Transaction::Kind::write);
                            const auto gone = orphaned_runs(connection);
                            for (const auto id : gone)
                              write_finished(connection, id, RunStatus::error, "interrupted");
                            const auto again = requeue_newest(connection, gone);
                            transaction.commit();
                            for (const auto id : gone)
                              log_transition(id, RunStatus::running, RunStatus::error);
                            for (const auto& [old, fresh] : again)
                              spdlog::info("run {}: queued again as run {}", old, fresh);
                            return gone;
                          });
}

util::Result<std::vector<util::ProcessIdentity>> RunHistory::take_interrupted_groups(std::int64_t run_id) {
  const auto what = "interrupted steps of run " + std::to_string(run_id);
  return database_.locked(
      what, [&](Connection& connection) -> util::Result<std::vector<util::ProcessIdentity>> {
        Transaction transaction(connection, Transaction::Kind::write);
        std::vector<util::ProcessIdentity> groups;
        for (const auto& row :
             connection
                 .statement("SELECT pgid, pgid_start_time FROM steps WHERE run_id = ? AND status = ? "
                            "AND pgid IS NOT NULL")
                 .rows({run_id, to_string(Status::running)})) {
          groups.push_back({static_cast<pid_t>(row.integer(0)), static_cast<std::uint64_t>(row.integer(1))});
        }
        const auto changed = fail_running(connection, run_id);
        transaction.commit();
        for (const auto& subject : changed)
          log_status_change(subject, to_string(Status::running), to_string(Status::failed));
        return groups;
      });
}

}  // namespace turnout::agent
