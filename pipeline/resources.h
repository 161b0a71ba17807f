#pragma once
// `resources:` of a pipeline, a stage or a step (README, "How steps run"): what a step's
// processes may take of the machine it shares with the live app and the agent. Each field a
// level leaves out is taken from the level around it (step, then stage, then pipeline), then
// from turnout's defaults: a build yields to production unless told otherwise.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace turnout::pipeline {

/// `io:` the I/O scheduling class of a step's processes.
enum class IoClass {
  idle,         ///< disk time only when nobody else wants it
  best_effort,  ///< the lowest priority of the normal class (the default)
  normal,       ///< as turnout's own
};

/// `cpu_class:` how the scheduler treats a step's processes beside the agent and the slots.
enum class CpuClass {
  idle,    ///< a CPU only when no normal process wants it: SCHED_IDLE (the default)
  normal,  ///< time shared by `nice`, as turnout's own processes
};

/// `idle`, `best-effort`, `normal`.
const char* to_string(IoClass io);
/// The IoClass spelled `text`; nullopt for anything else.
std::optional<IoClass> parse_io_class(std::string_view text);

/// `idle`, `normal`.
const char* to_string(CpuClass cpu);
/// The CpuClass spelled `text`; nullopt for anything else.
std::optional<CpuClass> parse_cpu_class(std::string_view text);

/// What one level says; an empty field is inherited.
struct Resources {
  std::optional<CpuClass> cpu_class;    ///< see CpuClass
  std::optional<int> nice;              ///< 0..19: CPU priority, higher yields more
  std::optional<IoClass> io;            ///< see IoClass
  std::optional<std::uint64_t> memory;  ///< bytes a step's processes may each allocate (data)
  std::optional<int> pids;              ///< processes at once (enforced with cgroups only)
  std::optional<int> cpu_percent;       ///< 100 = one core (enforced with cgroups only)

  /// These settings, with each one this leaves out taken from `outer`.
  Resources within(const Resources& outer) const;
};

/// turnout's defaults under every pipeline: cpu_class idle, nice 10, io best-effort, nothing else
/// limited.
Resources default_resources();

/// `2G`, `512M`, `64k`, `1073741824`: a size in bytes (K, M, G, T are powers of 1024; a trailing
/// `i`/`iB`/`B` is allowed); nullopt for anything else.
std::optional<std::uint64_t> parse_size(std::string_view text);

/// A size as people write it: `2G`, `512M`, `1536K`, `100` (bytes).
std::string format_size(std::uint64_t bytes);

}  // namespace turnout::pipeline
