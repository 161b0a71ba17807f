#pragma once
// A run's log as the run page shows it: each line split into its time, its marker and its text,
// the text's ANSI colours (SGR sequences) turned into spans with a class, every other escape
// sequence and control character taken out. Plain data: the template escapes the text.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace turnout::agent {

/// A piece of a line's text in one style.
struct LogSpan {
  std::string text;     ///< as written, without escape sequences
  std::string classes;  ///< CSS classes: `b` bold, `fg1`..`fg15` a colour; "" plain
};

/// One line of a run's log (`TIME MARKER TEXT`).
struct LogLine {
  std::int64_t number = 0;     ///< 1-based in the whole log; 0 when the window did not start at 0
  std::int64_t offset = 0;     ///< its first byte in the log
  std::string time;            ///< ISO-8601 UTC, "" when the line has none
  std::string marker;          ///< `out`, `err`, `==>`, `-->`, `<--`, `<==`, `===`, `---`; "" none
  std::vector<LogSpan> spans;  ///< its text
};

/// `text`'s spans: SGR sequences (`ESC [ ... m`: reset, bold, the 16 colours) become classes;
/// other CSI and escape sequences, and control characters but tab, are dropped.
std::vector<LogSpan> ansi_spans(std::string_view text);

/// `lines` as the run page shows them: one `<div class="line">` each with its anchor (`L12`, or
/// `B<offset>` when unnumbered), its time, its marker and its spans, every text escaped by the
/// template engine's own html_escape. Written here, not by a template: a data tree per span
/// cost 20 µs a line, 72 ms for a 256 KiB window (BENCHMARKS.md, "Dashboard").
std::string log_html(const std::vector<LogLine>& lines);

/// The complete lines of `window`, the bytes of a log from byte `offset` on. A window that does
/// not start at 0 drops its first, partial line; a last line without its newline is kept only
/// when `at_end` (the log ends there). Lines are numbered as in the whole log: from 1 when
/// `offset` is 0, else when `newlines_before` (the log's newlines before `offset`) is given;
/// otherwise they are left unnumbered (0).
std::vector<LogLine> log_lines(std::string_view window, std::int64_t offset, bool at_end,
                               std::optional<std::int64_t> newlines_before = std::nullopt);

}  // namespace turnout::agent
