#pragma once
// Loading and validating `.turnout.yml` (schema version 1: README.md, "The pipeline file").

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/pipeline.h"

namespace turnout::pipeline {

/// One problem found in a pipeline file, at a 1-based line and column.
struct Diagnostic {
  std::string file;     ///< as given to the loader
  int line = 0;         ///< 1-based; 0 when the file could not be read at all
  int column = 0;       ///< 1-based
  std::string message;  ///< e.g. "unknown key 'stpes' in stage 'build' (did you mean 'steps'?)"

  /// `FILE:LINE:COLUMN: message` (or `FILE: message` without a position), as compilers print.
  std::string to_string() const;
};

/// The outcome of loading: a pipeline when there are no errors, and every error otherwise.
struct LoadResult {
  Pipeline pipeline;               ///< valid only when errors is empty
  std::vector<Diagnostic> errors;  ///< all of them, in file order

  /// True when the pipeline loaded without errors.
  bool ok() const { return errors.empty(); }
};

/// The largest pipeline file turnout reads (README.md, "The pipeline file"): a pipeline is a
/// page of YAML, and a bigger one costs the agent seconds and gigabytes to validate.
inline constexpr std::size_t kMaxPipelineBytes = 1024 * 1024;

/// Parses and validates YAML text; `file` names it in diagnostics and Pipeline::file. A text
/// over kMaxPipelineBytes is one diagnostic without a position, and is not parsed.
LoadResult load_string(std::string_view text, const std::string& file);

/// Reads and loads a file; an unreadable file, or one over kMaxPipelineBytes (not read), is one
/// diagnostic without a position.
LoadResult load_file(const std::string& path);

}  // namespace turnout::pipeline
