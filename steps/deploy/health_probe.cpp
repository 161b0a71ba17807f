#include "steps/deploy/health_probe.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <string_view>
#include <thread>

#include "steps/child_process.h"
#include "steps/secret_masker.h"
#include "steps/shell_step.h"
#include "util/duration.h"
#include "util/http_client.h"

namespace turnout::steps::deploy {

namespace {

using Clock = std::chrono::steady_clock;

// A slot listens on loopback only; the proxy in front of it is what the world sees.
const std::string kHost = "127.0.0.1";
constexpr std::size_t kBodyPrefix = 200;
// A probe command has nothing to clean up: TERM, and KILL soon after.
constexpr util::Duration kCommandKillGrace(1000);
// Only when poll(2) itself fails (ENOMEM): wait in ticks rather than spin.
constexpr util::Duration kPollRetry(50);

ProbeResult healthy() { return {true, ""}; }

ProbeResult unhealthy(std::string reason) { return {false, std::move(reason)}; }

std::string timed_out(const pipeline::HealthCheck& check) {
  return "timed out after " + util::format_duration(check.timeout);
}

// A probe always has a deadline: a zero timeout would be none.
std::chrono::milliseconds budget(util::Duration duration) {
  return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(duration),
                  std::chrono::milliseconds(1));
}

// Why a request got no answer, in the probe's words.
std::string network_failure(const pipeline::HealthCheck& check, util::HttpFailure why,
                            const std::string& message) {
  switch (why) {
    case util::HttpFailure::refused:
      return "connection refused";
    case util::HttpFailure::timed_out:
      return timed_out(check);
    case util::HttpFailure::closed:
      return "connection closed without a response";
    case util::HttpFailure::reset:
      return "connection reset";
    case util::HttpFailure::not_http:
      return "not an HTTP response (" + message + ")";
    case util::HttpFailure::other:
      break;
  }
  return message;
}

// Up to `limit` bytes of `body` on one line: line breaks, tabs and other control bytes, and the
// spaces around them, become one space, so an HTML error page reads as a sentence in a log.
std::string body_prefix(std::string_view bytes, std::size_t limit) {
  bytes = bytes.substr(0, limit);
  std::string line;
  for (const char c : bytes) {
    const bool blank = c == ' ' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    if (!blank) {
      line += c;
    } else if (!line.empty() && line.back() != ' ') {
      line += ' ';
    }
  }
  if (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

bool expected_status(const pipeline::HealthCheck& check, int status) {
  return check.status ? status == *check.status : status >= 200 && status < 300;
}

ProbeResult probe_http(const pipeline::HealthCheck& check, int port) {
  const std::string url = "http://" + kHost + ":" + std::to_string(port) + check.path;
  const std::string probed = "GET " + url;
  util::ClientRequest request;
  request.method = "GET";
  request.url = url;
  request.headers.emplace_back("User-Agent", "turnout-health-probe");
  // Connecting and sending take part of the budget; the answer gets what is left of it.
  request.timeout = budget(check.timeout);
  request.one_deadline = true;
  // A body that stops coming (timeout, reset) ends it: we keep what arrived.
  request.max_body = kBodyPrefix;
  util::HttpFailure why = util::HttpFailure::other;
  const auto reply = util::send_request(request, &why);
  if (!reply) return unhealthy(probed + ": " + network_failure(check, why, reply.error().message));
  const int status = reply.value().status;
  if (expected_status(check, status)) return healthy();
  const std::string prefix = body_prefix(reply.value().body, kBodyPrefix);
  auto result = unhealthy(probed + " -> " + std::to_string(status) + (prefix.empty() ? "" : ": " + prefix));
  result.status = status;
  return result;
}

ProbeResult probe_tcp(const pipeline::HealthCheck& check, int port) {
  util::HttpFailure why = util::HttpFailure::other;
  const auto connected = util::connect_tcp(kHost, port, budget(check.timeout), &why);
  if (connected) return healthy();
  return unhealthy("connect " + kHost + ":" + std::to_string(port) + ": " +
                   network_failure(check, why, connected.error().message));
}

ProbeResult probe_command(const pipeline::HealthCheck& check, const ProbeEnv& env,
                          const CancelToken& cancel) {
  ProcessSpec spec;
  spec.argv = shell_argv(check.command);
  spec.cwd = env.cwd;
  spec.env = env.env;
  spec.timeout = check.timeout;
  spec.kill_grace = kCommandKillGrace;
  // The output is dropped: ProbeEnv carries no secrets to mask it with, and a reason is logged.
  const SecretMasker no_secrets;
  const auto outcome = run_process(
      spec, no_secrets, [](Stream, auto, std::string_view) {}, cancel);
  if (!outcome) return unhealthy(outcome.error().message);
  const ProcessOutcome& ended = outcome.value();
  if (ended.cancelled) return unhealthy("cancelled");
  if (ended.timed_out) return unhealthy(timed_out(check));
  if (ended.signal != 0) return unhealthy(std::string("killed by signal ") + sigabbrev_np(ended.signal));
  if (ended.exit_code != 0) return unhealthy("exited " + std::to_string(ended.exit_code));
  return healthy();
}

ProbeResult probe(const pipeline::HealthCheck& check, int port, const ProbeEnv& env,
                  const CancelToken& cancel) {
  switch (check.kind) {
    case pipeline::ProbeKind::http:
      return probe_http(check, port);
    case pipeline::ProbeKind::tcp:
      return probe_tcp(check, port);
    case pipeline::ProbeKind::command:
      return probe_command(check, env, cancel);
  }
  return unhealthy("unknown probe kind");
}

// A client error that a retry will not change: the app answers, and says the request is wrong.
bool lasting_client_error(int status) {
  return status >= 400 && status < 500 && status != 408 && status != 429;
}

}  // namespace

bool wait_unless_cancelled(util::Duration wait, const CancelToken& cancel) {
  const auto deadline = Clock::now() + wait;
  pollfd cancelled{cancel.fd(), POLLIN, 0};
  while (!cancel.cancelled()) {
    const auto left = std::chrono::ceil<util::Duration>(deadline - Clock::now());
    if (left.count() <= 0) return true;
    const int timeout = static_cast<int>(std::min<util::Duration::rep>(left.count(), INT_MAX));
    if (::poll(&cancelled, 1, timeout) < 0 && errno != EINTR)
      std::this_thread::sleep_for(std::min(left, kPollRetry));
  }
  return false;
}

ProbeResult probe_once(const pipeline::HealthCheck& check, int port, const ProbeEnv& env) {
  const CancelToken never;
  return probe(check, port, env, never);
}

HealthOutcome wait_until_healthy(
    const pipeline::HealthCheck& check, int port, const ProbeEnv& env, const CancelToken& cancel,
    const std::function<void(int attempt, const std::string& reason)>& on_failure) {
  HealthOutcome outcome;
  int same_4xx = 0;  // answers in a row with the same lasting 4xx
  int last_status = 0;
  while (outcome.attempts < check.attempts && !cancel.cancelled()) {
    if (outcome.attempts > 0 && !wait_unless_cancelled(check.interval, cancel)) break;
    const ProbeResult result = probe(check, port, env, cancel);
    ++outcome.attempts;
    if (result.healthy) {
      outcome.healthy = true;
      return outcome;
    }
    // A probe cut short by the cancellation failed for that reason alone: nothing to report.
    if (cancel.cancelled()) break;
    if (!lasting_client_error(result.status))
      same_4xx = 0;
    else
      same_4xx = result.status == last_status ? same_4xx + 1 : 1;
    last_status = result.status;
    outcome.last_reason = result.reason;
    if (same_4xx == kSame4xxProbes) {
      outcome.last_reason +=
          " (" + std::to_string(same_4xx) +
          " probes in a row: the app answers, but not at that path; is health.path right?)";
    }
    on_failure(outcome.attempts, outcome.last_reason);
    if (same_4xx == kSame4xxProbes) break;
  }
  outcome.cancelled = cancel.cancelled();
  return outcome;
}

}  // namespace turnout::steps::deploy
