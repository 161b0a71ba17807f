#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace turnout::steps {

/// Replaces every occurrence of a secret value with `***` (ARCHITECTURE.md invariant 7).
/// A multi-line secret is masked line by line, since output is masked one line at a time.
class SecretMasker {
 public:
  /// Bytes [begin, end) of a text that a secret covers.
  struct Span {
    std::size_t begin;  ///< first covered byte
    std::size_t end;    ///< one past the last covered byte
  };

  /// No secrets: mask() changes nothing.
  SecretMasker() = default;
  /// Masks these values; empty values are ignored, duplicates kept once. A value with line breaks
  /// contributes each non-empty line (without a trailing '\r') as a value of its own.
  explicit SecretMasker(const std::vector<std::string>& values);

  /// Masks `text` in place. Longer secrets win over shorter ones that overlap them: every byte
  /// that any occurrence covers is hidden, and overlapping occurrences become one `***`.
  void mask(std::string& text) const;
  /// Sets `spans` to the covered ranges of `text`, sorted, overlapping occurrences merged; the
  /// first `head` bytes count as covered whatever they hold. Allocates only when something is found.
  void find(std::string_view text, std::vector<Span>& spans, std::size_t head = 0) const;
  /// Appends `text` to `out` with each of `spans` replaced by `***`; the spans are offsets into a
  /// larger text of which `text` starts at offset `base`, and must lie inside `text`.
  static void append_masked(std::string& out, std::string_view text, std::span<const Span> spans,
                            std::size_t base = 0);
  /// True when there is nothing to mask.
  bool empty() const { return values_.empty(); }
  /// Length of the longest value: a split of a stream never cuts closer than this to the end.
  std::size_t longest() const { return longest_; }
  /// The values, longest first (for `::add-mask::` and the like).
  const std::vector<std::string>& values() const { return values_; }

 private:
  std::vector<std::string> values_;
  std::size_t longest_ = 0;
};

}  // namespace turnout::steps
