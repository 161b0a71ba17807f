#include "util/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace turnout::util {

void LatencyHistogram::add(double seconds) {
  seconds = std::max(seconds, 0.0);
  // The first bound at or above the duration: a bucket holds (previous bound, its bound].
  const auto bound = std::lower_bound(kBounds.begin(), kBounds.end(), seconds);
  ++buckets_[static_cast<std::size_t>(bound - kBounds.begin())];
  ++count_;
  sum_ += seconds;
}

LatencyHistogram& LatencyHistogram::operator+=(const LatencyHistogram& other) {
  for (std::size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  return *this;
}

LatencyHistogram& LatencyHistogram::operator-=(const LatencyHistogram& other) {
  for (std::size_t i = 0; i < buckets_.size(); ++i) buckets_[i] -= std::min(buckets_[i], other.buckets_[i]);
  count_ -= std::min(count_, other.count_);
  sum_ = std::max(0.0, sum_ - other.sum_);
  return *this;
}

std::optional<double> LatencyHistogram::quantile(double q) const {
  if (count_ == 0) return std::nullopt;
  q = std::clamp(q, 0.0, 1.0);
  // The rank of the wanted duration, 1-based: the smallest one that at least q of all are at or below.
  const double rank = std::max(1.0, std::ceil(q * static_cast<double>(count_)));
  std::uint64_t below = 0;
  for (std::size_t i = 0; i < kBounds.size(); ++i) {
    const std::uint64_t here = buckets_[i];
    if (static_cast<double>(below + here) >= rank) {
      const double lower = i == 0 ? 0.0 : kBounds[i - 1];
      const double share = (rank - static_cast<double>(below)) / static_cast<double>(here);
      return lower + (kBounds[i] - lower) * share;
    }
    below += here;
  }
  return kBounds.back();
}

}  // namespace turnout::util
