#pragma once
// A run's log followed as it grows (`GET /api/runs/ID/log?follow=1`): the body the HTTP layer
// sends chunk by chunk while the run writes, ending once the run is over and all of it is sent.
// It reads the file, never the store, except to ask (at most once a second, and only while the
// log has stopped growing) whether the run has ended: followers take nothing webhooks need.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "agent/http/router.h"

namespace turnout::agent {

/// How a followed log is framed.
enum class LiveLogFormat {
  text,          ///< the log's bytes as they are
  event_stream,  ///< server-sent events: complete lines as `data:` lines, `id:` the byte offset after them
};

/// Says whether the run has ended (or is gone): then its log is complete.
using RunEnded = std::function<bool()>;

/// The log of run `id` under `data_dir` from byte `offset` on, as a live body. A log that does
/// not exist yet (a queued run) is waited for. Event streams end with `event: end`, so an
/// EventSource closes instead of reconnecting, and carry a heartbeat comment when idle; an id
/// sent back as `Last-Event-ID` resumes after the last line received.
std::shared_ptr<LiveBody> follow_log(std::string data_dir, std::int64_t id, std::int64_t offset,
                                     LiveLogFormat format, RunEnded ended);

/// One server-sent event: `id: ID`, each line of `text` as a `data:` line (a CR ends a line
/// too, as the format says), and the blank line that ends the event.
std::string server_sent_event(std::int64_t id, const std::string& text);

}  // namespace turnout::agent
