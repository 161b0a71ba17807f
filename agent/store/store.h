#pragma once
// The whole store of a data directory, as a command opens it: the database and the narrow
// stores on it. A consumer takes the one narrow store it uses, never this.

#include <memory>
#include <string>

#include "agent/store/database.h"
#include "agent/store/delivery_log.h"
#include "agent/store/report_queue.h"
#include "agent/store/run_history.h"
#include "agent/store/run_queue.h"
#include "agent/store/store_stats.h"
#include "util/result.h"

namespace turnout::agent {

/// One database and the stores on it. Not movable: the stores hold the database by reference.
struct Store {
  /// Opens `<data_dir>/turnout.db` (Database::open) with nothing else done.
  static util::Result<std::unique_ptr<Store>> open(const std::string& data_dir);
  /// On `opened`.
  explicit Store(std::unique_ptr<Database> opened)
      : database(std::move(opened)),
        history(*database),
        queue(*database),
        reports(*database),
        counter(*database),
        deliveries(*database) {}
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  std::unique_ptr<Database> database;  ///< the file; declared first, so it outlives the stores
  RunHistory history;                  ///< runs, stages, steps
  RunQueue queue;                      ///< the agent's queue and the deliveries
  ReportQueue reports;                 ///< reports waiting to go out
  StoreCounter counter;                ///< the counts /metrics shows
  DeliveryLog deliveries;              ///< refused deliveries, and every delivery's page

  /// The database file.
  const std::string& path() const { return database->path(); }
};

}  // namespace turnout::agent
