#include "pipeline/loader.h"
#include "pipeline/resources_reader.h"
#include "util/read_file.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <system_error>
#include <utility>

#include "pipeline/environment.h"
#include "pipeline/stage_reader.h"
#include "pipeline/yaml_document.h"
#include "pipeline/yaml_reader.h"

namespace turnout::pipeline {

namespace {

using detail::Entry;
using detail::Where;
using detail::YamlReader;

const std::vector<std::string> kTopKeys = {"name",        "on",     "env",      "secrets",
                                           "concurrency", "stages", "resources"};

const char* kind_name(const YAML::Node& node) {
  if (node.IsSequence()) return "a list";
  if (node.IsScalar()) return "a single value";
  return "nothing";
}

void read_concurrency(YamlReader& reader, const Entry& entry, Pipeline& pipeline) {
  const auto text = reader.text(entry, Where{});
  if (!text) return;
  if (const auto value = parse_concurrency(*text)) {
    pipeline.concurrency = *value;
    return;
  }
  reader.error(entry.value,
               "unknown concurrency '" + *text + "' (expected supersede, queue, cancel-in-progress)");
}

void read_top_key(YamlReader& reader, const Entry& entry, Pipeline& pipeline) {
  if (entry.key == "name") {
    if (auto name = reader.text(entry, Where{})) pipeline.name = std::move(*name);
  } else if (entry.key == "on") {
    pipeline.branches = detail::read_branch_filter(reader, entry, Where{"`on`", ""});
  } else if (entry.key == "env") {
    pipeline.env = detail::read_env(reader, entry, Where{});
  } else if (entry.key == "secrets") {
    pipeline.secrets = detail::read_secret_names(reader, entry, Where{});
  } else if (entry.key == "concurrency") {
    read_concurrency(reader, entry, pipeline);
  } else if (entry.key == "stages") {
    pipeline.stages = detail::read_stages(reader, entry);
  } else if (entry.key == "resources") {
    pipeline.resources = detail::read_resources(reader, entry, Where{});
  }
}

// The one document of the file, or nullopt after reporting why there is none to read.
std::optional<YAML::Node> parse(std::string_view text, YamlReader& reader) {
  const auto loaded = detail::load_documents(text, reader);
  if (!loaded) return std::nullopt;
  const auto& documents = *loaded;
  if (documents.empty() || documents[0].IsNull()) {
    reader.error(YAML::Mark(), "the pipeline file is empty (it needs at least `name` and `stages`)");
    return std::nullopt;
  }
  if (documents.size() > 1) {
    reader.error(documents[1], "the pipeline file must hold one YAML document (found " +
                                   std::to_string(documents.size()) + ")");
  }
  if (!documents[0].IsMap()) {
    reader.error(documents[0],
                 std::string("the top level must be a mapping with `name` and `stages` (found ") +
                     kind_name(documents[0]) + ")");
    return std::nullopt;
  }
  return documents[0];
}

// A pipeline over the size limit, as its one diagnostic.
LoadResult too_big(const std::string& file, std::uintmax_t bytes) {
  LoadResult result;
  result.pipeline.file = file;
  result.errors.push_back(Diagnostic{
      file, 0, 0,
      "the pipeline file is " + std::to_string(bytes) + " bytes; turnout reads pipelines of at most 1 MiB"});
  return result;
}

}  // namespace

std::string Diagnostic::to_string() const {
  if (line == 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

LoadResult load_string(std::string_view text, const std::string& file) {
  if (text.size() > kMaxPipelineBytes) return too_big(file, text.size());
  LoadResult result;
  result.pipeline.file = file;
  YamlReader reader(file);
  if (const auto document = parse(text, reader)) {
    const auto entries = reader.entries(*document, kTopKeys, Where{});
    reader.require(*document, entries, {"name", "stages"}, Where{});
    for (const Entry& entry : entries) read_top_key(reader, entry, result.pipeline);
  }
  result.errors = reader.take_errors();
  return result;
}

LoadResult load_file(const std::string& path) {
  std::error_code error;
  if (const auto bytes = std::filesystem::file_size(path, error); !error && bytes > kMaxPipelineBytes)
    return too_big(path, bytes);
  const auto text = util::read_whole_file(path);
  if (!text) {
    LoadResult result;
    result.pipeline.file = path;
    result.errors.push_back(Diagnostic{path, 0, 0, "cannot read pipeline file: " + text.error().message});
    return result;
  }
  return load_string(text.value(), path);
}

}  // namespace turnout::pipeline
