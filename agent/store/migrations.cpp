#include "agent/store/migrations.h"

#include <sqlite3.h>

#include <optional>

#include "agent/store/connection.h"

namespace turnout::agent::detail {
namespace {

// Version 1: runs, their stages and their steps. Strings are NOT NULL DEFAULT '' so readers never
// meet a NULL where the model has a plain string; only rerun_of and exit_code may be NULL.
constexpr const char* kCreateRuns = R"sql(CREATE TABLE runs (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  repo             TEXT    NOT NULL DEFAULT '',
  ref              TEXT    NOT NULL DEFAULT '',
  branch           TEXT    NOT NULL DEFAULT '',
  sha              TEXT    NOT NULL DEFAULT '',
  pipeline         TEXT    NOT NULL DEFAULT '',
  trigger          TEXT    NOT NULL DEFAULT '',
  rerun_of         INTEGER NULL REFERENCES runs(id),
  status           TEXT    NOT NULL CHECK (status IN
                     ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'superseded', 'error')),
  reason           TEXT    NOT NULL DEFAULT '',
  queued_at        TEXT    NOT NULL DEFAULT '',
  started_at       TEXT    NOT NULL DEFAULT '',
  finished_at      TEXT    NOT NULL DEFAULT '',
  owner_pid        INTEGER NOT NULL DEFAULT 0,
  owner_start_time INTEGER NOT NULL DEFAULT 0
))sql";

constexpr const char* kCreateStages = R"sql(CREATE TABLE stages (
  run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  idx         INTEGER NOT NULL,
  name        TEXT    NOT NULL DEFAULT '',
  status      TEXT    NOT NULL DEFAULT '',
  reason      TEXT    NOT NULL DEFAULT '',
  started_at  TEXT    NOT NULL DEFAULT '',
  finished_at TEXT    NOT NULL DEFAULT '',
  PRIMARY KEY (run_id, idx)
))sql";

// A step belongs to a recorded stage: recording a step first is a bug the caller hears about.
constexpr const char* kCreateSteps = R"sql(CREATE TABLE steps (
  run_id      INTEGER NOT NULL,
  stage_idx   INTEGER NOT NULL,
  idx         INTEGER NOT NULL,
  name        TEXT    NOT NULL DEFAULT '',
  status      TEXT    NOT NULL DEFAULT '',
  exit_code   INTEGER NULL,
  reason      TEXT    NOT NULL DEFAULT '',
  started_at  TEXT    NOT NULL DEFAULT '',
  finished_at TEXT    NOT NULL DEFAULT '',
  PRIMARY KEY (run_id, stage_idx, idx),
  FOREIGN KEY (run_id, stage_idx) REFERENCES stages(run_id, idx) ON DELETE CASCADE
))sql";

Migration initial_schema() {
  return {1, {kCreateRuns, "CREATE INDEX runs_status ON runs(status)", kCreateStages, kCreateSteps}};
}

// Version 2: every webhook delivery and what became of it. delivery_id is GitHub's
// X-GitHub-Delivery, reused when a person redelivers, so it is not unique; run_id names the run
// it queued (NULL when ignored).
constexpr const char* kCreateDeliveries = R"sql(CREATE TABLE deliveries (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  delivery_id TEXT    NOT NULL DEFAULT '',
  received_at TEXT    NOT NULL DEFAULT '',
  event       TEXT    NOT NULL DEFAULT '',
  repo        TEXT    NOT NULL DEFAULT '',
  ref         TEXT    NOT NULL DEFAULT '',
  sha         TEXT    NOT NULL DEFAULT '',
  result      TEXT    NOT NULL DEFAULT '',
  reason      TEXT    NOT NULL DEFAULT '',
  run_id      INTEGER NULL REFERENCES runs(id)
))sql";

Migration deliveries_table() {
  return {2, {kCreateDeliveries, "CREATE INDEX deliveries_delivery_id ON deliveries(delivery_id)"}};
}

