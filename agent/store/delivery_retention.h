#pragma once
// How many deliveries the store keeps: every kind is bounded (README, "Dashboard"), so neither
// a flood of refusals nor years of accepted pushes grow the deliveries table without end.

#include <cstdint>

#include "agent/store/connection.h"

namespace turnout::agent::detail {

/// Deliveries of every kind kept when none is said: the newest this many by id (a count, not an
/// age: what a flood holds does not depend on its speed). Refusals are bounded further by
/// DeliveryLog::kKeepRefused.
inline constexpr std::int64_t kKeepDeliveries = 100000;

/// Deletes the deliveries older than the newest `keep` up to `newest` (the id just inserted),
/// but not one whose run is still queued or running: its delivery id is how a repeat of it is
/// told to be a duplicate. Runs in the inserting transaction; once the table is at its bound,
/// each insert deletes about one row, found through the primary key.
void prune_deliveries(Connection& connection, std::int64_t newest, std::int64_t keep);

}  // namespace turnout::agent::detail
