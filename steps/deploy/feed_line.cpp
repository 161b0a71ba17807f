#include "steps/deploy/feed_line.h"

#include <cctype>
#include <charconv>
#include <utility>

#include "util/hmac.h"

namespace turnout::steps::deploy {

namespace {

constexpr std::string_view kPriority = "<190>";  // local7.info, as feed_access_log asks
constexpr std::string_view kTag = "turnout: ";
constexpr std::string_view kVersion = "turnout1";

bool digit(char c) { return c >= '0' && c <= '9'; }

/// Reads a datagram front to back; every take_* consumes on success only.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : rest_(text) {}

  bool take(std::string_view literal) {
    if (!rest_.starts_with(literal)) return false;
    rest_.remove_prefix(literal.size());
    return true;
  }
  /// The next field up to a single space (or the end for the last one); empty when none.
  std::string_view field(bool last) {
    const auto space = rest_.find(' ');
    if (last) {
      if (space != std::string_view::npos) return {};
      return std::exchange(rest_, std::string_view());
    }
    if (space == std::string_view::npos || space == 0) return {};
    const auto word = rest_.substr(0, space);
    rest_.remove_prefix(space + 1);
    return word;
  }
  /// nginx's syslog time: "Mmm dd hh:mm:ss " with the day padded by a space.
  bool take_time() {
    if (rest_.size() < 16) return false;
    const std::string_view time = rest_.substr(0, 16);
    const bool month = std::isupper(static_cast<unsigned char>(time[0])) &&
                       std::islower(static_cast<unsigned char>(time[1])) &&
                       std::islower(static_cast<unsigned char>(time[2]));
    const bool day = (time[4] == ' ' || digit(time[4])) && digit(time[5]);
    const bool clock = digit(time[7]) && digit(time[8]) && time[9] == ':' && digit(time[10]) &&
                       digit(time[11]) && time[12] == ':' && digit(time[13]) && digit(time[14]);
    if (!month || time[3] != ' ' || !day || time[6] != ' ' || !clock || time[15] != ' ') return false;
    rest_.remove_prefix(16);
    return true;
  }

 private:
  std::string_view rest_;
};

bool is_app(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  for (const char c : name) {
    if (!(std::islower(static_cast<unsigned char>(c)) || digit(c) || c == '.' || c == '_' || c == '-'))
      return false;
  }
  return true;
}

std::optional<int> number(std::string_view text, int low, int high) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < low || value > high)
    return std::nullopt;
  return value;
}

// `127.0.0.1:PORT`, or `-` (0) when nginx reached no upstream.
std::optional<int> upstream_port(std::string_view text) {
  if (text == "-") return 0;
  constexpr std::string_view kHost = "127.0.0.1:";
  if (!text.starts_with(kHost)) return std::nullopt;
  return number(text.substr(kHost.size()), 1, 65535);
}

// nginx's seconds with milliseconds ("0.002"), or `-`; anything else (two upstreams' times
// after a retry or an internal redirect) is not a line of one request to one slot.
bool upstream_seconds(std::string_view text, std::optional<double>& seconds) {
  if (text == "-") return true;
  const auto dot = text.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot > 6 || text.size() != dot + 4 || !digit(text[0]))
    return false;
  const auto whole = number(text.substr(0, dot), 0, 999999);
  const auto millis = number(text.substr(dot + 1), 0, 999);
  if (!whole || !millis || !digit(text[dot + 1])) return false;
  seconds = *whole + *millis / 1000.0;
  return true;
}

ParsedFeedLine refused(FeedVerdict verdict, const char* reason) { return {verdict, {}, reason}; }

}  // namespace

const char* to_string(FeedVerdict verdict) {
  switch (verdict) {
    case FeedVerdict::accepted:
      return "accepted";
    case FeedVerdict::malformed:
      return "malformed";
    case FeedVerdict::forged:
      return "forged";
  }
  return "malformed";
}

ParsedFeedLine parse_feed_line(std::string_view datagram, std::string_view key) {
  if (datagram.size() > kMaxFeedLine) return refused(FeedVerdict::malformed, "too long");
  Cursor cursor(datagram);
  if (!cursor.take(kPriority)) return refused(FeedVerdict::malformed, "not <190> (local7.info)");
  if (!cursor.take_time()) return refused(FeedVerdict::malformed, "no syslog time");
  if (!cursor.take(kTag) || !cursor.take(kVersion) || !cursor.take(" "))
    return refused(FeedVerdict::malformed, "not turnout's tag and format");
  const auto line_key = cursor.field(false);
  const auto app = cursor.field(false);
  const auto slot = parse_slot(cursor.field(false));
  const auto port = upstream_port(cursor.field(false));
  const auto status = number(cursor.field(false), 100, 599);
  std::optional<double> seconds;
  const bool timed = upstream_seconds(cursor.field(true), seconds);
  if (line_key.size() != key.size() || !is_app(app) || !slot || !port || !status || !timed)
    return refused(FeedVerdict::malformed, "a field is not of the format");
  if (!util::constant_time_equal(line_key, key)) return refused(FeedVerdict::forged, "wrong key");
  return {FeedVerdict::accepted, {app, *slot, *port, *status, seconds}, ""};
}

std::string feed_format_name(const std::string& app) { return "turnout_feed_" + app; }

std::string feed_log_format(const std::string& app, const std::string& key) {
  return "log_format " + feed_format_name(app) + " '" + std::string(kVersion) + " " + key + " " + app +
         " $turnout_slot $upstream_addr $status $upstream_response_time';\n";
}

std::string feed_access_log(const std::string& app, int port) {
  return "access_log syslog:server=127.0.0.1:" + std::to_string(port) +
         ",facility=local7,severity=info,tag=turnout,nohostname " + feed_format_name(app) + ";\n";
}

}  // namespace turnout::steps::deploy
