#include "steps/secret_masker.h"

#include <algorithm>
#include <cstring>

namespace turnout::steps {

namespace {

// Output is masked one line at a time, so a secret is only ever seen one line at a time.
void add_lines(std::string_view value, std::vector<std::string>& out) {
  while (!value.empty()) {
    const std::size_t newline = value.find('\n');
    std::string_view line = value.substr(0, newline);
    // A secret file written on Windows still matches output written with bare '\n'.
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) out.emplace_back(line);
    if (newline == std::string_view::npos) break;
    value.remove_prefix(newline + 1);
  }
}

// Every occurrence, including overlapping ones ("aa" twice in "aaa"), so nothing of either shows.
void add_occurrences(std::string_view text, const std::string& value,
                     std::vector<SecretMasker::Span>& spans) {
  std::size_t from = 0;
  while (from + value.size() <= text.size()) {
    const void* hit = ::memmem(text.data() + from, text.size() - from, value.data(), value.size());
    if (hit == nullptr) return;
    const std::size_t at = static_cast<const char*>(hit) - text.data();
    spans.push_back({at, at + value.size()});
    from = at + 1;
  }
}

// Overlapping spans become one; touching ones stay apart, so "tokentoken" reads "******".
void merge(std::vector<SecretMasker::Span>& spans) {
  std::sort(spans.begin(), spans.end(), [](const auto& a, const auto& b) { return a.begin < b.begin; });
  std::size_t kept = 0;
  for (std::size_t i = 1; i < spans.size(); ++i) {
    if (spans[i].begin < spans[kept].end) {
      spans[kept].end = std::max(spans[kept].end, spans[i].end);
    } else {
      spans[++kept] = spans[i];
    }
  }
  spans.resize(kept + 1);
}

}  // namespace

SecretMasker::SecretMasker(const std::vector<std::string>& values) {
  for (const auto& value : values) add_lines(value, values_);
  std::sort(values_.begin(), values_.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() > b.size() : a < b;
  });
  values_.erase(std::unique(values_.begin(), values_.end()), values_.end());
  longest_ = values_.empty() ? 0 : values_.front().size();
}

void SecretMasker::find(std::string_view text, std::vector<Span>& spans, std::size_t head) const {
  spans.clear();
  if (head > 0) spans.push_back({0, std::min(head, text.size())});
  if (text.empty()) return;
  for (const auto& value : values_) add_occurrences(text, value, spans);
  if (spans.size() > 1) merge(spans);
}

void SecretMasker::append_masked(std::string& out, std::string_view text, std::span<const Span> spans,
                                 std::size_t base) {
  std::size_t at = 0;
  for (const Span& span : spans) {
    out.append(text.substr(at, span.begin - base - at));
    out.append("***");
    at = span.end - base;
  }
  out.append(text.substr(at));
}

void SecretMasker::mask(std::string& text) const {
  if (values_.empty()) return;
  std::vector<Span> spans;
  find(text, spans);
  if (spans.empty()) return;
  std::string masked;
  masked.reserve(text.size() + 3 * spans.size());
  append_masked(masked, text, spans);
  text.swap(masked);
}

}  // namespace turnout::steps
