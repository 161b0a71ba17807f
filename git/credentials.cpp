#include "git/credentials.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace turnout::git {

namespace {

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

util::Result<std::string> read_env(const std::string& name, const std::string& what) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr || trim(value).empty())
    return util::fail("the environment variable " + name + " (" + what + ") is not set or empty");
  return trim(value);
}

util::Result<std::string> read_token_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return util::fail("cannot read the token file '" + path + "': check that it exists and is readable");
  std::ostringstream content;
  content << in.rdbuf();
  std::string token = trim(content.str());
  if (token.empty()) return util::fail("the token file '" + path + "' is empty");
  return token;
}

}  // namespace

util::Result<Credentials> load_credentials(const CredentialSource& source) {
  const SettingNames& names = source.names;
  Credentials credentials;
  credentials.token_setting = names.token_env + " or " + names.token_file;
  credentials.key_setting = names.ssh_key_file;
  if (!source.token_env.empty() && !source.token_file.empty())
    return util::fail("give either " + names.token_env + " or " + names.token_file + ", not both");
  if (!source.token_env.empty()) {
    auto token = read_env(source.token_env, names.token_env);
    if (!token) return token.error();
    credentials.token = std::move(token).value();
  }
  if (!source.token_file.empty()) {
    auto token = read_token_file(source.token_file);
    if (!token) return token.error();
    credentials.token = std::move(token).value();
  }
  if (!source.ssh_key_file.empty()) {
    if (!std::ifstream(source.ssh_key_file))
      return util::fail("cannot read the SSH key file '" + source.ssh_key_file +
                        "': check that it exists and is readable");
    credentials.ssh_key_file = source.ssh_key_file;
  }
  if (!source.ssh_passphrase_env.empty()) {
    auto passphrase = read_env(source.ssh_passphrase_env, names.ssh_passphrase_env);
    if (!passphrase) return passphrase.error();
    credentials.ssh_passphrase = std::move(passphrase).value();
  }
  return credentials;
}

}  // namespace turnout::git
