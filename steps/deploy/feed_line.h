#pragma once
// One line of the traffic feed: what nginx's generated include sends per request of an app, and
// its strict parser. The line is network input (anything on the machine can send a datagram to
// the port): it is taken only when every part is exactly what the include makes nginx send.
//
//     <190>Dec  7 06:09:35 turnout: turnout1 KEY APP SLOT 127.0.0.1:PORT STATUS SECONDS
//
// `<190>` is facility local7, severity info; the time is nginx's (unused: a line is counted when
// it arrives); KEY is the data folder's feed key; SLOT is the slot nginx's selector chose;
// PORT the upstream nginx reached (`-` when none); SECONDS `$upstream_response_time` (`-` when
// no upstream answered).

#include <optional>
#include <string>
#include <string_view>

#include "steps/deploy/slot.h"

namespace turnout::steps::deploy {

/// One request, as a feed line tells it.
struct FeedLine {
  std::string_view app;                    ///< the app's name (points into the datagram)
  Slot slot = Slot::blue;                  ///< the slot the request went to
  int port = 0;                            ///< the upstream's port; 0: nginx reached none
  int status = 0;                          ///< the status the client got (100..599)
  std::optional<double> upstream_seconds;  ///< how long the slot took; none: it did not answer
};

/// What became of a datagram.
enum class FeedVerdict {
  accepted,   ///< a well-formed line with the key
  malformed,  ///< not a line of the include's format (or cut short)
  forged,     ///< of the right form, but without the data folder's key or not from 127.0.0.1
};

/// `accepted`, `malformed` or `forged` (the label /metrics uses).
const char* to_string(FeedVerdict verdict);

/// A datagram parsed: `line` is set when the verdict is accepted; `reason` says why not.
struct ParsedFeedLine {
  FeedVerdict verdict = FeedVerdict::malformed;  ///< what it is
  FeedLine line;                                 ///< the request (accepted only)
  const char* reason = "";                       ///< why it was not accepted
};

/// The longest datagram a line can be: longer ones are malformed without reading further.
inline constexpr std::size_t kMaxFeedLine = 512;

/// Parses one datagram against the include's format and the data folder's `key` (compared in
/// constant time).
ParsedFeedLine parse_feed_line(std::string_view datagram, std::string_view key);

/// The `log_format` name of `app`'s feed: unique per app, as nginx's http block needs.
std::string feed_format_name(const std::string& app);

/// The whole `log_format` directive of `app`'s feed (http context), for `key`.
std::string feed_log_format(const std::string& app, const std::string& key);

/// The `access_log` directive that sends `app`'s requests to 127.0.0.1:`port` over syslog (UDP:
/// nginx never waits on the receiver).
std::string feed_access_log(const std::string& app, int port);

}  // namespace turnout::steps::deploy
