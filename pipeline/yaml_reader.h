#pragma once
// Reading yaml-cpp nodes into typed values while collecting every problem as a Diagnostic.
// Knows YAML and positions, not the pipeline schema: the *_reader files say which keys exist.

#include <yaml-cpp/yaml.h>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/loader.h"
#include "util/duration.h"

namespace turnout::pipeline::detail {

/// Names the part of the file being read, for messages ("step 2 of stage 'build'").
struct Where {
  std::string part;                  ///< "stage 'build'", "step 2", "`deploy.health`"; "" = the top level
  std::string owner;                 ///< the enclosing stage ("stage 'build'"); "" when none
  std::string top = "the pipeline";  ///< what the file is called at its top level ("the agent config")

  /// "step 2 of stage 'build'", "stage 'build'", or `top` ("the pipeline") at the top level.
  std::string in() const;
  /// "step 2 of stage 'build': " to put before a message; "" at the top level.
  std::string prefix() const;
  /// "stage 'build': step 2 is missing 'run'".
  std::string missing(const std::string& key) const;
};

/// One key of a mapping: its text, its node (for its position) and its value.
struct Entry {
  std::string key;      ///< the key's text
  YAML::Node key_node;  ///< the key itself, for positions
  YAML::Node value;     ///< the value (a Null node when nothing follows the colon)
};

/// Remembers where names were first used, to report a repeat with "(first at line N)".
class FirstSeen {
 public:
  /// Records `name` at 1-based `line`; returns the line of an earlier use, or nullopt when new.
  std::optional<int> add(const std::string& name, int line);

 private:
  std::map<std::string, int> lines_;
};

/// 1-based line of a node (0 when it has no position).
int line_of(const YAML::Node& node);

/// 1-based position of a node (0:0 when it has none).
Position position_of(const YAML::Node& node);

/// True for a plain (unquoted, untagged) scalar that YAML 1.2 reads as a number: `42`, `1.5`, `0x1F`.
bool is_plain_number(const YAML::Node& node);

/// Collects diagnostics and reads values; every read reports its own errors and returns nullopt.
class YamlReader {
 public:
  /// `file` names the source in every diagnostic.
  explicit YamlReader(std::string file);

  /// Records an error at a node's position.
  void error(const YAML::Node& at, std::string message);
  /// Records an error at a mark (0-based, as yaml-cpp gives it; a null mark means no position).
  void error(const YAML::Mark& at, std::string message);
  /// Every error so far, in file order (line, then column), exact repeats dropped.
  std::vector<Diagnostic> take_errors();

  /// The entries of `map` in file order. Keys not in `known` (unless `known` is empty: any key),
  /// repeated keys and non-scalar keys are reported and left out.
  std::vector<Entry> entries(const YAML::Node& map, const std::vector<std::string>& known,
                             const Where& where);
  /// Reports, at `map`, each key of `required` that `entries` lacks, unless an unknown key of
  /// `map` was already reported as a misspelling of it (one mistake, one message).
  void require(const YAML::Node& map, const std::vector<Entry>& entries,
               const std::vector<std::string>& required, const Where& where);

  /// True when an unknown key of `map` was reported with "did you mean '`key`'?": a check
  /// for a missing `key` stays silent then, the typo being the one mistake.
  bool was_misspelt(const YAML::Node& map, const std::string& key) const;

  /// True when the value is a mapping; reports "`key` must be a mapping" otherwise.
  bool expect_map(const Entry& entry, const Where& where);
  /// True when the value is a list; reports "`key` must be a list" otherwise.
  bool expect_list(const Entry& entry, const Where& where);
  /// A non-empty scalar as its text (numbers and booleans included): names, paths, enum values.
  std::optional<std::string> text(const Entry& entry, const Where& where);
  /// A non-empty string meant as a shell command (`run`, `start`, ...): a number, null, list or
  /// mapping is "`key` must be a string".
  std::optional<std::string> command(const Entry& entry, const Where& where);
  /// `true` or `false` (and the YAML 1.1 spellings yaml-cpp accepts: yes/no, on/off).
  std::optional<bool> boolean(const Entry& entry, const Where& where);
  /// A whole number (decimal, sign allowed, quoted or not); "`key` must be a whole number" otherwise.
  std::optional<long long> whole_number(const Entry& entry, const Where& where);
  /// A whole number within [min, max]: "`key` N out of range MIN..MAX", or "`key` must be at
  /// least MIN (got N)" when max is INT_MAX.
  std::optional<int> integer(const Entry& entry, const Where& where, int min, int max);
  /// A duration (`500ms`, `10s`, `5m`, `1h`); "bad duration '...' for 'key' (...)" otherwise.
  std::optional<util::Duration> duration(const Entry& entry, const Where& where);
  /// A duration longer than zero: "`key` must be longer than 0" for `0s` (a limit of nothing).
  std::optional<util::Duration> positive_duration(const Entry& entry, const Where& where);
  /// A list of non-empty scalars, as text; reports each bad item.
  std::optional<std::vector<std::string>> text_list(const Entry& entry, const Where& where);

  /// Where an entry's value is: the value itself, or the key when the value is null (yaml-cpp
  /// puts a null's mark at the next token, often on another line).
  static YAML::Mark value_mark(const Entry& entry);

 private:
  /// Reports an unknown key with a suggestion, and remembers the suggestion for was_misspelt().
  void report_unknown(const YAML::Node& map, const YAML::Node& key, const std::vector<std::string>& known,
                      const Where& where);

  std::string file_;
  std::vector<Diagnostic> errors_;
  std::vector<std::pair<YAML::Node, std::string>> misspelt_;  ///< mapping, key suggested for a typo in it
};

}  // namespace turnout::pipeline::detail
