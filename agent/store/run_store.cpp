#include "agent/store/run_store.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <Poco/Nullable.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <mutex>

#include "agent/store/migrations.h"
#include "agent/store/run_store_impl.h"
#include "agent/store/sqlite.h"
#include "util/process_identity.h"
#include "util/utc_time.h"

using namespace Poco::Data::Keywords;

namespace turnout::agent {
namespace {

using Poco::Data::RecordSet;
using Poco::Data::Session;
using Poco::Data::Statement;
using Transaction = detail::Transaction;
using namespace detail;

std::vector<StageRecord> read_stages(Session& session, Poco::Int64 run_id) {
  Statement select(session);
  select << "SELECT idx, name, status, reason, started_at, finished_at FROM stages WHERE run_id = ? "
            "ORDER BY idx",
      bind(run_id), now;
  RecordSet rows(select);
  std::vector<StageRecord> stages;
  for (std::size_t row = 0; row < rows.rowCount(); ++row) {
    StageRecord stage;
    stage.index = static_cast<int>(integer(rows, 0, row));
    stage.name = text(rows, 1, row);
    stage.status = text(rows, 2, row);
    stage.reason = text(rows, 3, row);
    stage.started_at = text(rows, 4, row);
    stage.finished_at = text(rows, 5, row);
    stages.push_back(std::move(stage));
  }
  return stages;
}

// Puts each step under its stage; the foreign key guarantees the stage exists.
void read_steps(Session& session, Poco::Int64 run_id, std::vector<StageRecord>& stages) {
  Statement select(session);
  select << "SELECT stage_idx, idx, name, status, exit_code, reason, started_at, finished_at FROM steps "
            "WHERE run_id = ? ORDER BY stage_idx, idx",
      bind(run_id), now;
  RecordSet rows(select);
  for (std::size_t row = 0; row < rows.rowCount(); ++row) {
    const auto stage_index = static_cast<int>(integer(rows, 0, row));
    StepRecord step;
    step.index = static_cast<int>(integer(rows, 1, row));
    step.name = text(rows, 2, row);
    step.status = text(rows, 3, row);
    if (auto code = nullable_integer(rows, 4, row)) step.exit_code = static_cast<int>(*code);
    step.reason = text(rows, 5, row);
    step.started_at = text(rows, 6, row);
    step.finished_at = text(rows, 7, row);
    for (auto& stage : stages) {
      if (stage.index == stage_index) stage.steps.push_back(std::move(step));
    }
  }
}

void upsert_stage(Session& session, Poco::Int64 run_id, const StageRecord& stage) {
  session << "INSERT INTO stages (run_id, idx, name, status, reason, started_at, finished_at) "
             "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, idx) DO UPDATE SET "
             "name = excluded.name, status = excluded.status, reason = excluded.reason, "
             "started_at = excluded.started_at, finished_at = excluded.finished_at",
      bind(run_id), bind(stage.index), bind(stage.name), bind(stage.status), bind(stage.reason),
      bind(stage.started_at), bind(stage.finished_at), now;
}

void upsert_step(Session& session, Poco::Int64 run_id, int stage_index, const StepRecord& step) {
  const auto exit_code =
      step.exit_code ? Poco::Nullable<Poco::Int64>(*step.exit_code) : Poco::Nullable<Poco::Int64>();
  session << "INSERT INTO steps (run_id, stage_idx, idx, name, status, exit_code, reason, started_at, "
             "finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, stage_idx, idx) DO UPDATE "
             "SET name = excluded.name, status = excluded.status, exit_code = excluded.exit_code, "
             "reason = excluded.reason, started_at = excluded.started_at, finished_at = excluded.finished_at",
      bind(run_id), bind(stage_index), bind(step.index), bind(step.name), bind(step.status), bind(exit_code),
      bind(step.reason), bind(step.started_at), bind(step.finished_at), now;
}

std::optional<RunStatus> read_status(Session& session, Poco::Int64 id) {
  std::vector<std::string> found;
  session << "SELECT status FROM runs WHERE id = ?", into(found), bind(id), now;
  if (found.empty()) return std::nullopt;
  return status_of(found.front(), id);
}

// The ids of running runs whose owner process is gone (dead, a zombie, or its pid reused).
std::vector<Poco::Int64> orphaned_runs(Session& session) {
  Statement select(session);
  select << "SELECT id, owner_pid, owner_start_time FROM runs WHERE status = 'running' ORDER BY id", now;
  RecordSet rows(select);
  std::vector<Poco::Int64> gone;
  for (std::size_t row = 0; row < rows.rowCount(); ++row) {
    const util::ProcessIdentity owner{static_cast<pid_t>(integer(rows, 1, row)),
                                      static_cast<std::uint64_t>(integer(rows, 2, row))};
    if (!util::is_alive(owner)) gone.push_back(integer(rows, 0, row));
  }
  return gone;
}

// Queues again the newest interrupted run of the agent's queue per repository and branch,
// unless something newer of that branch is queued or running (it builds a newer commit anyway).
// Returns (interrupted, new) pairs.
std::vector<std::pair<Poco::Int64, Poco::Int64>> requeue_newest(Session& session,
                                                                const std::vector<Poco::Int64>& interrupted) {
  std::vector<std::pair<Poco::Int64, Poco::Int64>> requeued;
  for (auto id = interrupted.rbegin(); id != interrupted.rend(); ++id) {
    const auto run = read_run(session, *id);
    if (!run || !run->scheduled) continue;
    int newer = 0;
    session << "SELECT COUNT(*) FROM runs WHERE repo = ? AND branch = ? AND id > ? AND scheduled = 1 "
               "AND (status IN ('queued', 'running') OR (status = 'error' AND reason = 'interrupted'))",
        into(newer), bind(run->repo), bind(run->branch), bind(run->id), now;
    if (newer == 0) requeued.emplace_back(run->id, requeue(session, *run));
  }
  return requeued;
}

// Creates the data directory and checks that SQLite can create its files (db, -wal, -shm) there.
util::Status prepare_data_dir(const std::filesystem::path& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return util::fail("cannot create data directory " + dir.string() + ": " + error.message() +
                      ": create it, or choose a data_dir turnout may write");
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return util::fail("data directory " + dir.string() + " is not writable: " + std::strerror(errno) +
                      ": give turnout's user write access, or choose another data_dir");
  }
  return util::Ok{};
}

}  // namespace

