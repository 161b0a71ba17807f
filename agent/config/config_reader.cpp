#include "agent/config/config_reader.h"

#include <algorithm>
#include <utility>

namespace turnout::agent::detail {

namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool is_blank_or_control(char c) { return static_cast<unsigned char>(c) <= ' ' || c == '\x7f'; }

std::string quoted(const Entry& entry) { return "`" + entry.key + "`"; }

// `http://host...` or `https://host...`, with no spaces or control characters anywhere.
bool is_http_url(std::string_view text) {
  std::string_view rest;
  if (starts_with(text, "https://")) rest = text.substr(8);
  if (starts_with(text, "http://")) rest = text.substr(7);
  if (rest.empty() || rest.front() == '/' || rest.front() == '?' || rest.front() == '#') return false;
  return std::none_of(text.begin(), text.end(), is_blank_or_control);
}

bool is_env_name(std::string_view text) {
  const auto word = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  return !text.empty() && word(text.front()) &&
         std::all_of(text.begin(), text.end(), [&](char c) { return word(c) || digit(c); });
}

}  // namespace

Where top_level() { return Where{"", "", "the agent config"}; }

bool carries_password(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return false;
  const auto authority =
      url.substr(scheme_end + 3, url.find_first_of("/?#", scheme_end + 3) - scheme_end - 3);
  const auto at = authority.rfind('@');
  return at != std::string_view::npos && authority.substr(0, at).find(':') != std::string_view::npos;
}

ConfigReader::ConfigReader(std::string file, std::filesystem::path base)
    : YamlReader(std::move(file)), base_(std::move(base)) {}

std::optional<std::string> ConfigReader::path(const Entry& entry, const Where& where) {
  const auto text = this->text(entry, where);
  if (!text) return std::nullopt;
  if ((*text)[0] == '~') {
    error(value_mark(entry), where.prefix() + quoted(entry) +
                                 " must not start with '~': no shell expands it here (got '" + *text + "')");
    return std::nullopt;
  }
  const std::filesystem::path given(*text);
  if (given.is_absolute()) return given.lexically_normal().string();
  return (base_ / given).lexically_normal().string();
}

std::optional<std::string> ConfigReader::http_url(const Entry& entry, const Where& where) {
  auto text = this->text(entry, where);
  if (!text) return std::nullopt;
  // The value is not quoted back: it may be the password this refuses.
  if (carries_password(*text)) {
    error(value_mark(entry),
          where.prefix() + quoted(entry) +
              " must not hold a password: secrets go in a file or an environment variable");
    return std::nullopt;
  }
  if (!is_http_url(*text)) {
    error(value_mark(entry),
          where.prefix() + quoted(entry) + " must be an http:// or https:// URL (got '" + *text + "')");
    return std::nullopt;
  }
  return text;
}

std::optional<std::string> ConfigReader::env_name(const Entry& entry, const Where& where) {
  auto text = this->text(entry, where);
  if (!text) return std::nullopt;
  if (is_env_name(*text)) return text;
  error(value_mark(entry), where.prefix() + quoted(entry) +
                               " must be an environment variable name, like GITHUB_TOKEN (got '" + *text +
                               "')");
  return std::nullopt;
}

void ConfigReader::secret(const Entry& entry, const Where& where, SecretRef& out) {
  if (out.configured()) {
    error(entry.key_node,
          where.prefix() + "give either `" + out.key + "` or " + quoted(entry) + ", not both");
    return;
  }
  const bool is_file = entry.key.size() > 5 && entry.key.compare(entry.key.size() - 5, 5, "_file") == 0;
  auto name = is_file ? path(entry, where) : env_name(entry, where);
  if (!name) return;
  const auto at = value_mark(entry);
  out = SecretRef{is_file ? SecretRef::Source::file : SecretRef::Source::env, std::move(*name), entry.key,
                  at.is_null() ? 0 : at.line + 1, at.is_null() ? 0 : at.column + 1};
}

}  // namespace turnout::agent::detail
