#pragma once
// The values several pages show the same way: a run as a row (status with its text label,
// short sha, trigger, times relative with the absolute one for a title), durations, and any
// JSON document (an app's status) as page data.

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include <chrono>
#include <string>

#include "agent/dashboard/page_renderer.h"
#include "agent/store/run_record.h"

namespace turnout::agent {

/// `time` (ISO-8601 UTC) as people read it next to `now`: "12 s ago", "3 min ago", "5 h ago",
/// "4 d ago"; "" for "", `time` itself when it cannot be read.
std::string time_ago(const std::string& time, std::chrono::system_clock::time_point now);

/// A span as pages show one: "850 ms", "12 s", "3 min 4 s", "2 h 5 min", "4 d 2 h".
std::string span_text(std::chrono::milliseconds span);

/// From `start` to `end` (ISO-8601 UTC; "" end: now): "850 ms", "12 s", "3 min 4 s", "2 h 5 min";
/// "" when `start` is "".
std::string duration_text(const std::string& start, const std::string& end,
                          std::chrono::system_clock::time_point now);

/// A time as a page shows it: `{iso, ago}` for `<time datetime title>`; nothing for "".
PageData time_value(const std::string& time, std::chrono::system_clock::time_point now);

/// A run's row in a table: id, status (and a `status_STATUS` flag), pipeline, repository,
/// branch, short sha, trigger, queued time, duration, reason.
PageData run_row(const RunRecord& run, std::chrono::system_clock::time_point now);

/// An app's status (app_status_json) as the pages show it: its slots' commits short (the full one
/// as `full_sha`), releases by their folder's name, `since` as a time_value.
PageData app_value(const Poco::JSON::Object::Ptr& app, std::chrono::system_clock::time_point now);

/// A JSON value as page data: objects and arrays alike, strings made printable, numbers as
/// text, null as false (so `{{#key}}` skips it).
PageData from_json(const Poco::Dynamic::Var& value);

}  // namespace turnout::agent