RunStore::RunStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RunStore::~RunStore() = default;

util::Result<std::unique_ptr<RunStore>> RunStore::open(const std::string& data_dir) {
  if (data_dir.empty()) return util::fail("run store: no data directory given");
  const std::filesystem::path dir(data_dir);
  const std::string path = (dir / "turnout.db").string();
  if (auto ready = prepare_data_dir(dir); !ready) return prefixed("run store " + path + ": ", ready.error());
  try {
    Session session = detail::open_session(path);
    if (auto migrated = detail::migrate(session); !migrated) {
      return prefixed("run store " + path + ": ", migrated.error());
    }
    return std::unique_ptr<RunStore>(new RunStore(std::make_unique<Impl>(path, std::move(session))));
  } catch (const Poco::Exception& error) {
    return util::fail("run store " + path + ": " + describe(error));
  }
}

const std::string& RunStore::path() const { return impl_->path; }

util::Result<std::int64_t> RunStore::create_run(const NewRun& run) {
  return impl_->locked("create run", [&]() -> util::Result<std::int64_t> {
    try {
      const auto id = insert_run(impl_->session, run);
      spdlog::debug("run {}: queued", id);
      return id;
    } catch (const Poco::Data::SQLite::ConstraintViolationException&) {
      // The only constraint a caller can break: rerun_of must name a recorded run.
      return util::fail("the run to rerun, " + std::to_string(run.rerun_of.value_or(0)) + ", does not exist");
    }
  });
}

util::Status RunStore::start_run(std::int64_t id, const std::string& pipeline) {
  return impl_->locked("start run " + std::to_string(id), [&]() -> util::Status {
    Transaction transaction(impl_->session, Transaction::Kind::write);
    const auto old = read_status(impl_->session, id);
    if (!old) return util::fail("no such run");
    if (*old != RunStatus::queued) {
      return util::fail(std::string("it is ") + to_string(*old) + ", only a queued run can start");
    }
    write_started(impl_->session, id, pipeline);
    transaction.commit();
    log_transition(id, *old, RunStatus::running);
    return util::Ok{};
  });
}

util::Status RunStore::finish_run(std::int64_t id, RunStatus status, const std::string& reason) {
  return finish_run(id, RunEnding{status, reason});
}

util::Status RunStore::finish_run(std::int64_t id, const RunEnding& ending) {
  return impl_->locked("finish run " + std::to_string(id), [&]() -> util::Status {
    if (!is_final(ending.status))
      return util::fail(std::string(to_string(ending.status)) + " is not a final status");
    auto& session = impl_->session;
    Transaction transaction(session, Transaction::Kind::write);
    const auto run = read_run(session, id);
    if (!run) return util::fail("no such run");
    if (is_final(run->status)) {
      spdlog::debug("run {}: already {}, not {}", id, to_string(run->status), to_string(ending.status));
      return util::Ok{};
    }
    write_finished(session, id, ending.status, ending.reason, ending.superseded_by);
    const auto again = ending.requeue ? std::optional<Poco::Int64>(requeue(session, *run)) : std::nullopt;
    transaction.commit();
    log_transition(id, run->status, ending.status);
    if (again) spdlog::info("run {}: queued again as run {}", id, *again);
    return util::Ok{};
  });
}

util::Status RunStore::record_stage(std::int64_t run_id, const StageRecord& stage) {
  const auto what = "record stage " + std::to_string(stage.index) + " of run " + std::to_string(run_id);
  return impl_->locked(what, [&]() -> util::Status {
    try {
      upsert_stage(impl_->session, run_id, stage);
    } catch (const Poco::Data::SQLite::ConstraintViolationException&) {
      return util::fail("no such run");
    }
    return util::Ok{};
  });
}

