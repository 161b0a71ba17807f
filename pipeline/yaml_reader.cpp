#include "pipeline/yaml_reader.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <regex>
#include <tuple>
#include <utility>

#include "util/strings.h"

namespace turnout::pipeline::detail {

namespace {

const char kDurationHint[] = "(use e.g. 500ms, 10s, 5m, 1h)";

std::string quoted_key(const Entry& entry) { return "`" + entry.key + "`"; }

bool is_null(const YAML::Node& node) { return !node.IsDefined() || node.IsNull(); }

bool keys_in_order(const Diagnostic& a, const Diagnostic& b) {
  return std::tie(a.line, a.column) < std::tie(b.line, b.column);
}

bool same(const Diagnostic& a, const Diagnostic& b) {
  return a.line == b.line && a.column == b.column && a.message == b.message;
}

}  // namespace

std::string Where::in() const {
  if (part.empty()) return top;
  return owner.empty() ? part : part + " of " + owner;
}

std::string Where::prefix() const { return part.empty() ? std::string() : in() + ": "; }

std::string Where::missing(const std::string& key) const {
  const std::string head = owner.empty() ? std::string() : owner + ": ";
  return head + (part.empty() ? top : part) + " is missing '" + key + "'";
}

std::optional<int> FirstSeen::add(const std::string& name, int line) {
  const auto [it, inserted] = lines_.emplace(name, line);
  if (inserted) return std::nullopt;
  return it->second;
}

int line_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.is_null() ? 0 : mark.line + 1;
}

Position position_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return Position{};
  return Position{mark.line + 1, mark.column + 1};
}

bool is_plain_number(const YAML::Node& node) {
  if (!node.IsScalar() || node.Tag() != "?") return false;
  // The YAML 1.2 core schema's int and float forms.
  static const std::regex kNumber(
      R"([-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)"
      R"(|[-+]?\.(inf|Inf|INF)|\.nan|\.NaN|\.NAN)");
  return std::regex_match(node.Scalar(), kNumber);
}

YamlReader::YamlReader(std::string file) : file_(std::move(file)) {}

void YamlReader::error(const YAML::Node& at, std::string message) { error(at.Mark(), std::move(message)); }

void YamlReader::error(const YAML::Mark& at, std::string message) {
  Diagnostic diagnostic{file_, 0, 0, std::move(message)};
  if (!at.is_null()) {
    diagnostic.line = at.line + 1;
    diagnostic.column = at.column + 1;
  }
  errors_.push_back(std::move(diagnostic));
}

std::vector<Diagnostic> YamlReader::take_errors() {
  std::stable_sort(errors_.begin(), errors_.end(), keys_in_order);
  errors_.erase(std::unique(errors_.begin(), errors_.end(), same), errors_.end());
  return std::move(errors_);
}

std::vector<Entry> YamlReader::entries(const YAML::Node& map, const std::vector<std::string>& known,
                                       const Where& where) {
  std::vector<Entry> result;
  FirstSeen seen;
  // Iterated by value: yaml-cpp's `it->first` is a reference into a temporary.
  for (const auto& pair : map) {
    const YAML::Node& key = pair.first;
    if (!key.IsScalar()) {
      error(key, "keys must be plain names in " + where.in());
      continue;
    }
    const std::string& name = key.Scalar();
    if (!known.empty() && std::find(known.begin(), known.end(), name) == known.end()) {
      report_unknown(map, key, known, where);
      continue;
    }
    if (const auto first = seen.add(name, line_of(key))) {
      error(key, "duplicate key '" + name + "' in " + where.in() + " (first at line " +
                     std::to_string(*first) + ")");
      continue;
    }
    result.push_back(Entry{name, key, pair.second});
  }
  return result;
}

void YamlReader::report_unknown(const YAML::Node& map, const YAML::Node& key,
                                const std::vector<std::string>& known, const Where& where) {
  const std::string& name = key.Scalar();
  error(key, "unknown key '" + name + "' in " + where.in() + util::did_you_mean(name, known));
  if (auto suggestion = util::nearest(name, known)) misspelt_.emplace_back(map, std::move(*suggestion));
}

bool YamlReader::was_misspelt(const YAML::Node& map, const std::string& key) const {
  return std::any_of(misspelt_.begin(), misspelt_.end(),
                     [&](const auto& typo) { return typo.first.is(map) && typo.second == key; });
}

void YamlReader::require(const YAML::Node& map, const std::vector<Entry>& entries,
                         const std::vector<std::string>& required, const Where& where) {
  for (const auto& key : required) {
    const bool present =
        std::any_of(entries.begin(), entries.end(), [&](const Entry& entry) { return entry.key == key; });
    if (!present && !was_misspelt(map, key)) error(map, where.missing(key));
  }
}

bool YamlReader::expect_map(const Entry& entry, const Where& where) {
  if (entry.value.IsMap()) return true;
  error(value_mark(entry), where.prefix() + quoted_key(entry) + " must be a mapping");
  return false;
}

