#include "agent/store/statement.h"

#include <sqlite3.h>

#include <charconv>
#include <utility>

namespace turnout::agent::detail {

SqlValue nullable(const std::optional<std::int64_t>& value) {
  return value ? SqlValue(*value) : SqlValue(nullptr);
}

SqlError::SqlError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}

bool SqlError::is_constraint() const { return (code_ & 0xff) == SQLITE_CONSTRAINT; }

void throw_sql_error(sqlite3* db, int code) {
  // The connection's message belongs to its last failed call, which is the caller's: it holds
  // the store's lock. Without a connection (opening failed early), SQLite's text for the code.
  const char* message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  throw SqlError(code, message != nullptr ? message : sqlite3_errstr(code));
}

std::string SqlRow::text(std::size_t column) const {
  const Cell& cell = cells_.at(column);
  if (const auto* value = std::get_if<std::string>(&cell)) return *value;
  if (const auto* number = std::get_if<std::int64_t>(&cell)) return std::to_string(*number);
  return {};
}

std::int64_t SqlRow::integer(std::size_t column) const {
  const Cell& cell = cells_.at(column);
  if (const auto* number = std::get_if<std::int64_t>(&cell)) return *number;
  std::int64_t parsed = 0;
  if (const auto* value = std::get_if<std::string>(&cell))
    std::from_chars(value->data(), value->data() + value->size(), parsed);
  return parsed;
}

std::optional<std::int64_t> SqlRow::nullable_integer(std::size_t column) const {
  if (is_null(column)) return std::nullopt;
  return integer(column);
}

bool SqlRow::is_null(std::size_t column) const {
  return std::holds_alternative<std::nullptr_t>(cells_.at(column));
}

// One run of the statement: binds on construction and resets on destruction, so a statement is
// never left half-run (holding a read snapshot open) whatever is thrown.
class Statement::Run {
 public:
  Run(Statement& owner, std::initializer_list<SqlValue> values)
      : db_(owner.db_), statement_(owner.compiled()) {
    int index = 0;
    for (const auto& value : values) bind(++index, value);
  }
  ~Run() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  // True while it returns rows, false once done.
  bool step() {
    const int code = sqlite3_step(statement_);
    if (code == SQLITE_ROW) return true;
    if (code == SQLITE_DONE) return false;
    throw_sql_error(db_, code);
  }
  std::int64_t integer(int column) const { return sqlite3_column_int64(statement_, column); }
  std::string text(int column) const {
    const auto* bytes = reinterpret_cast<const char*>(sqlite3_column_text(statement_, column));
    return bytes == nullptr ? std::string() : std::string(bytes, sqlite3_column_bytes(statement_, column));
  }
  SqlRow row() const {
    const int columns = sqlite3_column_count(statement_);
    std::vector<SqlRow::Cell> cells;
    cells.reserve(columns);
    for (int column = 0; column < columns; ++column) {
      switch (sqlite3_column_type(statement_, column)) {
        case SQLITE_NULL:
          cells.emplace_back(nullptr);
          break;
        case SQLITE_INTEGER:
          cells.emplace_back(integer(column));
          break;
        default:
          cells.emplace_back(text(column));
      }
    }
    return SqlRow(std::move(cells));
  }

 private:
  void bind(int index, const SqlValue& value) {
    int code = SQLITE_OK;
    if (const auto* number = std::get_if<std::int64_t>(&value)) {
      code = sqlite3_bind_int64(statement_, index, *number);
    } else if (const auto* text = std::get_if<std::string_view>(&value)) {
      // SQLITE_STATIC: the text outlives this run, which resets the statement when it ends.
      code = sqlite3_bind_text64(statement_, index, text->data(), text->size(), SQLITE_STATIC, SQLITE_UTF8);
    } else {
      code = sqlite3_bind_null(statement_, index);
    }
    if (code != SQLITE_OK) throw_sql_error(db_, code);
  }

  sqlite3* db_;
  sqlite3_stmt* statement_;
};

Statement::Statement(sqlite3* db, std::string sql) : db_(db), sql_(std::move(sql)) {}

Statement::~Statement() { sqlite3_finalize(statement_); }

sqlite3_stmt* Statement::compiled() {
  if (statement_ != nullptr) return statement_;
  const int code = sqlite3_prepare_v3(db_, sql_.c_str(), static_cast<int>(sql_.size() + 1),
                                      SQLITE_PREPARE_PERSISTENT, &statement_, nullptr);
  if (code != SQLITE_OK) {
    sqlite3_finalize(statement_);
    statement_ = nullptr;
    throw_sql_error(db_, code);
  }
  return statement_;
}

void Statement::execute(std::initializer_list<SqlValue> values) {
  Run run(*this, values);
  while (run.step()) {
  }
}

std::vector<SqlRow> Statement::rows(std::initializer_list<SqlValue> values) {
  Run run(*this, values);
  std::vector<SqlRow> found;
  while (run.step()) found.push_back(run.row());
  return found;
}

std::vector<std::int64_t> Statement::integers(std::initializer_list<SqlValue> values) {
  Run run(*this, values);
  std::vector<std::int64_t> found;
  while (run.step()) found.push_back(run.integer(0));
  return found;
}

std::optional<std::int64_t> Statement::first_integer(std::initializer_list<SqlValue> values) {
  Run run(*this, values);
  if (!run.step()) return std::nullopt;
  return run.integer(0);
}

std::optional<std::string> Statement::first_text(std::initializer_list<SqlValue> values) {
  Run run(*this, values);
  if (!run.step()) return std::nullopt;
  return run.text(0);
}

}  // namespace turnout::agent::detail
