#pragma once
// Secrets (the webhook secret, API and GitHub tokens) are never written in agent.yml: the
// config names a file or an environment variable, and the value is read when it is needed.

#include <string>

#include "util/result.h"

namespace turnout::agent {

/// Where one secret is kept: a file or an environment variable, or nowhere.
struct SecretRef {
  /// The kinds of place a secret can be read from.
  enum class Source { none, file, env };

  Source source = Source::none;  ///< none: not configured
  std::string name;              ///< the file's path (absolute once loaded) or the variable's name
  std::string key;               ///< the config key that named it (`webhook_secret_file`), for messages
  int line = 0;                  ///< 1-based, where agent.yml names it; 0 when not from a file
  int column = 0;                ///< 1-based

  /// True when a file or a variable is named.
  bool configured() const { return source != Source::none; }
  /// "file '/etc/turnout/webhook-secret' (webhook_secret_file)", "environment variable
  /// GITHUB_TOKEN (token_env)", or "no secret configured": where, never what.
  std::string describe() const;
};

/// The secret's value, surrounding whitespace (a file's final newline) trimmed. Fails, naming
/// the place and never the content: a missing file or unset variable (ErrorKind::not_found), an
/// empty value or nothing configured (invalid), an unreadable or oversized file (failed).
util::Result<std::string> read_secret(const SecretRef& ref);

}  // namespace turnout::agent
