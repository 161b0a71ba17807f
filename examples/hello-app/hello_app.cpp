// hello-app: the application that scripts/demo deploys with turnout. A tiny HTTP service on
// 127.0.0.1:$PORT: `GET /health` answers `ok`, `GET /` answers its version and the slot it runs
// in. One C++ file on plain POSIX sockets, so building it needs nothing but g++ (the build
// stage of .turnout.yml compiles it with the version from the VERSION file).
// PORT=0 picks a free port; "listening on 127.0.0.1:N" is printed once it accepts connections.
// SIGTERM or SIGINT: stop accepting, let the requests being answered finish, exit 0.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#ifndef APP_VERSION
#define APP_VERSION "dev"
#endif

namespace {

std::atomic<int> in_flight{0};

std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

// The request line's path ("/health" of "GET /health HTTP/1.1"), "" when it is not a GET.
std::string requested_path(const std::string& request) {
  if (request.rfind("GET ", 0) != 0) return "";
  const auto end = request.find(' ', 4);
  return end == std::string::npos ? "" : request.substr(4, end - 4);
}

void answer(int fd, int status, const std::string& body) {
  const char* reason = status == 200 ? "OK" : status == 404 ? "Not Found" : "Bad Request";
  const std::string response =
      "HTTP/1.1 " + std::to_string(status) + " " + reason +
      "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nConnection: close\r\n\r\n" + body;
  std::size_t sent = 0;
  while (sent < response.size()) {
    const ssize_t n = ::send(fd, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

void serve_connection(int fd, const std::string& home_page) {
  const timeval timeout{5, 0};  // a client that sends nothing does not hold a thread for long
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string request;
  char buffer[4096];
  while (request.find("\r\n\r\n") == std::string::npos && request.size() < 16384) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    request.append(buffer, static_cast<std::size_t>(n));
  }
  const std::string path = requested_path(request);
  if (path == "/health") {
    answer(fd, 200, "ok\n");
  } else if (path == "/") {
    answer(fd, 200, home_page);
  } else {
    answer(fd, path.empty() ? 400 : 404, "not found\n");
  }
  ::close(fd);
  --in_flight;
}

int listen_on(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int yes = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd, 128) != 0) {
    std::fprintf(stderr, "hello-app: cannot listen on 127.0.0.1:%d: %s\n", port, std::strerror(errno));
    std::exit(1);
  }
  return fd;
}

int bound_port(int fd) {
  sockaddr_in address{};
  socklen_t size = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  return ntohs(address.sin_port);
}

}  // namespace

int main() {
  const std::string port_text = env_or("PORT", "");
  char* end = nullptr;
  const long port = std::strtol(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end != '\0' || port < 0 || port > 65535) {
    std::fprintf(stderr, "hello-app: set PORT to a port number (0: any free one)\n");
    return 2;
  }
  const std::string slot = env_or("TURNOUT_SLOT", "none");
  const std::string sha = env_or("TURNOUT_SHA", "unknown").substr(0, 7);
  const std::string home_page = "hello-app " APP_VERSION " (slot " + slot + ", commit " + sha + ")\n";

  // Signals are taken by one thread with sigwait; every other thread has them blocked.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  const int listener = listen_on(static_cast<int>(port));
  std::printf("listening on 127.0.0.1:%d, version %s\n", bound_port(listener), APP_VERSION);
  std::fflush(stdout);

  std::atomic<bool> stopping{false};
  std::thread([&] {
    int received = 0;
    sigwait(&stop_signals, &received);
    stopping = true;
    ::shutdown(listener, SHUT_RDWR);  // wakes accept() up
  }).detach();

  while (!stopping) {
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++in_flight;
    std::thread(serve_connection, fd, home_page).detach();
  }
  for (int i = 0; i < 500 && in_flight > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::printf("stopped\n");
  return 0;
}