util::Status RunStore::record_step(std::int64_t run_id, int stage_index, const StepRecord& step) {
  const auto what = "record step " + std::to_string(step.index) + " of stage " + std::to_string(stage_index) +
                    " of run " + std::to_string(run_id);
  return impl_->locked(what, [&]() -> util::Status {
    try {
      upsert_step(impl_->session, run_id, stage_index, step);
    } catch (const Poco::Data::SQLite::ConstraintViolationException&) {
      return util::fail("the run has no such stage: record the stage before its steps");
    }
    return util::Ok{};
  });
}

util::Result<std::vector<RunRecord>> RunStore::list(int limit) {
  return impl_->locked("list runs", [&]() -> util::Result<std::vector<RunRecord>> {
    std::vector<RunRecord> runs;
    if (limit <= 0) return runs;
    Statement select(impl_->session);
    select << "SELECT " << kRunColumns << " FROM runs ORDER BY id DESC LIMIT ?", bind(limit), now;
    RecordSet rows(select);
    for (std::size_t row = 0; row < rows.rowCount(); ++row) runs.push_back(run_from_row(rows, row));
    return runs;
  });
}

util::Result<std::optional<RunRecord>> RunStore::get(std::int64_t id) {
  return impl_->locked("get run " + std::to_string(id), [&]() -> util::Result<std::optional<RunRecord>> {
    auto& session = impl_->session;
    // One read transaction: the run, its stages and its steps as of one moment.
    Transaction transaction(session, Transaction::Kind::read);
    auto found = read_run(session, id);
    if (!found) return std::optional<RunRecord>();
    RunRecord run = std::move(*found);
    run.stages = read_stages(session, id);
    read_steps(session, id, run.stages);
    transaction.commit();
    return std::optional<RunRecord>(std::move(run));
  });
}

util::Result<std::vector<std::int64_t>> RunStore::mark_interrupted() {
  return impl_->locked("mark interrupted runs", [&]() -> util::Result<std::vector<std::int64_t>> {
    auto& session = impl_->session;
    Transaction transaction(session, Transaction::Kind::write);
    const auto gone = orphaned_runs(session);
    for (const auto id : gone) write_finished(session, id, RunStatus::error, "interrupted");
    const auto again = requeue_newest(session, gone);
    transaction.commit();
    for (const auto id : gone) log_transition(id, RunStatus::running, RunStatus::error);
    for (const auto& [old, fresh] : again) spdlog::info("run {}: queued again as run {}", old, fresh);
    return std::vector<std::int64_t>(gone.begin(), gone.end());
  });
}

util::Status RunStore::record_step_group(std::int64_t run_id, int stage_index, int step_index,
                                         const util::ProcessIdentity& leader) {
  const auto what =
      "record the process group of step " + std::to_string(step_index) + " of run " + std::to_string(run_id);
  return impl_->locked(what, [&]() -> util::Status {
    impl_->session
        << "UPDATE steps SET pgid = ?, pgid_start_time = ? WHERE run_id = ? AND stage_idx = ? AND idx = ?",
        bind(static_cast<Poco::Int64>(leader.pid)), bind(static_cast<Poco::Int64>(leader.start_time)),
        bind(static_cast<Poco::Int64>(run_id)), bind(stage_index), bind(step_index), now;
    return util::Ok{};
  });
}

util::Result<std::vector<util::ProcessIdentity>> RunStore::take_interrupted_groups(std::int64_t run_id) {
  const auto what = "interrupted steps of run " + std::to_string(run_id);
  return impl_->locked(what, [&]() -> util::Result<std::vector<util::ProcessIdentity>> {
    auto& session = impl_->session;
    Transaction transaction(session, Transaction::Kind::write);
    Statement select(session);
    const Poco::Int64 id = run_id;
    select << "SELECT pgid, pgid_start_time FROM steps WHERE run_id = ? AND status = 'running' "
              "AND pgid IS NOT NULL",
        bind(id), now;
    RecordSet rows(select);
    std::vector<util::ProcessIdentity> groups;
    for (std::size_t row = 0; row < rows.rowCount(); ++row) {
      groups.push_back(
          {static_cast<pid_t>(integer(rows, 0, row)), static_cast<std::uint64_t>(integer(rows, 1, row))});
    }
    session << "UPDATE steps SET status = 'failed', reason = 'interrupted', finished_at = ? "
               "WHERE run_id = ? AND status = 'running'",
        bind(util::utc_now()), bind(id), now;
    session << "UPDATE stages SET status = 'failed', reason = 'interrupted', finished_at = ? "
               "WHERE run_id = ? AND status = 'running'",
        bind(util::utc_now()), bind(id), now;
    transaction.commit();
    return groups;
  });
}

}  // namespace turnout::agent
