// /runs/ID: a run, its stages and steps, and a window of its log.
#include <algorithm>
#include <charconv>
#include <optional>

#include "agent/dashboard/log_view.h"
#include "agent/dashboard/page_values.h"
#include "agent/dashboard/pages.h"
#include "agent/run/run_log.h"
#include "util/strings.h"

namespace turnout::agent {

namespace {

using std::chrono::system_clock;

// What a run page shows of a log at once: its end first, earlier windows on demand, so a
// 100 MB log never loads whole.
constexpr std::int64_t kLogWindow = 128 * 1024;

// The log's newlines before byte `end`, so that a window from the middle numbers its lines as
// the whole log does (#L120 links work on a tail too). Read in pieces, never whole: a 100 MB log
// costs a pass over its bytes (tens of ms), not its size in memory. nullopt when it cannot be read.
std::optional<std::int64_t> newlines_before(const RunLogReader& reader, std::int64_t end) {
  constexpr std::size_t kPiece = 1 << 20;
  std::string piece;
  std::int64_t count = 0;
  for (std::int64_t at = 0; at < end;) {
    const auto want = static_cast<std::size_t>(std::min<std::int64_t>(kPiece, end - at));
    if (!reader.read(at, want, piece) || piece.empty()) return std::nullopt;
    count += std::count(piece.begin(), piece.end(), '\n');
    at += static_cast<std::int64_t>(piece.size());
  }
  return count;
}

std::optional<std::int64_t> number(const std::string& text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

PageData step_row(const StepRecord& step, system_clock::time_point now) {
  PageData row;
  row.set("name", text(step.name));
  row.set("status", steps::to_string(step.status));
  row.set("exit_code", text(step.exit_code ? std::to_string(*step.exit_code) : ""));
  // A step that succeeded has nothing to explain ("exited 0" says what its exit code does).
  row.set("reason", text(step.status == steps::Status::succeeded ? "" : step.reason));
  row.set("duration", text(duration_text(step.started_at, step.finished_at, now)));
  // What its processes used, as the step's end line in the log says it.
  std::vector<std::string> usage;
  if (step.cpu_ms) usage.push_back("cpu " + span_text(std::chrono::milliseconds(*step.cpu_ms)));
  if (step.peak_memory_bytes)
    usage.push_back("peak memory " +
                    util::format_mebibytes(static_cast<std::uint64_t>(*step.peak_memory_bytes)));
  row.set("usage", text(util::join(usage, ", ")));
  return row;
}

PageList stage_rows(const RunRecord& run, system_clock::time_point now) {
  PageList stages;
  for (const auto& stage : run.stages) {
    PageData row;
    row.set("name", text(stage.name));
    row.set("status", steps::to_string(stage.status));
    row.set("reason", text(stage.reason));
    row.set("duration", text(duration_text(stage.started_at, stage.finished_at, now)));
    PageList steps;
    for (const auto& step : stage.steps) steps.push_back(step_row(step, now));
    row.set("steps", steps);
    stages.push_back(row);
  }
  return stages;
}

// The log's window from `from` (nullopt: its end), with links to the windows around it; the log
// of a `running` run may end in a line still being written.
util::Result<PageData> log_window(const std::string& data_dir, std::int64_t id,
                                  std::optional<std::int64_t> from, bool running) {
  PageData log;
  auto reader = RunLogReader::open(data_dir, id);
  if (!reader) {
    if (reader.error().kind != util::ErrorKind::not_found) return reader.error();
    log.set("lines_html", "");
    log.set("end", "0");
    return log;
  }
  const auto size = reader.value()->size();
  const auto first = std::min(from.value_or(std::max<std::int64_t>(0, size - kLogWindow)), size);
  const auto length = std::min(kLogWindow, size - first);
  std::string window;
  if (auto read = reader.value()->read(first, static_cast<std::size_t>(length), window); !read)
    return read.error();
  const bool at_end = first + length >= size;
  // Markup made by log_html, its text escaped there: the template takes it as it is.
  // A running run may be in the middle of a line: that one comes with the live tail.
  const auto before = first > 0 ? newlines_before(*reader.value(), first) : std::optional<std::int64_t>();
  log.set("lines_html", log_html(log_lines(window, first, at_end && !running, before)));
  // The live tail goes on after the last complete line shown.
  const auto last_newline = window.rfind('\n');
  const auto shown_end =
      at_end && !running
          ? size
          : first + (last_newline == std::string::npos ? 0 : static_cast<std::int64_t>(last_newline) + 1);
  log.set("end", std::to_string(shown_end));
  log.set("size", std::to_string(size));
  if (first > 0) {
    log.set("earlier", std::to_string(std::max<std::int64_t>(0, first - kLogWindow)));
    log.set("skipped", std::to_string(first));
  }
  if (!at_end) log.set("later", std::to_string(first + length));
  log.set("at_end", at_end);
  return log;
}

}  // namespace

PageAnswer run_page(const PageSources& sources, const std::string& id_text,
                    const std::map<std::string, std::string>& query) {
  std::int64_t id = 0;
  const auto [end, error] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  if (error != std::errc() || end != id_text.data() + id_text.size() || id < 1)
    return error_page(404, "No such run", "run id must be a positive number, not '" + id_text + "'");
  std::optional<std::int64_t> from;
  for (const auto& [key, value] : query) {
    if (key != "from")
      return error_page(400, "Bad parameter", "unknown parameter '" + key + "' (expected from)");
    from = number(value);
    if (!from) return error_page(400, "Bad parameter", "from must be a byte offset, not '" + value + "'");
  }
  const auto found = sources.runs.get(id);
  if (!found) return error_page(500, "The store cannot be read", found.error().message);
  if (!found.value()) return error_page(404, "No such run", "there is no run " + id_text);
  const auto& run = *found.value();
  const auto now = system_clock::now();
  PageData data = run_row(run, now);
  data.set("stages", stage_rows(run, now));
  if (run.rerun_of) data.set("rerun_of", std::to_string(*run.rerun_of));
  if (run.superseded_by) data.set("superseded_by", std::to_string(*run.superseded_by));
  data.set("cancellable", !is_final(run.status));
  data.set("rerunnable", !run.sha.empty());
  if (run.status == RunStatus::queued && run.scheduled) {
    const auto waits = sources.runs.waits_for(run);
    if (waits && waits.value()) {
      data.set("waits_for", std::to_string(*waits.value()));
    } else {
      data.set("waits_for_worker", true);
    }
  }
  auto log = log_window(sources.config.data_dir, id, from, !is_final(run.status));
  if (!log) return error_page(500, "The log cannot be read", log.error().message);
  data.set("log", log.value());
  return {200, "run.mustache", data, "Run " + id_text, "runs"};
}

}  // namespace turnout::agent
