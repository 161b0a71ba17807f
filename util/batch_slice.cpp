#include "util/batch_slice.h"

#include <system_error>
#include <thread>

namespace turnout::util {

bool custom_slices_kept() {
  static const bool kept = [] {
    bool probed = false;
    try {
      std::thread([&probed] { probed = set_batch_longest_slice(); }).join();
    } catch (const std::system_error&) {
    }
    return probed;
  }();
  return kept;
}

}  // namespace turnout::util