std::string too_new(int version) {
  return "turnout.db has schema version " + std::to_string(version) + ", this turnout knows up to " +
         std::to_string(latest_schema_version()) + ": upgrade turnout";
}

// The first reference a rebuild left pointing at no row, as "table row N"; nullopt when none.
std::optional<std::string> broken_reference(Connection& connection) {
  for (const auto& row : connection.statement("PRAGMA foreign_key_check").rows())
    return row.text(0) + " row " + std::to_string(row.integer(1)) + " references a missing " + row.text(2);
  return std::nullopt;
}

// Applies one migration unless another process got there first (checked under the write lock).
void apply(Connection& connection, const Migration& migration) {
  // SQLite ignores this pragma inside a transaction, so it wraps the migration's.
  std::optional<PragmaWhile> keys_off;
  if (migration.rebuilds_table)
    keys_off.emplace(connection, "PRAGMA foreign_keys = OFF", "PRAGMA foreign_keys = ON");
  Transaction transaction(connection, Transaction::Kind::write);
  if (schema_version(connection) >= migration.version) return;
  for (const auto& statement : migration.statements) connection.exec(statement);
  if (migration.rebuilds_table) {
    if (const auto broken = broken_reference(connection))
      throw SqlError(SQLITE_CONSTRAINT_FOREIGNKEY,
                     "migration " + std::to_string(migration.version) + ": " + *broken);
  }
  // PRAGMA takes no bound parameters; the version is our own integer.
  connection.exec("PRAGMA user_version = " + std::to_string(migration.version));
  transaction.commit();
}

}  // namespace

// Version 3: the process group of a running step (its leader's pid and start time), so that a
// later turnout can end what a killed one left running.
Migration step_process_groups() {
  return {3,
          {"ALTER TABLE steps ADD COLUMN pgid INTEGER NULL",
           "ALTER TABLE steps ADD COLUMN pgid_start_time INTEGER NULL"}};
}

// Version 4: the agent's queue. `scheduled` marks the runs the agent's workers take (a CLI run
// is recorded as queued for a moment too, and must not be taken); `repo_name` is the agent
// config's repository; `concurrency` is the loaded pipeline's; `superseded_by` names the run
// that replaced a superseded one.
Migration run_queue() {
  return {4,
          {"ALTER TABLE runs ADD COLUMN scheduled INTEGER NOT NULL DEFAULT 0",
           "ALTER TABLE runs ADD COLUMN repo_name TEXT NOT NULL DEFAULT ''",
           "ALTER TABLE runs ADD COLUMN concurrency TEXT NOT NULL DEFAULT ''",
           "ALTER TABLE runs ADD COLUMN superseded_by INTEGER NULL REFERENCES runs(id)",
           "CREATE INDEX runs_branch ON runs(repo, branch, status)"}};
}

// Version 5: every accepted push asks for its branch's newest `concurrency`. Only the runs that
// loaded a pipeline have one, so runs_branch made that a walk over all the branch's runs, one
// more on every push (on a branch whose runs never got as far, that was every run); this index
// holds just those runs, newest last.
Migration branch_concurrency() {
  return {5, {"CREATE INDEX runs_branch_concurrency ON runs(repo, branch) WHERE concurrency != ''"}};
}

// Version 6: reports to GitHub and to `notify:` URLs waiting to be sent, kept here so that a
// restart loses none. A report goes out only when no older pending one has its order_key (a
// commit and a context); depends_on names the deployment a deployment status belongs to, and
// result_id keeps GitHub's id of a sent deployment. No foreign keys: old sent rows are pruned.
constexpr const char* kCreateReports = R"sql(CREATE TABLE reports (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id          INTEGER NULL,
  repo            TEXT    NOT NULL DEFAULT '',
  order_key       TEXT    NOT NULL DEFAULT '',
  kind            TEXT    NOT NULL CHECK (kind IN ('status', 'deployment', 'deployment_status', 'notify')),
  url             TEXT    NOT NULL DEFAULT '',
  body            TEXT    NOT NULL DEFAULT '',
  depends_on      INTEGER NULL,
  result_id       INTEGER NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  state           TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dropped')),
  last_error      TEXT    NOT NULL DEFAULT '',
  created_at      TEXT    NOT NULL DEFAULT ''
))sql";

