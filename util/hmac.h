#pragma once
// HMAC-SHA256 and a constant-time comparison: the two halves of checking any shared-secret
// signature (a forge's webhook, turnout's own notifier), whatever the header looks like.

#include <string>
#include <string_view>

namespace turnout::util {

/// The lowercase hex HMAC-SHA256 of `body` keyed with `secret` (64 characters), by OpenSSL's
/// libcrypto. Throws std::runtime_error only if libcrypto itself fails (a broken install).
std::string hmac_sha256_hex(std::string_view secret, std::string_view body);

/// True when `a` and `b` are byte-for-byte equal. Reads every byte of the longer one whatever
/// the contents, so the time taken tells nothing about where they differ.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace turnout::util
