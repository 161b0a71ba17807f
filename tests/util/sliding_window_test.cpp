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
