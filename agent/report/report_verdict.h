#pragma once
// What an answer means for a report (GitHub's REST conventions): sent; tried again later, after
// an exponential backoff with jitter, or after the wait that `Retry-After` or a rate limit's
// `x-ratelimit-reset` asks for; or dropped, because sending it again cannot help (401, 404, 422).

#include <chrono>
#include <cstdint>
#include <string>

#include "agent/report/report_http.h"
#include "util/result.h"

namespace turnout::agent {

/// How failed reports are tried again.
struct BackoffPolicy {
  std::chrono::milliseconds base{std::chrono::seconds(1)};         ///< the wait after the first failure
  std::chrono::milliseconds cap{std::chrono::minutes(10)};         ///< the longest wait between attempts
  std::chrono::milliseconds max_rate_wait{std::chrono::hours(1)};  ///< the longest rate-limit wait
  int max_attempts = 20;  ///< failed attempts (5xx, network) before a report is dropped
};

/// The outcome of one attempt.
struct Verdict {
  /// What becomes of the report.
  enum class Action { sent, retry, drop };
  Action action = Action::sent;      ///< see Action
  std::chrono::milliseconds wait{};  ///< retry: from now until the next attempt
  bool counts = true;                ///< retry: a failed attempt (a rate limit is not one)
  bool rate_limited = false;         ///< retry: everything of the repository waits as long
  bool unauthorized = false;         ///< drop: a 401, the token is wrong or lacks scopes
  std::string why;                   ///< for the log and the store; "" when sent
};

/// The wait before attempt `failed + 1` after `failed` failures: base * 2^(failed-1), capped,
/// scaled by 0.5 + jitter/2 (`jitter` in [0, 1]) so that many reports do not retry in step.
std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, int failed, double jitter);

/// Judges `reply` to an attempt of a report that had failed `failed` times before. `now_s` is
/// the Unix time in seconds (x-ratelimit-reset is one); `jitter` in [0, 1].
Verdict judge(const util::Result<HttpReply>& reply, int failed, const BackoffPolicy& policy,
              std::int64_t now_s, double jitter);

}  // namespace turnout::agent
