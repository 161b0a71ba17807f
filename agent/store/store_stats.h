#pragma once
// The counts /metrics shows, read from the store in one transaction.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "agent/store/database.h"
#include "util/result.h"

namespace turnout::agent {

/// Counts of deliveries, runs and reports, as of one moment.
struct StoreStats {
  std::vector<std::pair<std::string, std::int64_t>> deliveries_by_result;  ///< queued, ignored, pong, ...
  std::vector<std::pair<std::string, std::int64_t>> runs_by_status;        ///< every status, 0s included
  std::int64_t queue_depth = 0;                                            ///< runs waiting for a worker
  std::int64_t reports_pending = 0;                                        ///< reports waiting to be sent
};

/// Reads the counts of `database`'s deliveries, runs and reports for /metrics.
class StoreCounter {
 public:
  /// On `database`, which must outlive this.
  explicit StoreCounter(Database& database) : database_(database) {}
  /// The counts, read in one transaction.
  util::Result<StoreStats> stats();

 private:
  Database& database_;
};

}  // namespace turnout::agent
