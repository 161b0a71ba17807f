#pragma once
// A person's order to a canary in progress (`turnout deploy promote|abort --app A`, POST
// /api/apps/APP/promote|abort): the deploy runs in another process (a run of `turnout serve`, or
// `turnout run`) and holds the app's lock, so the order is a file beside state.json,
// `canary.order`, that the canary's hold reads and removes within a fraction of a second. The one
// who gives it waits until the deploy took it, so it learns whether the order reached a canary.

#include <optional>
#include <string>

#include "util/duration.h"
#include "util/result.h"

namespace turnout::steps::deploy {

/// What a person may tell a canary in progress.
enum class CanaryOrder {
  promote,  ///< skip the remaining steps and their analysis: 100% now (the switch)
  abort,    ///< take the canary's share away and fail the deploy, as a failed step does
};

/// `promote` or `abort`.
const char* to_string(CanaryOrder order);

/// The order waiting in `app_dir` for the canary, removed as it is read; nullopt when none (or
/// the file holds anything else, which is removed too: it can only be a stale or foreign file).
std::optional<CanaryOrder> take_canary_order(const std::string& app_dir);

/// Removes an order left in `app_dir` (a canary starting must not obey an order given to one
/// before it).
void clear_canary_order(const std::string& app_dir);

/// Gives `order` to the canary of the app in `app_dir` and waits, up to `wait`, until its deploy
/// takes it. Fails naming why, the order withdrawn, when no canary is in progress there (its
/// state.json has no journal in phase canary) or none took it in time (the deploy was killed:
/// the next start reconciles it).
util::Status give_canary_order(const std::string& app_dir, CanaryOrder order,
                               util::Duration wait = util::Duration(10000));

}  // namespace turnout::steps::deploy
