#pragma once
// The dashboard's templates, CSS and JavaScript, compiled into the binary from
// agent/dashboard/assets/ (cmake/embed_assets.cmake generates the table): the agent serves its
// pages alone, reading no file and fetching nothing at run time.

#include <optional>
#include <string_view>

namespace turnout::agent {

/// One file of agent/dashboard/assets/, as its bytes.
struct EmbeddedAsset {
  std::string_view name;   ///< its file name, e.g. `run.mustache`, `dashboard.css`
  std::string_view bytes;  ///< its content
};

/// The bytes of asset `name` (its file name under agent/dashboard/assets/); nullopt when the
/// binary holds no such file.
std::optional<std::string_view> embedded_asset(std::string_view name);

}  // namespace turnout::agent
