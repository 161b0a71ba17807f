#include "agent/run/run_log.h"

#include "util/utc_time.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace turnout::agent {

namespace {

constexpr auto kFlushEvery = std::chrono::milliseconds(200);

std::string outcome(steps::Status status, util::Duration duration, const std::string& reason) {
  std::string text = steps::to_string(status);
  if (status != steps::Status::succeeded && !reason.empty()) text += ": " + reason;
  return text + " (" + util::format_duration(duration) + ")";
}

}  // namespace

std::string run_log_path(const std::string& data_dir, std::int64_t id) {
  return (std::filesystem::path(data_dir) / "runs" / std::to_string(id) / "log").string();
}

util::Result<std::unique_ptr<RunLog>> RunLog::create(const std::string& path) {
  std::error_code error;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), error);
  std::FILE* file = std::fopen(path.c_str(), "we");
  if (file == nullptr) return util::fail("cannot create run log " + path + ": " + std::strerror(errno));
  std::setvbuf(file, nullptr, _IOFBF, 1 << 20);
  return std::unique_ptr<RunLog>(new RunLog(file));
}

RunLog::RunLog(std::FILE* file) : file_(file) {}

RunLog::~RunLog() { std::fclose(file_); }

const std::string& RunLog::stamp(std::chrono::system_clock::time_point time) {
  // All lines of one read share a time: format it once, not once per line.
  if (time != stamped_ || stamp_.empty()) {
    stamped_ = time;
    stamp_ = util::format_utc(time);
  }
  return stamp_;
}

void RunLog::flush_soon(std::chrono::system_clock::time_point time) {
  if (time - flushed_ < kFlushEvery) return;
  flushed_ = time;
  std::fflush(file_);
}

void RunLog::write_marker(const char* marker, const std::string& text) {
  const auto now = std::chrono::system_clock::now();
  std::fprintf(file_, "%s %s %s\n", stamp(now).c_str(), marker, text.c_str());
  flushed_ = now;
  std::fflush(file_);
}

void RunLog::note(const std::string& text) { write_marker("---", text); }

void RunLog::stage_started(const pipeline::Stage& stage) { write_marker("==>", "stage " + stage.name); }

void RunLog::step_started(const pipeline::Stage&, const pipeline::Step& step) {
  write_marker("-->", "step " + step.name);
}

void RunLog::log_line(const steps::LogLine& line) {
  const std::string& time = stamp(line.time);
  fwrite_unlocked(time.data(), 1, time.size(), file_);
  fwrite_unlocked(line.stream == steps::Stream::out ? " out " : " err ", 1, 5, file_);
  fwrite_unlocked(line.text.data(), 1, line.text.size(), file_);
  fputc_unlocked('\n', file_);
  flush_soon(line.time);
}

void RunLog::step_finished(const pipeline::Stage&, const steps::StepResult& result) {
  write_marker("<--", "step " + result.name + " " + outcome(result.status, result.duration, result.reason));
}

void RunLog::stage_finished(const pipeline::Stage& stage, const steps::StageResult& result) {
  write_marker("<==", "stage " + stage.name + " " + outcome(result.status, result.duration, result.reason));
}

void RunLog::run_finished(const steps::RunResult& result) {
  write_marker("===", "run " + outcome(result.status, result.duration, ""));
}

}  // namespace turnout::agent
