#pragma once
// GitHub Actions workflow commands: the `::name key=value,...::message` lines a step prints on
// stdout for the runner to act on (groups, masks, annotations), with GitHub's escaping rules.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace turnout::agent::actions {

/// `%` -> `%25`, `\r` -> `%0D`, `\n` -> `%0A`: a message stays one line, and the runner turns
/// it back into the original text.
std::string escape_data(std::string_view text);

/// escape_data plus `:` -> `%3A` and `,` -> `%2C`, which would otherwise end a property.
std::string escape_property(std::string_view text);

/// One `key=value` of a command; the value is escaped when the command is formatted.
using Property = std::pair<std::string, std::string>;

/// `::name k=v,k=v::message` without a newline; properties with an empty value are left out.
std::string format_command(std::string_view name, const std::vector<Property>& properties,
                           std::string_view message);

/// Where an annotation points; every field is optional (empty / 0 = not given).
struct Annotation {
  std::string title;  ///< shown above the message
  std::string file;   ///< path relative to the repository root
  int line = 0;       ///< 1-based
  int column = 0;     ///< 1-based
};

/// `::error ...::message` (`kind` "error") or `::warning ...::message` ("warning").
std::string format_annotation(std::string_view kind, const Annotation& where, std::string_view message);

/// `::group::title`: the lines up to the next endgroup fold under `title`.
std::string format_group(std::string_view title);

/// `::endgroup::`.
std::string format_endgroup();

/// `::add-mask::value`: the runner shows `***` for `value` in everything printed after it.
std::string format_add_mask(std::string_view value);

/// `::stop-commands::token`: the runner takes nothing as a command until `::token::`.
std::string format_stop_commands(std::string_view token);

/// `::token::`: commands are processed again after a stop_commands with the same token.
std::string format_resume_commands(std::string_view token);

}  // namespace turnout::agent::actions