Migration reports_table() {
  return {6,
          {kCreateReports, "CREATE INDEX reports_pending ON reports(order_key, id) WHERE state = 'pending'"}};
}

// Version 7: deliveries from Gitea, Forgejo and GitLab. Each forge makes its own delivery ids, so
// a duplicate is the same id from the same forge: deliveries are looked up by (forge,
// delivery_id). Every delivery recorded before came from GitHub, the only forge there was.
Migration deliveries_per_forge() {
  return {7,
          {"ALTER TABLE deliveries ADD COLUMN forge TEXT NOT NULL DEFAULT 'github'",
           "DROP INDEX deliveries_delivery_id",
           "CREATE INDEX deliveries_forge_delivery_id ON deliveries(forge, delivery_id)"}};
}

// Version 8: for the dashboard. Its history pages filter by repository, branch and status and
// page by id; each filter gets an index whose rows come in id order (SQLite keys each by rowid
// last), so a page reads its rows and no more, however long the history (runs_status serves
// status). A run keeps its commit's message; a delivery the status it was answered with.
Migration run_filters() {
  return {8,
          {"ALTER TABLE runs ADD COLUMN message TEXT NOT NULL DEFAULT ''",
           "ALTER TABLE deliveries ADD COLUMN status INTEGER NOT NULL DEFAULT 0",
           "CREATE INDEX deliveries_refused ON deliveries(id) WHERE result = 'rejected'",
           "CREATE INDEX runs_repo_name ON runs(repo_name)",
           "CREATE INDEX runs_repo_name_branch ON runs(repo_name, branch)",
           "CREATE INDEX runs_branch_name ON runs(branch)"}};
}

// Version 9: what each step's processes used, as the kernel accounted it (NULL: not known, such
// as a step recorded before this version, or one that never started).
Migration step_resources() {
  return {9,
          {"ALTER TABLE steps ADD COLUMN peak_memory_bytes INTEGER NULL",
           "ALTER TABLE steps ADD COLUMN cpu_ms INTEGER NULL"}};
}

// Version 10: the pressure (PSI) each step saw, microseconds stalled from its start to its end,
// and whose: 'cgroup' (the run's group: its own processes) or 'machine' (/proc/pressure: the
// whole machine). All NULL when not known: no PSI in the kernel, or a step recorded before.
Migration step_pressure() {
  return {10,
          {"ALTER TABLE steps ADD COLUMN pressure_source TEXT NULL",
           "ALTER TABLE steps ADD COLUMN cpu_some_stall_us INTEGER NULL",
           "ALTER TABLE steps ADD COLUMN memory_some_stall_us INTEGER NULL",
           "ALTER TABLE steps ADD COLUMN memory_full_stall_us INTEGER NULL",
           "ALTER TABLE steps ADD COLUMN io_some_stall_us INTEGER NULL",
           "ALTER TABLE steps ADD COLUMN io_full_stall_us INTEGER NULL"}};
}

