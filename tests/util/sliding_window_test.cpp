#include "util/sliding_window.h"

#include <catch2/catch.hpp>

#include <chrono>

using turnout::util::SlidingWindow;

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// A bucket that counts.
struct Count {
  int value = 0;
  Count& operator+=(const Count& other) {
    value += other.value;
    return *this;
  }
};

/// The injected clock: `ms` after an arbitrary start.
Clock::time_point at(long ms) { return Clock::time_point(milliseconds(1'000'000 + ms)); }

}  // namespace

TEST_CASE("sliding window: buckets expire one width at a time", "[unit][util]") {
  SlidingWindow<Count> window(milliseconds(60'000), milliseconds(1'000));
  CHECK(window.span() == milliseconds(60'000));
  CHECK(window.total(at(0)).value == 0);
  window.at(at(0)).value += 1;      // interval 0
  window.at(at(999)).value += 2;    // still interval 0
  window.at(at(1'000)).value += 4;  // interval 1
  window.at(at(30'500)).value += 8;
  CHECK(window.total(at(30'500)).value == 15);
  // Interval 59 is the last whose window still holds interval 0.
  CHECK(window.total(at(59'999)).value == 15);
  CHECK(window.total(at(60'000)).value == 12);  // interval 0 left
  CHECK(window.total(at(61'000)).value == 8);   // interval 1 too
  CHECK(window.total(at(89'999)).value == 8);   // interval 30's last
  CHECK(window.total(at(90'000)).value == 0);
}

TEST_CASE("sliding window: a bucket reused a lap later starts empty", "[unit][util]") {
  SlidingWindow<Count> window(milliseconds(3'000), milliseconds(1'000));
  window.at(at(0)).value += 5;
  // Interval 3 takes the ring position of interval 0: emptied, not added to.
  window.at(at(3'000)).value += 1;
  CHECK(window.total(at(3'000)).value == 1);
  // After a long silence (many laps) nothing old is counted.
  window.at(at(100'000)).value += 2;
  CHECK(window.total(at(100'000)).value == 2);
  CHECK(window.total(at(102'999)).value == 2);
  CHECK(window.total(at(103'000)).value == 0);
}

TEST_CASE("sliding window: a time before the newest counts in the newest interval", "[unit][util]") {
  SlidingWindow<Count> window(milliseconds(2'000), milliseconds(1'000));
  window.at(at(5'000)).value += 1;
  window.at(at(1'000)).value += 1;  // late: counted at interval 5, never in a bucket of its own
  CHECK(window.total(at(5'000)).value == 2);
  CHECK(window.total(at(7'000)).value == 0);
}

TEST_CASE("sliding window: times before the clock's epoch floor to their interval", "[unit][util]") {
  SlidingWindow<Count> window(milliseconds(2'000), milliseconds(1'000));
  const auto before = Clock::time_point(milliseconds(-1'500));  // interval -2
  window.at(before).value += 3;
  CHECK(window.total(before).value == 3);
  CHECK(window.total(Clock::time_point(milliseconds(-1))).value == 3);  // interval -1
  CHECK(window.total(Clock::time_point(milliseconds(0))).value == 0);   // interval 0
}

TEST_CASE("sliding window: a series cuts the span into equal stretches, oldest first", "[unit][util]") {
  SlidingWindow<Count> window(milliseconds(60'000), milliseconds(1'000));
  window.at(at(0)).value += 1;       // interval 0: the oldest stretch up to interval 59
  window.at(at(9'999)).value += 2;   // interval 9: still the first
  window.at(at(10'000)).value += 4;  // the second
  window.at(at(59'500)).value += 8;  // the last
  auto six = window.series(at(59'999), 6);
  REQUIRE(six.size() == 6);
  CHECK(six[0].value == 3);
  CHECK(six[1].value == 4);
  CHECK(six[2].value == 0);
  CHECK(six[5].value == 8);
  // Ten seconds on, interval 0 to 9 left the window; the stretches moved with `now`.
  six = window.series(at(69'999), 6);
  CHECK(six[0].value == 4);
  CHECK(six[4].value == 8);
  CHECK(six[5].value == 0);
  // The stretches together are the total, however the span is cut.
  int sum = 0;
  for (const auto& part : window.series(at(69'999), 4)) sum += part.value;
  CHECK(sum == window.total(at(69'999)).value);
  // More parts than buckets: one per bucket.
  CHECK(window.series(at(69'999), 1000).size() == 60);
}
