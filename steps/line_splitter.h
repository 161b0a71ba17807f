#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "steps/secret_masker.h"

namespace turnout::steps {

/// Turns a byte stream into masked lines, with memory bounded by `max_line` whatever arrives.
/// A line longer than `max_line` is emitted in pieces; a piece is never cut inside a secret,
/// so a secret split across two reads, or across a forced cut, is still masked.
class LineSplitter {
 public:
  /// Receives one line at a time, without its '\n' (a trailing '\r' is kept as written).
  using Sink = std::function<void(std::string_view line)>;

  /// `masker` must outlive the splitter. `max_line` must exceed 2 * masker.longest(); a smaller
  /// one is raised to 2 * masker.longest() + 1.
  LineSplitter(const SecretMasker& masker, std::size_t max_line = 64 * 1024);

  /// Adds bytes; calls `sink` for every line they complete. The view passed to `sink` is valid
  /// only during the call.
  void feed(std::string_view bytes, const Sink& sink);
  /// End of stream: emits a last partial line, if any.
  void finish(const Sink& sink);

 private:
  /// Completes the line in pending_ with `bytes` up to a '\n'; returns what follows it.
  std::string_view end_pending_line(std::string_view bytes, const Sink& sink);
  /// Emits the whole lines of `block`, which ends with '\n', straight from it when it can.
  void emit_lines(std::string_view block, const Sink& sink);
  /// Adds bytes of an unfinished line to pending_, cutting pieces off while it exceeds max_line_.
  void append(std::string_view part, const Sink& sink);
  /// Emits one piece off the front of an over-long pending_.
  void cut_piece(const Sink& sink);
  /// Emits pending_ as the end of a line and empties it.
  void emit_pending(const Sink& sink);
  /// Sends `text` to `sink` with `spans` (offsets from `base`) replaced by `***`.
  void emit(std::string_view text, std::span<const SecretMasker::Span> spans, std::size_t base,
            const Sink& sink);

  const SecretMasker& masker_;
  std::size_t max_line_;
  std::string pending_;                            ///< raw bytes of an unfinished line
  std::size_t head_ = 0;                           ///< leading bytes of pending_ that continue a cut secret
  std::string masked_;                             ///< reused for lines that need masking
  std::vector<SecretMasker::Span> block_spans_;    ///< secrets in the block emit_lines() walks
  std::vector<SecretMasker::Span> pending_spans_;  ///< secrets in pending_
};

}  // namespace turnout::steps
