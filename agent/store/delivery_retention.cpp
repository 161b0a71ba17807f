#include "agent/store/delivery_retention.h"

namespace turnout::agent::detail {

void prune_deliveries(Connection& connection, std::int64_t newest, std::int64_t keep) {
  connection
      .statement(
          "DELETE FROM deliveries WHERE id <= ? AND (run_id IS NULL OR run_id NOT IN "
          "(SELECT id FROM runs WHERE status IN ('queued', 'running')))")
      .execute({newest - keep});
}

}  // namespace turnout::agent::detail
