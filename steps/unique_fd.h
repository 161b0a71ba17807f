#pragma once

#include <unistd.h>

#include <utility>

namespace turnout::steps {

/// Owns one file descriptor and closes it when destroyed (-1 = none).
class UniqueFd {
 public:
  /// Owns nothing.
  UniqueFd() = default;
  /// Takes ownership of `fd` (may be -1).
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  /// Takes over the descriptor of `other`, which is left empty.
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  /// Closes ours, then takes over the descriptor of `other`.
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  /// The descriptor, still owned (-1 when none).
  int get() const { return fd_; }
  /// True when a descriptor is owned.
  explicit operator bool() const { return fd_ >= 0; }
  /// Gives up ownership and returns the descriptor.
  int release() { return std::exchange(fd_, -1); }
  /// Closes the owned descriptor, if any, and owns `fd` instead.
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace turnout::steps