// Version 11: superseded_by without its foreign key. An UPDATE that sets a column referencing
// its own table makes SQLite rewrite every index of the row (update.c: a self-referencing
// foreign key might change), so superseding a run, which every push on a busy branch does,
// rewrote all six of the run's index entries instead of the two its status is in. The run a
// run was superseded by is always written by the agent after inserting that run; rerun_of,
// only ever set on insert, keeps its reference. The table is rebuilt (a constraint cannot be
// dropped otherwise), with its columns, rows, AUTOINCREMENT counter and indexes as they were.
// The status's CHECK, the same values as before, says them as comparisons: SQLite evaluates an
// IN list of more than two constants by building a temporary index of it, on every write of a row.
constexpr const char* kRebuiltRuns = R"sql(CREATE TABLE runs_rebuilt (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  repo             TEXT    NOT NULL DEFAULT '',
  ref              TEXT    NOT NULL DEFAULT '',
  branch           TEXT    NOT NULL DEFAULT '',
  sha              TEXT    NOT NULL DEFAULT '',
  pipeline         TEXT    NOT NULL DEFAULT '',
  trigger          TEXT    NOT NULL DEFAULT '',
  rerun_of         INTEGER NULL REFERENCES runs(id),
  status           TEXT    NOT NULL CHECK (status = 'queued' OR status = 'running' OR status = 'succeeded'
                     OR status = 'failed' OR status = 'cancelled' OR status = 'superseded' OR status = 'error'),
  reason           TEXT    NOT NULL DEFAULT '',
  queued_at        TEXT    NOT NULL DEFAULT '',
  started_at       TEXT    NOT NULL DEFAULT '',
  finished_at      TEXT    NOT NULL DEFAULT '',
  owner_pid        INTEGER NOT NULL DEFAULT 0,
  owner_start_time INTEGER NOT NULL DEFAULT 0,
  scheduled        INTEGER NOT NULL DEFAULT 0,
  repo_name        TEXT    NOT NULL DEFAULT '',
  concurrency      TEXT    NOT NULL DEFAULT '',
  superseded_by    INTEGER NULL,
  message          TEXT    NOT NULL DEFAULT ''
))sql";

constexpr const char* kRebuiltRunColumns =
    "id, repo, ref, branch, sha, pipeline, trigger, rerun_of, status, reason, queued_at, started_at, "
    "finished_at, owner_pid, owner_start_time, scheduled, repo_name, concurrency, superseded_by, message";

Migration runs_without_self_reference() {
  return {
      11,
      {kRebuiltRuns,
       std::string("INSERT INTO runs_rebuilt (") + kRebuiltRunColumns + ") SELECT " + kRebuiltRunColumns +
           " FROM runs",
       // The counter as it was, not max(id): an id is never handed out twice.
       "DELETE FROM sqlite_sequence WHERE name = 'runs_rebuilt'",
       "INSERT INTO sqlite_sequence (name, seq) SELECT 'runs_rebuilt', seq FROM sqlite_sequence WHERE name = "
       "'runs'",
       "DROP TABLE runs",
       // Renames its sqlite_sequence row too; stages, steps and deliveries name `runs`, now this one.
       "ALTER TABLE runs_rebuilt RENAME TO runs", "CREATE INDEX runs_status ON runs(status)",
       "CREATE INDEX runs_branch ON runs(repo, branch, status)",
       "CREATE INDEX runs_branch_concurrency ON runs(repo, branch) WHERE concurrency != ''",
       "CREATE INDEX runs_repo_name ON runs(repo_name)",
       "CREATE INDEX runs_repo_name_branch ON runs(repo_name, branch)",
       "CREATE INDEX runs_branch_name ON runs(branch)"},
      true};
}

const std::vector<Migration>& schema_migrations() {
  static const std::vector<Migration> migrations{
      initial_schema(),     deliveries_table(), step_process_groups(),        run_queue(),
      branch_concurrency(), reports_table(),    deliveries_per_forge(),       run_filters(),
      step_resources(),     step_pressure(),    runs_without_self_reference()};
  return migrations;
}

int latest_schema_version() { return schema_migrations().back().version; }

int schema_version(Connection& connection) {
  return static_cast<int>(connection.statement("PRAGMA user_version").first_integer().value_or(0));
}

util::Status migrate(Connection& connection) {
  const int current = schema_version(connection);
  if (current > latest_schema_version()) return util::fail(too_new(current));
  for (const auto& migration : schema_migrations()) {
    if (migration.version <= current) continue;
    apply(connection, migration);
  }
  // A newer turnout may have migrated the file between our check and our transactions.
  const int now_version = schema_version(connection);
  if (now_version > latest_schema_version()) return util::fail(too_new(now_version));
  return util::Ok{};
}

}  // namespace turnout::agent::detail
