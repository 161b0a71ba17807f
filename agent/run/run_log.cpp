#include "agent/run/run_log.h"

#include "util/strings.h"
#include "util/utc_time.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

namespace turnout::agent {

namespace {

constexpr auto kFlushEvery = std::chrono::milliseconds(200);

std::string outcome(steps::Status status, util::Duration duration, const std::string& reason) {
  std::string text = steps::to_string(status);
  if (status != steps::Status::succeeded && !reason.empty()) text += ": " + reason;
  return text + " (" + util::format_duration(duration) + ")";
}

// "; stalled (machine): cpu 3.2s, memory 0ms (full 0ms), io 120ms (full 40ms)": what the step
// waited on by PSI, and whose pressure it is (the run's group, or the whole machine).
std::string stall_text(const steps::StepPressure& pressure) {
  const auto ms = [](std::uint64_t micros) {
    return util::format_duration(util::Duration(static_cast<std::int64_t>(micros / 1000)));
  };
  const auto& stall = pressure.stall;
  return std::string("; stalled (") + util::to_string(pressure.source) + "): cpu " + ms(stall.cpu_some_us) +
         ", memory " + ms(stall.memory_some_us) + " (full " + ms(stall.memory_full_us) + "), io " +
         ms(stall.io_some_us) + " (full " + ms(stall.io_full_us) + ")";
}

// A file descriptor closed when it goes.
struct OwnedFd {
  int fd = -1;
  ~OwnedFd() {
    if (fd >= 0) ::close(fd);
  }
  int release() { return std::exchange(fd, -1); }
};

util::Error not_regular(const std::string& path) {
  return util::fail(
      "run log " + path + " is not a regular file in its run's folder (a symbolic link?): not read",
      util::ErrorKind::denied);
}

// Why `path` could not be opened, as the kind a caller can act on: O_NOFOLLOW answers a link
// with ELOOP, and O_DIRECTORY a file where a folder should be with ENOTDIR.
util::Error open_error(int error, const std::string& path, std::int64_t id) {
  if (error == ENOENT)
    return util::fail("run " + std::to_string(id) + " has no log yet", util::ErrorKind::not_found);
  if (error == ELOOP || error == ENOTDIR) return not_regular(path);
  return util::fail("cannot open run log " + path + ": " + std::strerror(error));
}

}  // namespace

std::string run_log_path(const std::string& data_dir, std::int64_t id) {
  return (std::filesystem::path(data_dir) / "runs" / std::to_string(id) / "log").string();
}

util::Result<std::unique_ptr<RunLog>> RunLog::create(const std::string& path) {
  // The folder's own error: fopen in a folder that could not be made says only ENOENT.
  std::error_code error;
  const auto folder = std::filesystem::path(path).parent_path();
  std::filesystem::create_directories(folder, error);
  if (error) return util::fail("cannot create run folder " + folder.string() + ": " + error.message());
  std::FILE* file = std::fopen(path.c_str(), "we");
  if (file == nullptr) return util::fail("cannot create run log " + path + ": " + std::strerror(errno));
  std::setvbuf(file, nullptr, _IOFBF, 1 << 20);
  return std::unique_ptr<RunLog>(new RunLog(file));
}

RunLog::RunLog(std::FILE* file) : file_(file), flusher_([this] { flush_while_open(); }) {}

RunLog::~RunLog() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
  }
  closing_.notify_one();
  flusher_.join();
  std::fclose(file_);
}

void RunLog::flush_while_open() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!closing_.wait_for(lock, kFlushEvery, [this] { return closed_; })) {
    if (!dirty_) continue;
    dirty_ = false;
    std::fflush(file_);
  }
}

const std::string& RunLog::stamp(std::chrono::system_clock::time_point time) {
  // All lines of one read share a time: format it once, not once per line.
  if (time != stamped_ || stamp_.empty()) {
    stamped_ = time;
    stamp_ = util::format_utc(time);
  }
  return stamp_;
}

