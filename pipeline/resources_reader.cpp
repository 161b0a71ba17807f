#include "pipeline/resources_reader.h"

#include <charconv>
#include <climits>
#include <vector>

#include "util/strings.h"

namespace turnout::pipeline::detail {

namespace {

const std::vector<std::string> kResourceKeys = {"cpu_class", "nice", "io", "memory", "pids", "cpu"};
constexpr std::uint64_t kLeastMemory = 1024 * 1024;  // below it not even the shell starts

std::optional<IoClass> read_io(YamlReader& reader, const Entry& entry, const Where& where) {
  const auto text = reader.text(entry, where);
  if (!text) return std::nullopt;
  if (const auto io = parse_io_class(*text)) return io;
  reader.error(entry.value, where.prefix() + "unknown io '" + *text + "'" +
                                util::did_you_mean(*text, {"idle", "best-effort", "normal"}) +
                                " (expected idle, best-effort or normal)");
  return std::nullopt;
}

std::optional<CpuClass> read_cpu_class(YamlReader& reader, const Entry& entry, const Where& where) {
  const auto text = reader.text(entry, where);
  if (!text) return std::nullopt;
  if (const auto cpu = parse_cpu_class(*text)) return cpu;
  reader.error(entry.value, where.prefix() + "unknown cpu_class '" + *text + "'" +
                                util::did_you_mean(*text, {"idle", "normal"}) + " (expected idle or normal)");
  return std::nullopt;
}

std::optional<std::uint64_t> read_memory(YamlReader& reader, const Entry& entry, const Where& where) {
  const auto text = reader.text(entry, where);
  if (!text) return std::nullopt;
  const auto bytes = parse_size(*text);
  if (!bytes) {
    reader.error(entry.value, where.prefix() + "bad memory '" + *text + "' (a size such as 512M or 2G)");
  } else if (*bytes < kLeastMemory) {
    reader.error(entry.value, where.prefix() + "memory " + *text + " is too small (at least 1M)");
  } else {
    return bytes;
  }
  return std::nullopt;
}

std::optional<int> read_cpu(YamlReader& reader, const Entry& entry, const Where& where) {
  const auto text = reader.text(entry, where);
  if (!text) return std::nullopt;
  int percent = 0;
  const char* last = text->data() + text->size();
  const auto [end, error] = std::from_chars(text->data(), last, percent);
  if (error == std::errc() && end + 1 == last && *end == '%' && percent >= 1) return percent;
  reader.error(entry.value,
               where.prefix() + "bad cpu '" + *text + "' (a percentage of one core, such as 50% or 150%)");
  return std::nullopt;
}

}  // namespace

Resources read_resources(YamlReader& reader, const Entry& entry, const Where& where) {
  Resources resources;
  if (entry.value.IsNull()) return resources;
  if (!reader.expect_map(entry, where)) return resources;
  const Where inside{"`resources`", where.part.empty() ? "" : where.in(), where.top};
  for (const Entry& key : reader.entries(entry.value, kResourceKeys, inside)) {
    if (key.key == "cpu_class") {
      resources.cpu_class = read_cpu_class(reader, key, inside);
    } else if (key.key == "nice") {
      resources.nice = reader.integer(key, inside, 0, 19);
    } else if (key.key == "io") {
      resources.io = read_io(reader, key, inside);
    } else if (key.key == "memory") {
      resources.memory = read_memory(reader, key, inside);
    } else if (key.key == "pids") {
      resources.pids = reader.integer(key, inside, 1, INT_MAX);
    } else if (key.key == "cpu") {
      resources.cpu_percent = read_cpu(reader, key, inside);
    }
  }
  return resources;
}

}  // namespace turnout::pipeline::detail