bool YamlReader::expect_list(const Entry& entry, const Where& where) {
  if (entry.value.IsSequence()) return true;
  error(value_mark(entry), where.prefix() + quoted_key(entry) + " must be a list");
  return false;
}

std::optional<std::string> YamlReader::text(const Entry& entry, const Where& where) {
  if (!entry.value.IsScalar()) {
    error(value_mark(entry), where.prefix() + quoted_key(entry) + " must be a string");
    return std::nullopt;
  }
  if (entry.value.Scalar().empty()) {
    error(value_mark(entry), where.prefix() + quoted_key(entry) + " must not be empty");
    return std::nullopt;
  }
  return entry.value.Scalar();
}

std::optional<std::string> YamlReader::command(const Entry& entry, const Where& where) {
  if (is_plain_number(entry.value)) {
    error(value_mark(entry), where.prefix() + quoted_key(entry) + " must be a string");
    return std::nullopt;
  }
  return text(entry, where);
}

std::optional<bool> YamlReader::boolean(const Entry& entry, const Where& where) {
  bool value = false;
  if (entry.value.IsScalar() && YAML::convert<bool>::decode(entry.value, value)) return value;
  const std::string got = entry.value.IsScalar() ? " (got '" + entry.value.Scalar() + "')" : "";
  error(value_mark(entry), where.prefix() + quoted_key(entry) + " must be true or false" + got);
  return std::nullopt;
}

std::optional<long long> YamlReader::whole_number(const Entry& entry, const Where& where) {
  if (entry.value.IsScalar()) {
    const std::string& text = entry.value.Scalar();
    const char* begin = text.data() + (text.size() > 1 && text[0] == '+' ? 1 : 0);
    const char* end = text.data() + text.size();
    long long number = 0;
    const auto [stop, code] = std::from_chars(begin, end, number);
    if (code == std::errc() && stop == end) return number;
    // Too many digits for a long long is still a whole number, just far out of any range.
    if (code == std::errc::result_out_of_range) return text[0] == '-' ? LLONG_MIN : LLONG_MAX;
  }
  const std::string got = entry.value.IsScalar() ? " (got '" + entry.value.Scalar() + "')" : "";
  error(value_mark(entry), where.prefix() + quoted_key(entry) + " must be a whole number" + got);
  return std::nullopt;
}

std::optional<int> YamlReader::integer(const Entry& entry, const Where& where, int min, int max) {
  const auto number = whole_number(entry, where);
  if (!number) return std::nullopt;
  if (*number >= min && *number <= max) return static_cast<int>(*number);
  const std::string got = entry.value.Scalar();
  if (max == INT_MAX) {
    error(value_mark(entry), where.prefix() + quoted_key(entry) + " must be at least " + std::to_string(min) +
                                 " (got " + got + ")");
  } else {
    error(value_mark(entry), where.prefix() + quoted_key(entry) + " " + got + " out of range " +
                                 std::to_string(min) + ".." + std::to_string(max));
  }
  return std::nullopt;
}

std::optional<util::Duration> YamlReader::duration(const Entry& entry, const Where& where) {
  if (!entry.value.IsScalar()) {
    error(value_mark(entry), where.prefix() + quoted_key(entry) + " must be a duration " + kDurationHint);
    return std::nullopt;
  }
  const auto parsed = util::parse_duration(entry.value.Scalar());
  if (!parsed) {
    error(value_mark(entry), where.prefix() + "bad duration '" + entry.value.Scalar() + "' for '" +
                                 entry.key + "' " + kDurationHint);
  }
  return parsed;
}

std::optional<util::Duration> YamlReader::positive_duration(const Entry& entry, const Where& where) {
  const auto parsed = duration(entry, where);
  if (!parsed || parsed->count() > 0) return parsed;
  error(value_mark(entry), where.prefix() + quoted_key(entry) + " must be longer than 0");
  return std::nullopt;
}

std::optional<std::vector<std::string>> YamlReader::text_list(const Entry& entry, const Where& where) {
  if (!expect_list(entry, where)) return std::nullopt;
  std::vector<std::string> items;
  bool ok = true;
  int index = 0;
  for (const auto& item : entry.value) {
    ++index;
    if (item.IsScalar() && !item.Scalar().empty()) {
      items.push_back(item.Scalar());
      continue;
    }
    ok = false;
    const std::string what = is_null(item) || item.IsScalar() ? " is empty" : " must be a string";
    error(is_null(item) ? entry.value : item,
          where.prefix() + quoted_key(entry) + " item " + std::to_string(index) + what);
  }
  if (!ok) return std::nullopt;
  return items;
}

YAML::Mark YamlReader::value_mark(const Entry& entry) {
  return is_null(entry.value) ? entry.key_node.Mark() : entry.value.Mark();
}

}  // namespace turnout::pipeline::detail
