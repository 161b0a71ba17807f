#pragma once
// What turnout authenticates with when it fetches: a token over HTTPS, a key file over SSH.

#include <string>

#include "util/result.h"

namespace turnout::git {

/// The secrets for one remote. Empty members are simply not offered.
struct Credentials {
  std::string token;           ///< http(s): sent as basic auth, user `x-access-token`, password = token
  std::string ssh_key_file;    ///< ssh: private key file (its `.pub` beside it is used when present)
  std::string ssh_passphrase;  ///< ssh: passphrase of the key ("" when none)
};

/// Where the secrets come from (the names an operator writes in agent.yml).
struct CredentialSource {
  std::string token_env{};           ///< name of an environment variable holding the token
  std::string token_file{};          ///< a file holding the token (surrounding whitespace ignored)
  std::string ssh_key_file{};        ///< private key file for ssh remotes
  std::string ssh_passphrase_env{};  ///< name of an environment variable holding the key's passphrase
};

/// Reads the secrets `source` names. Fails, naming the variable or file (never a secret), when a
/// named variable is unset or empty, a file cannot be read or is empty, or both token_env and
/// token_file are given.
util::Result<Credentials> load_credentials(const CredentialSource& source);

}  // namespace turnout::git
