#include "tests/support/git_http_server.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace turnout::test {

namespace {

namespace fs = std::filesystem;

constexpr const char* kFcgiwrap = "/usr/sbin/fcgiwrap";
constexpr const char* kHttpBackend = "/usr/lib/git-core/git-http-backend";

bool socket_accepts(const fs::path& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  const bool connected = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return connected;
}

void wait_for_socket(const fs::path& path, BackgroundProcess& process) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (socket_accepts(path)) return;
    if (!process.running()) throw std::runtime_error("fcgiwrap exited:\n" + process.output());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("fcgiwrap did not listen on " + path.string() + " within 10 s:\n" +
                           process.output());
}

}  // namespace

GitHttpServer::GitHttpServer(fs::path root, std::optional<BasicAuth> auth)
    : root_(fs::absolute(std::move(root))), auth_(std::move(auth)) {
  const fs::path socket = dir_ / "fcgiwrap.sock";
  if (socket.string().size() >= sizeof(sockaddr_un{}.sun_path))
    throw std::runtime_error("socket path too long for a unix socket: " + socket.string());
  if (auth_) dir_.write("htpasswd", auth_->user + ":{PLAIN}" + auth_->password + "\n");
  fcgiwrap_ = std::make_unique<BackgroundProcess>(
      std::vector<std::string>{kFcgiwrap, "-c", "4", "-s", "unix:" + socket.string()}, dir_ / "fcgiwrap.log");
  wait_for_socket(socket, *fcgiwrap_);
  nginx_ = std::make_unique<NginxServer>([this](int port) { return fragment(port); });
}

GitHttpServer::~GitHttpServer() {
  nginx_.reset();
  if (fcgiwrap_) fcgiwrap_->stop(SIGTERM);
}

std::string GitHttpServer::url(const std::string& repository) const {
  return nginx_->base_url() + "/" + repository;
}

std::string GitHttpServer::logs() const {
  return "nginx:\n" + nginx_->error_log() + "fcgiwrap:\n" + fcgiwrap_->output();
}

std::string GitHttpServer::fragment(int port) const {
  std::ostringstream text;
  text << "server {\n"
       << "  listen 127.0.0.1:" << port << ";\n"
       << "  client_max_body_size 0;\n"
       << "  location / {\n";
  if (auth_)
    text << "    auth_basic \"git\";\n"
         << "    auth_basic_user_file \"" << (dir_ / "htpasswd").string() << "\";\n";
  text << "    fastcgi_pass unix:" << (dir_ / "fcgiwrap.sock").string() << ";\n"
       << "    fastcgi_buffering off;\n"
       << "    fastcgi_param SCRIPT_FILENAME " << kHttpBackend << ";\n"
       << "    fastcgi_param GIT_PROJECT_ROOT \"" << root_.string() << "\";\n"
       << "    fastcgi_param GIT_HTTP_EXPORT_ALL \"\";\n"
       << "    fastcgi_param PATH_INFO $uri;\n"
       << "    fastcgi_param QUERY_STRING $query_string;\n"
       << "    fastcgi_param REQUEST_METHOD $request_method;\n"
       << "    fastcgi_param CONTENT_TYPE $content_type;\n"
       << "    fastcgi_param CONTENT_LENGTH $content_length;\n"
       << "    fastcgi_param REMOTE_USER $remote_user;\n"
       << "    fastcgi_param REMOTE_ADDR $remote_addr;\n"
       << "    fastcgi_param SERVER_PROTOCOL $server_protocol;\n"
       << "    fastcgi_param GATEWAY_INTERFACE CGI/1.1;\n"
       << "  }\n"
       << "}\n";
  return text.str();
}

}  // namespace turnout::test
