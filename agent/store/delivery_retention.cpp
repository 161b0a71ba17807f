#include "agent/store/delivery_retention.h"

namespace turnout::agent::detail {

void prune_deliveries(Connection& connection, std::int64_t newest, std::int64_t keep) {
  // NOT EXISTS looks up the run of each delivery past the bound (one, on each push once the
  // store is full); NOT IN built a temporary index of every queued and running run to ask it.
  connection
      .statement(
          "DELETE FROM deliveries WHERE id <= ? AND NOT EXISTS (SELECT 1 FROM runs WHERE runs.id = "
          "deliveries.run_id AND runs.status IN ('queued', 'running'))")
      .execute({newest - keep});
}

}  // namespace turnout::agent::detail
