#include "steps/deploy/feed_endpoint.h"

#include <sys/random.h>

#include <charconv>
#include <cstdint>
#include <filesystem>

#include "util/atomic_file.h"
#include "util/file_lock.h"
#include "util/read_file.h"
#include "util/udp_receiver.h"

namespace turnout::steps::deploy {

namespace {

namespace fs = std::filesystem;
constexpr std::size_t kKeyBytes = 16;

bool is_key(std::string_view text) {
  if (text.size() != 2 * kKeyBytes) return false;
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

util::Result<std::string> random_key() {
  unsigned char bytes[kKeyBytes];
  if (::getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes))
    return util::fail("cannot read random bytes for the traffic feed's key");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string key;
  for (const unsigned char byte : bytes) {
    key += kHex[byte >> 4];
    key += kHex[byte & 0xf];
  }
  return key;
}

util::Result<FeedEndpoint> read_endpoint(const std::string& file) {
  const auto text = util::read_whole_file(file);
  if (!text) return text.error();
  if (auto endpoint = parse_feed_endpoint(text.value())) return *endpoint;
  return util::fail(file +
                    " is not `PORT KEY` (a port and 32 hex digits): remove it, and redeploy the apps "
                    "with `feed: true`, to have a new one made");
}

}  // namespace

std::string feed_endpoint_file(const std::string& data_dir) {
  return (fs::path(data_dir) / "nginx" / "feed.endpoint").string();
}

std::optional<FeedEndpoint> parse_feed_endpoint(std::string_view text) {
  if (!text.ends_with('\n')) return std::nullopt;
  text.remove_suffix(1);
  const auto space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  FeedEndpoint endpoint;
  const auto [end, error] = std::from_chars(text.data(), text.data() + space, endpoint.port);
  if (error != std::errc() || end != text.data() + space || endpoint.port < 1 || endpoint.port > 65535)
    return std::nullopt;
  endpoint.key = std::string(text.substr(space + 1));
  if (!is_key(endpoint.key)) return std::nullopt;
  return endpoint;
}

util::Result<FeedEndpoint> feed_endpoint(const std::string& data_dir) {
  const std::string file = feed_endpoint_file(data_dir);
  std::error_code error;
  if (fs::exists(file, error)) return read_endpoint(file);
  fs::create_directories(fs::path(file).parent_path(), error);
  if (error)
    return util::fail("cannot create " + fs::path(file).parent_path().string() + ": " + error.message());
  // An agent starting and a deploy may both find no file: one makes it, the other reads it.
  auto lock = util::FileLock::acquire(file + ".lock", 0600);
  if (!lock) return lock.error();
  if (fs::exists(file, error)) return read_endpoint(file);
  const auto port = util::free_udp_loopback_port();
  if (!port) return port.error();
  auto key = random_key();
  if (!key) return key.error();
  FeedEndpoint endpoint{port.value(), std::move(key.value())};
  const std::string text = std::to_string(endpoint.port) + " " + endpoint.key + "\n";
  if (auto written = util::write_file_atomically(file, text, 0600); !written) return written.error();
  return endpoint;
}

}  // namespace turnout::steps::deploy
