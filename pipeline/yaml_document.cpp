#include "pipeline/yaml_document.h"

#include <string>

namespace turnout::pipeline::detail {

namespace {

// The 0-based column of a tab in the indentation of 0-based line `line`, if it has one.
std::optional<int> indenting_tab(std::string_view text, int line) {
  std::size_t start = 0;
  for (int at = 0; at < line; ++at) {
    start = text.find('\n', start);
    if (start == std::string_view::npos) return std::nullopt;
    ++start;
  }
  for (std::size_t i = start; i < text.size() && (text[i] == ' ' || text[i] == '\t'); ++i) {
    if (text[i] == '\t') return static_cast<int>(i - start);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::vector<YAML::Node>> load_documents(std::string_view text, YamlReader& reader) {
  try {
    return YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& error) {
    // yaml-cpp says "illegal map value" or "illegal block entry" for a tab in the indentation.
    if (const auto tab = error.mark.is_null() ? std::nullopt : indenting_tab(text, error.mark.line)) {
      YAML::Mark at = error.mark;
      at.column = *tab;
      reader.error(at, "YAML indents with spaces; found a tab");
    } else {
      reader.error(error.mark, "YAML syntax error: " + error.msg);
    }
    return std::nullopt;
  }
}

}  // namespace turnout::pipeline::detail
