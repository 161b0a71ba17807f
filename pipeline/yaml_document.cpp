#include "pipeline/yaml_document.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <map>
#include <sstream>
#include <string>
#include <vector>

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

// Counts, from the parser's events, the nodes that aliases add: an alias adds as many as its
// anchor's node holds, aliases inside included. Stops the parse at the alias that goes over.
class AliasCounter : public YAML::EventHandler {
 public:
  /// Thrown to stop the parse at the alias that goes over.
  struct TooMany {
    YAML::Mark at;  ///< that alias
  };

  void OnDocumentStart(const YAML::Mark&) override { sizes_.clear(); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t anchor) override { leaf(anchor); }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t anchor, const std::string&) override {
    leaf(anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    const auto found = sizes_.find(anchor);
    const std::uint64_t size = found == sizes_.end() ? 1 : found->second;
    nodes_ += size;
    added_ += size;
    if (added_ > kMaxAliasedNodes) throw TooMany{mark};
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  void leaf(YAML::anchor_t anchor) {
    ++nodes_;
    if (anchor != YAML::NullAnchor) sizes_[anchor] = 1;
  }
  void open(YAML::anchor_t anchor) { open_.push_back({anchor, nodes_++}); }
  void close() {
    if (open_.empty()) return;
    const auto [anchor, first] = open_.back();
    open_.pop_back();
    if (anchor != YAML::NullAnchor) sizes_[anchor] = nodes_ - first;
  }

  std::uint64_t nodes_ = 0;                                     // as if every alias were a copy
  std::uint64_t added_ = 0;                                     // by aliases
  std::map<YAML::anchor_t, std::uint64_t> sizes_;               // of each anchored node, expanded
  std::vector<std::pair<YAML::anchor_t, std::uint64_t>> open_;  // collections: anchor, nodes_ at start
};

// Reports, and returns false, when aliases add more than kMaxAliasedNodes nodes to `text`.
// A syntax error is left to the load that follows, which reports it.
bool aliases_within_limit(std::string_view text, YamlReader& reader) {
  if (text.find('*') == std::string_view::npos) return true;  // no alias at all
  std::istringstream in{std::string(text)};
  try {
    YAML::Parser parser(in);
    AliasCounter counter;
    while (parser.HandleNextDocument(counter)) {
    }
  } catch (const AliasCounter::TooMany& over) {
    reader.error(over.at, "YAML aliases expand to more than " + std::to_string(kMaxAliasedNodes) +
                              " nodes: write the repeated parts out, or repeat less");
    return false;
  } catch (const YAML::Exception&) {
  }
  return true;
}

}  // namespace

std::optional<std::vector<YAML::Node>> load_documents(std::string_view text, YamlReader& reader) {
  if (!aliases_within_limit(text, reader)) return std::nullopt;
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
