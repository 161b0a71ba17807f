#pragma once
// Durations counted in fixed buckets, from a millisecond to a minute: small and fixed in size, so
// that a sliding window can keep one per second of it, and two of them add bucket by bucket.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace turnout::util {

/// A histogram of durations in seconds over fixed bounds (spaced about 1.5x apart, so that a
/// quantile read from it is within a bucket's width of the true one).
class LatencyHistogram {
 public:
  /// Upper bounds of the buckets, in seconds; a last bucket holds what is above the top one.
  static constexpr std::array<double, 28> kBounds{
      0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2,
      0.3,   0.5,   0.75,  1,     1.5,    2,    3,     5,    7.5,  10,   15,    20,  30,   60};
  /// Counts per bucket (not cumulative): kBounds' buckets, then the one above the top bound.
  using Buckets = std::array<std::uint64_t, kBounds.size() + 1>;

  /// Counts one duration; a negative one counts as 0.
  void add(double seconds);
  /// Adds `other`'s counts and sum to these.
  LatencyHistogram& operator+=(const LatencyHistogram& other);
  /// Takes away `other`'s counts and sum, an earlier reading of the same histogram (so that two
  /// readings of running totals give what was counted between them); a count never goes below 0.
  LatencyHistogram& operator-=(const LatencyHistogram& other);
  /// How many durations were counted.
  std::uint64_t count() const { return count_; }
  /// Their sum, in seconds.
  double sum() const { return sum_; }
  /// The counts per bucket.
  const Buckets& buckets() const { return buckets_; }
  /// The `q` quantile (0 < q <= 1) in seconds, interpolated linearly inside its bucket (as
  /// Prometheus' histogram_quantile does); the top bound when it falls above it; nullopt when
  /// nothing was counted.
  std::optional<double> quantile(double q) const;

 private:
  Buckets buckets_{};
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

}  // namespace turnout::util
