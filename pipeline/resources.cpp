#include "pipeline/resources.h"

#include <array>
#include <cctype>
#include <charconv>
#include <utility>

namespace turnout::pipeline {

namespace {

constexpr std::array<std::pair<IoClass, const char*>, 3> kIoNames{{
    {IoClass::idle, "idle"},
    {IoClass::best_effort, "best-effort"},
    {IoClass::normal, "normal"},
}};

constexpr std::array<std::pair<CpuClass, const char*>, 2> kCpuNames{{
    {CpuClass::idle, "idle"},
    {CpuClass::normal, "normal"},
}};

// The power of 1024 a unit letter stands for; -1 for a letter that is no unit.
int unit_power(char letter) {
  switch (std::toupper(static_cast<unsigned char>(letter))) {
    case 'K':
      return 1;
    case 'M':
      return 2;
    case 'G':
      return 3;
    case 'T':
      return 4;
    default:
      return -1;
  }
}

// True for what may follow the unit letter: "", "i", "iB", "B" (any case).
bool is_unit_tail(std::string_view tail) {
  std::string lower;
  for (const char c : tail) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return lower.empty() || lower == "i" || lower == "ib" || lower == "b";
}

// The name `value` has in `names`; "normal" for one it lacks (every class has a normal).
template <typename Value, std::size_t N>
const char* name_in(const std::array<std::pair<Value, const char*>, N>& names, Value value) {
  for (const auto& [known, name] : names) {
    if (known == value) return name;
  }
  return "normal";
}

// The value named `text` in `names`; nullopt for a name it lacks.
template <typename Value, std::size_t N>
std::optional<Value> value_in(const std::array<std::pair<Value, const char*>, N>& names,
                              std::string_view text) {
  for (const auto& [value, name] : names) {
    if (text == name) return value;
  }
  return std::nullopt;
}

}  // namespace

const char* to_string(IoClass io) { return name_in(kIoNames, io); }

std::optional<IoClass> parse_io_class(std::string_view text) { return value_in(kIoNames, text); }

const char* to_string(CpuClass cpu) { return name_in(kCpuNames, cpu); }

std::optional<CpuClass> parse_cpu_class(std::string_view text) { return value_in(kCpuNames, text); }

Resources Resources::within(const Resources& outer) const {
  Resources merged = *this;
  if (!merged.cpu_class) merged.cpu_class = outer.cpu_class;
  if (!merged.nice) merged.nice = outer.nice;
  if (!merged.io) merged.io = outer.io;
  if (!merged.memory) merged.memory = outer.memory;
  if (!merged.pids) merged.pids = outer.pids;
  if (!merged.cpu_percent) merged.cpu_percent = outer.cpu_percent;
  return merged;
}

Resources default_resources() {
  Resources defaults;
  // SCHED_IDLE rather than a nice value alone: at nice 10 a compiling run still took so much
  // CPU from the agent that its intake under a flood fell to 1.25x webhook's; in the idle class
  // it is 1.9-2.4x (bench/isolation, BENCHMARKS.md "Builds beside the live app").
  defaults.cpu_class = CpuClass::idle;
  defaults.nice = 10;
  defaults.io = IoClass::best_effort;
  return defaults;
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::uint64_t number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc() || end == text.data()) return std::nullopt;
  const std::string_view rest(end, static_cast<std::size_t>(text.data() + text.size() - end));
  if (rest.empty()) return number;
  const int power = unit_power(rest.front());
  if (power < 0 || !is_unit_tail(rest.substr(1))) return std::nullopt;
  std::uint64_t bytes = number;
  for (int i = 0; i < power; ++i) {
    if (bytes > UINT64_MAX / 1024) return std::nullopt;
    bytes *= 1024;
  }
  return bytes;
}

std::string format_size(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"", "K", "M", "G", "T"};
  int unit = 0;
  while (unit < 4 && bytes != 0 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++unit;
  }
  return std::to_string(bytes) + kUnits[unit];
}

}  // namespace turnout::pipeline
