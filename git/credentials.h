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
  /// How the person who runs this gives a token and a key, named in messages: agent.yml's keys
  /// for the agent, the flags for `turnout run`.
  std::string token_setting = "token_env or token_file";
  std::string key_setting = "ssh_key_file";  ///< see token_setting
};

/// The names a person gives credentials by, for messages.
struct SettingNames {
  std::string token_env = "token_env";                    ///< agent.yml's keys by default
  std::string token_file = "token_file";                  ///< ...
  std::string ssh_key_file = "ssh_key_file";              ///< ...
  std::string ssh_passphrase_env = "ssh_passphrase_env";  ///< ...
};

/// Where the secrets come from (the names an operator writes in agent.yml).
struct CredentialSource {
  std::string token_env{};           ///< name of an environment variable holding the token
  std::string token_file{};          ///< a file holding the token (surrounding whitespace ignored)
  std::string ssh_key_file{};        ///< private key file for ssh remotes
  std::string ssh_passphrase_env{};  ///< name of an environment variable holding the key's passphrase
  SettingNames names{};              ///< what the person calls these settings (agent.yml's keys, or flags)
};

/// Reads the secrets `source` names. Fails, naming the variable or file (never a secret), when a
/// named variable is unset or empty, a file cannot be read or is empty, or both token_env and
/// token_file are given.
util::Result<Credentials> load_credentials(const CredentialSource& source);

}  // namespace turnout::git