void RunLog::write_marker(const char* marker, const std::string& text) {
  const auto now = std::chrono::system_clock::now();
  const std::lock_guard<std::mutex> lock(mutex_);
  std::fprintf(file_, "%s %s %s\n", stamp(now).c_str(), marker, text.c_str());
  dirty_ = false;
  std::fflush(file_);
}

void RunLog::note(const std::string& text) { write_marker("---", text); }

void RunLog::stage_started(const pipeline::Stage& stage) { write_marker("==>", "stage " + stage.name); }

void RunLog::step_started(const pipeline::Stage&, const pipeline::Step& step) {
  write_marker("-->", "step " + step.name);
}

void RunLog::log_line(const steps::LogLine& line) {
  const std::lock_guard<std::mutex> lock(mutex_);
  const std::string& time = stamp(line.time);
  fwrite_unlocked(time.data(), 1, time.size(), file_);
  const char* marker = line.stream == steps::Stream::out   ? " out "
                       : line.stream == steps::Stream::err ? " err "
                                                           : " --- ";
  fwrite_unlocked(marker, 1, 5, file_);
  fwrite_unlocked(line.text.data(), 1, line.text.size(), file_);
  fputc_unlocked('\n', file_);
  dirty_ = true;
}

void RunLog::step_finished(const pipeline::Stage&, const steps::StepResult& result) {
  std::string text = "step " + result.name + " " + outcome(result.status, result.duration, result.reason);
  if (result.usage) {
    text += " cpu " + util::format_duration(result.usage->cpu) + ", peak memory " +
            util::format_mebibytes(result.usage->peak_memory_bytes);
  }
  if (result.pressure) text += stall_text(*result.pressure);
  write_marker("<--", text);
}

void RunLog::stage_finished(const pipeline::Stage& stage, const steps::StageResult& result) {
  write_marker("<==", "stage " + stage.name + " " + outcome(result.status, result.duration, result.reason));
}

void RunLog::run_finished(const steps::RunResult& result) {
  write_marker("===", "run " + outcome(result.status, result.duration, ""));
}

util::Result<std::unique_ptr<RunLogReader>> RunLogReader::open(const std::string& data_dir, std::int64_t id) {
  const std::string path = run_log_path(data_dir, id);
  // `runs` may be a link the operator made (to another disk); the run's folder and its log,
  // which runs write into, may not.
  const std::string runs = (std::filesystem::path(data_dir) / "runs").string();
  const OwnedFd runs_fd{::open(runs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (runs_fd.fd < 0) return open_error(errno, path, id);
  const OwnedFd run_fd{
      ::openat(runs_fd.fd, std::to_string(id).c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
  if (run_fd.fd < 0) return open_error(errno, path, id);
  // O_NONBLOCK: opening a FIFO planted there must not wait for a writer.
  OwnedFd log{::openat(run_fd.fd, "log", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)};
  if (log.fd < 0) return open_error(errno, path, id);
  struct stat status {};
  if (::fstat(log.fd, &status) != 0)
    return util::fail("cannot read run log " + path + ": " + std::strerror(errno));
  if (!S_ISREG(status.st_mode)) return not_regular(path);
  return std::unique_ptr<RunLogReader>(new RunLogReader(log.release(), path, status.st_size));
}

RunLogReader::RunLogReader(int fd, std::string path, std::int64_t size)
    : fd_(fd), path_(std::move(path)), size_(size) {}

RunLogReader::~RunLogReader() { ::close(fd_); }

util::Status RunLogReader::read(std::int64_t offset, std::size_t max, std::string& piece) const {
  piece.resize(max);
  std::size_t got = 0;
  while (got < max) {
    const auto n = ::pread(fd_, piece.data() + got, max - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      piece.clear();
      return util::fail("cannot read run log " + path_ + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  piece.resize(got);
  return util::Ok{};
}

}  // namespace turnout::agent
