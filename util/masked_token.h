// A secret hex token written into a page differently each time, so that a compressed page
// (gzip through nginx) never repeats it: an attacker who can make a victim's browser fetch
// pages with text of the attacker's choosing and watch their compressed sizes cannot guess the
// token one digit at a time (BREACH). The form sends the masked value back; it is unmasked
// before the constant-time compare.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace turnout::util {

/// `pad` (random hex digits, at least as many as `token` has) followed by each of `token`'s hex
/// digits plus the pad's digit at the same place, modulo 16: a string twice as long, uniformly
/// random whatever the token. `token` and `pad` must be lowercase hex.
std::string mask_token(std::string_view token, std::string_view pad);

/// The token `masked` was made from; nullopt when it is not the shape mask_token makes (an even
/// length of lowercase hex digits).
std::optional<std::string> unmask_token(std::string_view masked);

}  // namespace turnout::util
