#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "steps/run_observer.h"
#include "util/result.h"

namespace turnout::agent {

/// The log file of one run, `<data>/runs/<id>/log`: every line starts with its UTC time, then
/// a marker (`==>` stage, `-->` step, `out`/`err` output, `<--` step end, `<==` stage end,
/// `===` run end). Output is already masked when it arrives. Written through a large buffer,
/// flushed at every step boundary and, by a thread of its own, within 200 ms of any line, so a
/// line followed by silence (a step that prints, then waits) still reaches `logs --follow` and
/// the API's live log.
class RunLog : public steps::RunObserver {
 public:
  /// Creates the file (and its folder); fails with a message naming the path.
  static util::Result<std::unique_ptr<RunLog>> create(const std::string& path);
  ~RunLog() override;

  void stage_started(const pipeline::Stage& stage) override;
  void step_started(const pipeline::Stage& stage, const pipeline::Step& step) override;
  void log_line(const steps::LogLine& line) override;
  void step_finished(const pipeline::Stage& stage, const steps::StepResult& result) override;
  void stage_finished(const pipeline::Stage& stage, const steps::StageResult& result) override;
  void run_finished(const steps::RunResult& result) override;

  /// Writes a line of turnout's own (a sync, a note) with the marker `---`.
  void note(const std::string& text);

 private:
  explicit RunLog(std::FILE* file);
  void write_marker(const char* marker, const std::string& text);
  const std::string& stamp(std::chrono::system_clock::time_point time);
  void flush_while_open();

  std::FILE* file_;
  std::chrono::system_clock::time_point stamped_{};
  std::string stamp_;
  std::mutex mutex_;  // the file, between the writers and the flusher
  std::condition_variable closing_;
  bool dirty_ = false;   // lines written since the last flush
  bool closed_ = false;  // the flusher's signal to end
  std::thread flusher_;  // flushes within kFlushEvery of a line
};

/// Where the log of run `id` lives under `data_dir`.
std::string run_log_path(const std::string& data_dir, std::int64_t id);

/// A run's log opened for reading in bounded pieces: whoever serves it (the API) never holds
/// more than one piece. Plain offsets and bytes, nothing of any transport. Only a regular file
/// `log` in the run's own folder is opened, neither of them through a symbolic link, so a link
/// planted there reads nothing of its target.
class RunLogReader {
 public:
  /// Opens the log of run `id` under `data_dir`. Fails ErrorKind::not_found when the run has no
  /// log (yet), denied when its folder or its log is a symbolic link or not what it should be
  /// (a folder, a regular file), failed naming the path on any other error.
  static util::Result<std::unique_ptr<RunLogReader>> open(const std::string& data_dir, std::int64_t id);
  ~RunLogReader();
  RunLogReader(const RunLogReader&) = delete;
  RunLogReader& operator=(const RunLogReader&) = delete;

  /// Its size in bytes when it was opened; a run still going appends more, which a later
  /// open sees.
  std::int64_t size() const { return size_; }
  /// Puts up to `max` bytes from `offset` in `piece` (replacing what it held, keeping its
  /// buffer); fewer at the end, none from the end on. Fails naming the path when reading does.
  util::Status read(std::int64_t offset, std::size_t max, std::string& piece) const;

 private:
  RunLogReader(int fd, std::string path, std::int64_t size);
  int fd_;
  std::string path_;
  std::int64_t size_;
};

}  // namespace turnout::agent
