#pragma once
// The one thread that sends queued reports (reporting.h puts them in the store): oldest first,
// one at a time per order key, each failure judged by report_verdict.h — tried again later,
// or dropped with a log line. A rate-limited repository waits as a whole. Counted in /metrics.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "agent/config/agent_config.h"
#include "agent/metrics/metrics.h"
#include "agent/report/report_http.h"
#include "agent/report/report_verdict.h"
#include "agent/store/report_queue.h"
#include "util/reloadable.h"

namespace turnout::agent {

/// How the sender behaves; tests make it quick.
struct SenderOptions {
  BackoffPolicy backoff;                                        ///< retries
  std::chrono::milliseconds poll{std::chrono::seconds(1)};      ///< the longest idle wait between looks
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};  ///< per request
  std::string ca_file;  ///< trusted CAs for HTTPS; "" = the system's store
};

/// Sends the store's pending reports, on its own thread (start) or in the caller's (drain).
class ReportSender {
 public:
  /// `config` is copied (reload() replaces it); `reports` and `metrics` (may be null) must
  /// outlive the sender. Nothing is sent before start() or drain().
  ReportSender(const ReposConfig& config, ReportQueue& reports, Metrics* metrics, SenderOptions options = {});
  /// stop().
  ~ReportSender();
  ReportSender(const ReportSender&) = delete;
  ReportSender& operator=(const ReportSender&) = delete;

  /// The repositories (and their tokens' references) for the reports sent from now on.
  void reload(const ReposConfig& config) { config_.replace(config); }
  /// Starts the sending thread.
  void start();
  /// Something was queued: look now rather than at the next poll.
  void wake();
  /// Ends the thread after the request in flight (if any); what is pending stays in the store.
  /// Idempotent.
  void stop();
  /// Without a thread: sends until nothing is pending or `deadline` passes; returns how many
  /// reports are still pending (they stay queued for the next sender).
  std::int64_t drain(std::chrono::steady_clock::time_point deadline);

 private:
  void loop();
  int send_due();
  void send(const ReportRecord& record);
  util::Result<HttpPost> request_for(const ReportRecord& record) const;
  void apply(const ReportRecord& record, const Verdict& verdict, const util::Result<HttpReply>& reply);
  void dropped(const ReportRecord& record, const Verdict& verdict);
  std::chrono::milliseconds idle_wait();

  util::Reloadable<ReposConfig> config_;
  ReportQueue& reports_;
  Metrics* metrics_;
  SenderOptions options_;
  std::mt19937_64 random_;
  std::map<std::string, std::int64_t> blocked_until_;  // repo -> Unix ms, while rate limited
  std::set<std::string> unauthorized_;                 // repos whose 401 was logged
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool woken_ = false;
  std::thread thread_;
};

/// Now, in Unix milliseconds (the store's next_attempt_at).
std::int64_t unix_ms_now();

}  // namespace turnout::agent
