#include "util/pressure.h"

#include <cctype>
#include <charconv>

#include "util/read_file.h"

namespace turnout::util {

namespace {

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// Reads a PSI line field by field, failing on the first byte that is not the format's.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}

  bool literal(std::string_view expected) {
    if (text_.substr(0, expected.size()) != expected) return false;
    text_.remove_prefix(expected.size());
    return true;
  }

  // Digits, a point, digits: the kernel's "%lu.%02lu".
  std::optional<double> percent() {
    std::size_t length = digits(0);
    if (length == 0 || length >= text_.size() || text_[length] != '.') return std::nullopt;
    const std::size_t fraction = digits(length + 1);
    if (fraction == 0) return std::nullopt;
    length += 1 + fraction;
    double value = 0;
    const auto parsed = std::from_chars(text_.data(), text_.data() + length, value);
    if (parsed.ec != std::errc{}) return std::nullopt;
    text_.remove_prefix(length);
    return value;
  }

  std::optional<std::uint64_t> count() {
    const std::size_t length = digits(0);
    std::uint64_t value = 0;
    if (length == 0 || std::from_chars(text_.data(), text_.data() + length, value).ec != std::errc{})
      return std::nullopt;
    text_.remove_prefix(length);
    return value;
  }

 private:
  std::size_t digits(std::size_t from) const {
    std::size_t end = from;
    while (end < text_.size() && is_digit(text_[end])) ++end;
    return end - from;
  }

  std::string_view text_;
};

Result<PressureLine> parse_line(std::string_view line, std::string_view kind) {
  const auto bad = [&](const std::string& what) {
    return fail("pressure line '" + std::string(kind) + "': " + what, ErrorKind::invalid);
  };
  LineReader reader(line);
  if (!reader.literal(kind) || !reader.literal(" "))
    return bad("does not start with '" + std::string(kind) + " '");
  PressureLine parsed;
  const std::pair<std::string_view, double*> averages[] = {
      {"avg10=", &parsed.avg10}, {"avg60=", &parsed.avg60}, {"avg300=", &parsed.avg300}};
  for (const auto& [key, value] : averages) {
    if (!reader.literal(key)) return bad("expected '" + std::string(key) + "'");
    const auto percent = reader.percent();
    if (!percent) return bad("'" + std::string(key) + "' is not a number with a decimal point");
    *value = *percent;
    if (!reader.literal(" ")) return bad("expected one space after '" + std::string(key) + "'");
  }
  if (!reader.literal("total=")) return bad("expected 'total='");
  const auto total = reader.count();
  if (!total) return bad("'total=' is not a whole number of microseconds");
  if (!reader.literal("\n")) return bad("unexpected text after 'total=', or no newline");
  parsed.total_us = *total;
  return parsed;
}

}  // namespace

Result<Pressure> parse_pressure(std::string_view text) {
  const auto end_of = [&](std::size_t from) {
    const auto newline = text.find('\n', from);
    return newline == std::string_view::npos ? text.size() : newline + 1;
  };
  const std::size_t first_end = end_of(0);
  auto some = parse_line(text.substr(0, first_end), "some");
  if (!some) return some.error();
  Pressure pressure{some.value(), std::nullopt};
  if (first_end == text.size()) return pressure;
  const std::size_t second_end = end_of(first_end);
  auto full = parse_line(text.substr(first_end, second_end - first_end), "full");
  if (!full) return full.error();
  pressure.full = full.value();
  if (second_end != text.size())
    return fail("pressure: unexpected text after the 'full' line", ErrorKind::invalid);
  return pressure;
}

Result<Pressure> read_pressure(const std::string& path) {
  auto text = read_whole_file(path);
  if (!text) return fail("cannot read " + path + ": " + text.error().message, text.error().kind);
  auto parsed = parse_pressure(text.value());
  if (!parsed) return fail(path + ": " + parsed.error().message, ErrorKind::invalid);
  return parsed;
}

}  // namespace turnout::util
