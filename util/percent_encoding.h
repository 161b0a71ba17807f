#pragma once
// Percent-encoding (RFC 3986, section 2.1), as URLs carry it.

#include <optional>
#include <string>
#include <string_view>

namespace turnout::util {

/// `text` with each `%XX` replaced by its byte (and, with `plus_is_space`, each `+` by a space,
/// as an HTML form's query encodes it); nullopt when a `%` is not followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space = false);

/// `text` with every byte but letters, digits, `-`, `.`, `_`, `~` and `/` as `%XX`: a path
/// and query to carry inside a query value (the page a sign-in goes back to).
std::string percent_encode(std::string_view text);

}  // namespace turnout::util
