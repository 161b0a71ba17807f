#include "agent/store/store.h"

namespace turnout::agent {

util::Result<std::unique_ptr<Store>> Store::open(const std::string& data_dir) {
  auto database = Database::open(data_dir);
  if (!database) return database.error();
  return std::make_unique<Store>(std::move(database).value());
}

}  // namespace turnout::agent
