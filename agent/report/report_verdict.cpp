#include "agent/report/report_verdict.h"

#include <algorithm>
#include <cstdlib>
#include <optional>

namespace turnout::agent {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// GitHub's advice for a secondary rate limit that names no wait: at least a minute.
constexpr seconds kSecondaryLimitWait{60};

std::optional<std::int64_t> whole_number(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos || text.size() > 15)
    return std::nullopt;
  return std::strtoll(text.c_str(), nullptr, 10);
}

// GitHub's message, when the body is its JSON error; the first 200 bytes of anything else.
std::string said(const HttpReply& reply) {
  return "HTTP " + std::to_string(reply.status) +
         (reply.body.empty() ? "" : ": " + reply.body.substr(0, 200));
}

Verdict retry(milliseconds wait, std::string why, bool counts = true) {
  Verdict verdict;
  verdict.action = Verdict::Action::retry;
  verdict.wait = wait;
  verdict.counts = counts;
  verdict.why = std::move(why);
  return verdict;
}

Verdict drop(std::string why) {
  Verdict verdict;
  verdict.action = Verdict::Action::drop;
  verdict.why = std::move(why);
  return verdict;
}

// A failure worth another try (5xx, the network): backoff, until the attempts run out.
Verdict transient(const BackoffPolicy& policy, int failed, double jitter, const std::string& why) {
  if (failed + 1 >= policy.max_attempts)
    return drop("gave up after " + std::to_string(failed + 1) + " attempts: " + why);
  return retry(backoff_delay(policy, failed + 1, jitter), why);
}

// 403 or 429 that is a rate limit: how long it asks us to wait; nullopt when it is none.
std::optional<milliseconds> rate_limit_wait(const HttpReply& reply, std::int64_t now_s) {
  if (auto after = whole_number(reply.header("retry-after"))) return seconds(*after);
  if (reply.header("x-ratelimit-remaining") == "0") {
    const auto reset = whole_number(reply.header("x-ratelimit-reset"));
    // One second more: the reset time is whole seconds, and GitHub's clock is not ours.
    return seconds(std::max<std::int64_t>(0, reset.value_or(now_s + 60) - now_s) + 1);
  }
  if (reply.status == 429 || reply.body.find("rate limit") != std::string::npos) return kSecondaryLimitWait;
  return std::nullopt;
}

Verdict judge_reply(const HttpReply& reply, int failed, const BackoffPolicy& policy, std::int64_t now_s,
                    double jitter) {
  if (reply.status >= 200 && reply.status < 300) return Verdict{};
  if (reply.status == 403 || reply.status == 429) {
    if (auto wait = rate_limit_wait(reply, now_s)) {
      auto verdict =
          retry(std::min<milliseconds>(*wait, policy.max_rate_wait), "rate limited: " + said(reply), false);
      verdict.rate_limited = true;
      return verdict;
    }
    return drop("forbidden: " + said(reply) +
                " (does the token have the repo:status and repo_deployment scopes?)");
  }
  if (reply.status == 401) {
    auto verdict = drop("unauthorized: " + said(reply));
    verdict.unauthorized = true;
    return verdict;
  }
  if (reply.status >= 500) {
    auto verdict = transient(policy, failed, jitter, said(reply));
    if (auto after = whole_number(reply.header("retry-after"));
        after && verdict.action == Verdict::Action::retry)
      verdict.wait = std::max<milliseconds>(verdict.wait, seconds(*after));
    return verdict;
  }
  if (reply.status == 404)
    return drop(said(reply) + " (is the repository's name right, and can the token see it?)");
  return drop(said(reply));
}

}  // namespace

milliseconds backoff_delay(const BackoffPolicy& policy, int failed, double jitter) {
  const int doublings = std::clamp(failed - 1, 0, 30);
  const double full =
      std::min(static_cast<double>(policy.base.count()) * static_cast<double>(1LL << doublings),
               static_cast<double>(policy.cap.count()));
  return milliseconds(static_cast<std::int64_t>(full * (0.5 + std::clamp(jitter, 0.0, 1.0) / 2)));
}

Verdict judge(const util::Result<HttpReply>& reply, int failed, const BackoffPolicy& policy,
              std::int64_t now_s, double jitter) {
  if (!reply) return transient(policy, failed, jitter, reply.error().message);
  return judge_reply(reply.value(), failed, policy, now_s, jitter);
}

}  // namespace turnout::agent
