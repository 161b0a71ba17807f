#pragma once
// A value that is replaced whole while threads read it: a reader takes a snapshot that stays
// valid and unchanged for as long as it holds it, however often the value is replaced meanwhile
// (a configuration reloaded on SIGHUP while requests and runs use the old one).

#include <memory>
#include <mutex>
#include <utility>

namespace turnout::util {

/// Holds the current value of a T; readers get immutable snapshots, a writer replaces the whole.
template <class T>
class Reloadable {
 public:
  /// Starts with `value`.
  explicit Reloadable(T value) : current_(std::make_shared<const T>(std::move(value))) {}

  /// The current value, kept alive for as long as the caller holds it.
  std::shared_ptr<const T> get() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return current_;
  }

  /// Makes `value` the current one; snapshots taken before keep the old value.
  void replace(T value) {
    auto next = std::make_shared<const T>(std::move(value));
    const std::lock_guard<std::mutex> lock(mutex_);
    current_.swap(next);
    // `next` (the old value) is released after the lock, by the last reader holding it.
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const T> current_;
};

}  // namespace turnout::util
