#pragma once

#include <memory>
#include <string>

#include "agent/store/store.h"
#include "util/result.h"

namespace turnout::agent {

/// Opens the store of `data_dir` the way every command starts: runs that a vanished process
/// left `running` are marked `error: interrupted` first, and each is logged.
util::Result<std::unique_ptr<Store>> open_store(const std::string& data_dir);

}  // namespace turnout::agent
