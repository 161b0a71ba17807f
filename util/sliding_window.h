#pragma once
// Figures over the last span of time (the last 60 s, in 1 s buckets): a ring of buckets, each
// stamped with the interval it holds, so that a bucket is emptied when time comes round to it
// again, and a sum leaves out every bucket older than the span. The caller passes the time, so a
// test drives it without sleeping.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

namespace turnout::util {

/// A window of `Bucket`s over the last `span`, `width` each. `Bucket` is default-constructible
/// (empty) and has `operator+=`. Not synchronised: its owner locks.
template <typename Bucket>
class SlidingWindow {
 public:
  /// The clock whose time points the window takes.
  using Clock = std::chrono::steady_clock;

  /// A window of span / width buckets (at least one).
  SlidingWindow(std::chrono::milliseconds span, std::chrono::milliseconds width)
      : width_(width.count() > 0 ? width : std::chrono::milliseconds(1)),
        buckets_(static_cast<std::size_t>(std::max<std::int64_t>(1, span / width_))),
        stamps_(buckets_.size(), kNever) {}

  /// The bucket of the interval `now` falls in, emptied first when it held an older one. A time
  /// before the newest interval seen counts in that one (time does not go back on a steady clock).
  Bucket& at(Clock::time_point now) {
    const std::int64_t interval = std::max(interval_of(now), newest_);
    newest_ = interval;
    const std::size_t index = static_cast<std::size_t>(((interval % size()) + size()) % size());
    if (stamps_[index] != interval) {
      buckets_[index] = Bucket{};
      stamps_[index] = interval;
    }
    return buckets_[index];
  }

  /// The sum of the buckets of the last span up to `now`: the interval of `now` and the
  /// span / width - 1 before it (so between span - width and span of time).
  Bucket total(Clock::time_point now) const {
    const std::int64_t last = std::max(interval_of(now), newest_);
    Bucket sum{};
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
      if (stamps_[i] != kNever && stamps_[i] > last - size() && stamps_[i] <= last) sum += buckets_[i];
    }
    return sum;
  }

  /// The last span up to `now` cut into `parts` equal stretches of whole buckets (the
  /// buckets' count divided by `parts`, at least one each; `parts` is lowered to the buckets'
  /// count), oldest first, each the sum of its buckets: what a page draws as a series, where
  /// total() is one figure. The stretches cover the span's newest buckets, `now`'s last.
  std::vector<Bucket> series(Clock::time_point now, std::size_t parts) const {
    parts = std::clamp<std::size_t>(parts, 1, buckets_.size());
    const std::int64_t per = size() / static_cast<std::int64_t>(parts);
    const std::int64_t last = std::max(interval_of(now), newest_);
    const std::int64_t first = last - per * static_cast<std::int64_t>(parts) + 1;
    std::vector<Bucket> out(parts);
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
      if (stamps_[i] == kNever || stamps_[i] < first || stamps_[i] > last) continue;
      out[static_cast<std::size_t>((stamps_[i] - first) / per)] += buckets_[i];
    }
    return out;
  }

  /// The span the window covers (a whole number of widths).
  std::chrono::milliseconds span() const { return width_ * size(); }

 private:
  static constexpr std::int64_t kNever = INT64_MIN;

  std::int64_t size() const { return static_cast<std::int64_t>(buckets_.size()); }
  std::int64_t interval_of(Clock::time_point now) const {
    const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
    // Floor, also before the clock's epoch (an injected clock may start anywhere).
    const std::int64_t ms = since.count();
    const std::int64_t width = width_.count();
    return ms >= 0 ? ms / width : -((-ms + width - 1) / width);
  }

  std::chrono::milliseconds width_;
  std::vector<Bucket> buckets_;
  std::vector<std::int64_t> stamps_;
  std::int64_t newest_ = kNever;
};

}  // namespace turnout::util
