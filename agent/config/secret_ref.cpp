#include "agent/config/secret_ref.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

namespace turnout::agent {

namespace {

// A secret is a line of text; a file this big is the wrong file, not a secret.
constexpr std::size_t kMaxSecretBytes = 64 * 1024;

std::string trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return std::string();
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

util::Result<std::string> read_file(const SecretRef& ref) {
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(ref.name.c_str(), "rb"),
                                                             &std::fclose);
  if (!file) {
    const int error = errno;
    return util::fail("cannot read " + ref.describe() + ": " + std::strerror(error),
                      error == ENOENT ? util::ErrorKind::not_found : util::ErrorKind::failed);
  }
  std::string text;
  char buffer[4096];
  std::size_t count = 0;
  while ((count = std::fread(buffer, 1, sizeof buffer, file.get())) > 0 && text.size() <= kMaxSecretBytes) {
    text.append(buffer, count);
  }
  if (std::ferror(file.get())) {
    const int error = errno;
    return util::fail("cannot read " + ref.describe() + ": " + std::strerror(error));
  }
  if (text.size() > kMaxSecretBytes) {
    return util::fail(ref.describe() + " is over 64 KiB: not a secret (is it the right file?)");
  }
  return trimmed(text);
}

util::Result<std::string> read_env(const SecretRef& ref) {
  const char* value = std::getenv(ref.name.c_str());
  if (value == nullptr) return util::fail(ref.describe() + " is not set", util::ErrorKind::not_found);
  return trimmed(value);
}

}  // namespace

std::string SecretRef::describe() const {
  const std::string from = key.empty() ? std::string() : " (" + key + ")";
  switch (source) {
    case Source::file:
      return "file '" + name + "'" + from;
    case Source::env:
      return "environment variable " + name + from;
    case Source::none:
      break;
  }
  return "no secret configured" + from;
}

util::Result<std::string> read_secret(const SecretRef& ref) {
  if (!ref.configured()) return util::fail(ref.describe(), util::ErrorKind::invalid);
  auto value = ref.source == SecretRef::Source::file ? read_file(ref) : read_env(ref);
  if (value && value.value().empty()) {
    return util::fail(ref.describe() + " is empty: put the secret in it", util::ErrorKind::invalid);
  }
  return value;
}

}  // namespace turnout::agent
