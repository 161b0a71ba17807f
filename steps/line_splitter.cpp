#include "steps/line_splitter.h"

#include <algorithm>
#include <cstring>

namespace turnout::steps {

namespace {

const char* find_newline(std::string_view bytes) {
  // memchr is declared nonnull; an empty view may carry a null pointer.
  if (bytes.empty()) return nullptr;
  return static_cast<const char*>(std::memchr(bytes.data(), '\n', bytes.size()));
}

const char* find_last_newline(std::string_view bytes) {
  if (bytes.empty()) return nullptr;
  return static_cast<const char*>(::memrchr(bytes.data(), '\n', bytes.size()));
}

}  // namespace

LineSplitter::LineSplitter(const SecretMasker& masker, std::size_t max_line)
    : masker_(masker), max_line_(std::max(max_line, 2 * masker.longest() + 1)) {}

void LineSplitter::feed(std::string_view bytes, const Sink& sink) {
  if (!pending_.empty()) bytes = end_pending_line(bytes, sink);
  if (const char* last = find_last_newline(bytes)) {
    const std::size_t block = last - bytes.data() + 1;
    emit_lines(bytes.substr(0, block), sink);
    bytes.remove_prefix(block);
  }
  append(bytes, sink);
}

void LineSplitter::finish(const Sink& sink) {
  if (!pending_.empty()) emit_pending(sink);
}

// Completes the line begun by earlier feeds; returns what follows its '\n' (nothing if none).
std::string_view LineSplitter::end_pending_line(std::string_view bytes, const Sink& sink) {
  const char* newline = find_newline(bytes);
  if (newline == nullptr) {
    append(bytes, sink);
    return {};
  }
  const std::size_t length = newline - bytes.data();
  append(bytes.substr(0, length), sink);
  emit_pending(sink);
  return bytes.substr(length + 1);
}

// The hot path: whole lines straight from the read buffer, searched for secrets once per block
// rather than once per line (no value holds a '\n', so no occurrence spans two lines).
void LineSplitter::emit_lines(std::string_view block, const Sink& sink) {
  block_spans_.clear();
  if (!masker_.empty()) masker_.find(block, block_spans_);
  std::size_t at = 0;
  std::size_t span = 0;
  while (at < block.size()) {
    const std::size_t end = find_newline(block.substr(at)) - block.data();
    std::size_t span_end = span;
    while (span_end < block_spans_.size() && block_spans_[span_end].begin < end) ++span_end;
    const std::string_view line = block.substr(at, end - at);
    if (line.size() > max_line_) {
      append(line, sink);  // cut into pieces; the spans are found again there
      emit_pending(sink);
    } else {
      emit(line, std::span(block_spans_).subspan(span, span_end - span), at, sink);
    }
    span = span_end;
    at = end + 1;
  }
}

// Adds part of a line to pending_ in slices, so memory stays near max_line_ however long it is.
void LineSplitter::append(std::string_view part, const Sink& sink) {
  while (!part.empty()) {
    const std::size_t take = std::min(part.size(), max_line_ + 1 - pending_.size());
    pending_.append(part.substr(0, take));
    part.remove_prefix(take);
    while (pending_.size() > max_line_) cut_piece(sink);
  }
}

// Emits the front of an over-long pending_ line. The last longest()-1 bytes stay behind, since a
// secret may start there and end in bytes not read yet. A cut inside a secret moves back to its
// start; when the secret starts the buffer (a run of overlapping occurrences), the piece is all
// `***` and head_ keeps the rest of the run masked in the next piece.
void LineSplitter::cut_piece(const Sink& sink) {
  const std::size_t keep = masker_.empty() ? 0 : masker_.longest() - 1;
  std::size_t cut = std::min(max_line_, pending_.size() - keep);
  std::size_t carry = 0;
  pending_spans_.clear();
  if (!masker_.empty()) masker_.find(pending_, pending_spans_, head_);
  std::size_t inside = 0;
  for (auto& span : pending_spans_) {
    if (span.begin >= cut) break;
    if (span.end > cut) {
      if (span.begin > 0) {
        cut = span.begin;
        break;
      }
      carry = span.end - cut;
      span.end = cut;
    }
    ++inside;
  }
  emit(std::string_view(pending_).substr(0, cut), std::span(pending_spans_).first(inside), 0, sink);
  pending_.erase(0, cut);
  head_ = carry;
}

void LineSplitter::emit_pending(const Sink& sink) {
  pending_spans_.clear();
  if (!masker_.empty()) masker_.find(pending_, pending_spans_, head_);
  emit(pending_, pending_spans_, 0, sink);
  pending_.clear();
  head_ = 0;
}

void LineSplitter::emit(std::string_view text, std::span<const SecretMasker::Span> spans, std::size_t base,
                        const Sink& sink) {
  if (spans.empty()) {
    sink(text);
    return;
  }
  masked_.clear();
  SecretMasker::append_masked(masked_, text, spans, base);
  sink(masked_);
}

}  // namespace turnout::steps
