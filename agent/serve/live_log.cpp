#include "agent/serve/live_log.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <utility>

#include "agent/run/run_log.h"

namespace turnout::agent {

namespace {

using Clock = std::chrono::steady_clock;

// The most one ask reads: a follower far behind catches up in pieces of this size.
constexpr std::size_t kPiece = 64 * 1024;
// While the log does not grow, how often the store is asked whether the run has ended.
constexpr auto kEndCheck = std::chrono::seconds(1);

class LiveLog {
 public:
  LiveLog(std::string data_dir, std::int64_t id, std::int64_t offset, LiveLogFormat format, RunEnded ended)
      : data_dir_(std::move(data_dir)), id_(id), offset_(offset), format_(format), ended_(std::move(ended)) {}

  LiveStep next(std::string& piece) {
    piece.clear();
    if (!reader_ && !open()) return finish_or_wait(piece, false);
    if (auto read = reader_->read(offset_, kPiece, read_); !read) {
      spdlog::warn("{}", read.error().message);
      return LiveStep::end;
    }
    offset_ += static_cast<std::int64_t>(read_.size());
    if (read_.empty()) return finish_or_wait(piece, true);
    frame(piece);
    return read_.size() == kPiece ? LiveStep::more : LiveStep::wait;
  }

 private:
  // False while the run has no log yet; a log that cannot be read (a link, say) ends the follow.
  bool open() {
    auto opened = RunLogReader::open(data_dir_, id_);
    if (opened) {
      reader_ = std::move(opened.value());
      return true;
    }
    if (opened.error().kind != util::ErrorKind::not_found) {
      spdlog::warn("{}", opened.error().message);
      gone_ = true;
    }
    return false;
  }

  // Nothing new: the end, once the run has ended and one more read found nothing (the run's
  // last lines may land between the read and the look at its status).
  LiveStep finish_or_wait(std::string& piece, bool have_log) {
    if (gone_ || (ended_seen_ && have_log)) return last_words(piece);
    const auto now = Clock::now();
    if (now - checked_ < kEndCheck) return LiveStep::wait;
    checked_ = now;
    ended_seen_ = ended_();
    if (ended_seen_ && !have_log) return last_words(piece);  // ended without a log: nothing to wait for
    return ended_seen_ ? LiveStep::more : LiveStep::wait;
  }

  LiveStep last_words(std::string& piece) {
    if (format_ == LiveLogFormat::event_stream) {
      if (!partial_.empty()) piece = server_sent_event(offset_, partial_);
      piece += "event: end\ndata: " + std::to_string(offset_) + "\n\n";
    }
    return LiveStep::end;
  }

  // Text goes as it is; events carry whole lines only, the rest waits for its newline.
  void frame(std::string& piece) {
    if (format_ == LiveLogFormat::text) {
      piece.swap(read_);
      return;
    }
    partial_ += read_;
    const auto last_newline = partial_.rfind('\n');
    if (last_newline == std::string::npos) return;
    const auto after = offset_ - static_cast<std::int64_t>(partial_.size() - last_newline - 1);
    piece = server_sent_event(after, partial_.substr(0, last_newline));
    partial_.erase(0, last_newline + 1);
  }

  std::string data_dir_;
  std::int64_t id_;
  std::int64_t offset_;
  LiveLogFormat format_;
  RunEnded ended_;
  std::unique_ptr<RunLogReader> reader_;
  std::string read_;
  std::string partial_;
  bool ended_seen_ = false;
  bool gone_ = false;
  Clock::time_point checked_{};
};

}  // namespace

std::string server_sent_event(std::int64_t id, const std::string& text) {
  std::string event = "id: " + std::to_string(id) + "\ndata: ";
  event.reserve(event.size() + text.size() + text.size() / 16 + 2);
  for (const char c : text) {
    if (c == '\n' || c == '\r') {
      event += "\ndata: ";
    } else {
      event += c;
    }
  }
  event += "\n\n";
  return event;
}

std::shared_ptr<LiveBody> follow_log(std::string data_dir, std::int64_t id, std::int64_t offset,
                                     LiveLogFormat format, RunEnded ended) {
  auto log = std::make_shared<LiveLog>(std::move(data_dir), id, offset, format, std::move(ended));
  auto body = std::make_shared<LiveBody>();
  body->next = [log](std::string& piece) { return log->next(piece); };
  if (format == LiveLogFormat::event_stream) body->heartbeat = ": still here\n\n";
  return body;
}

}  // namespace turnout::agent
