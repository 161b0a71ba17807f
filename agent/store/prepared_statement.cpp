#include "agent/store/prepared_statement.h"

#include <Poco/Data/SQLite/Utility.h>
#include <sqlite3.h>

#include <utility>

namespace turnout::agent::detail {

namespace {

[[noreturn]] void throw_error(sqlite3* db, int code) {
  Poco::Data::SQLite::Utility::throwException(db, code);
  // throwException returns only for codes that are no error, which no caller passes.
  throw Poco::Data::DataException("SQLite answered " + std::to_string(code));
}

}  // namespace

// One run of the statement: binds on construction and resets on destruction, so a statement is
// never left half-run (holding a read snapshot open) whatever is thrown.
class PreparedStatement::Run {
 public:
  Run(PreparedStatement& owner, std::initializer_list<SqlValue> values)
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
    throw_error(db_, code);
  }
  std::int64_t integer(int column) const { return sqlite3_column_int64(statement_, column); }
  std::string text(int column) const {
    const auto* bytes = reinterpret_cast<const char*>(sqlite3_column_text(statement_, column));
    return bytes == nullptr ? std::string() : std::string(bytes, sqlite3_column_bytes(statement_, column));
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
    if (code != SQLITE_OK) throw_error(db_, code);
  }

  sqlite3* db_;
  sqlite3_stmt* statement_;
};

SqlValue nullable(const std::optional<std::int64_t>& value) {
  return value ? SqlValue(*value) : SqlValue(nullptr);
}

PreparedStatement::PreparedStatement(Poco::Data::Session& session, std::string sql)
    : db_(Poco::Data::SQLite::Utility::dbHandle(session)), sql_(std::move(sql)) {}

PreparedStatement::~PreparedStatement() { sqlite3_finalize(statement_); }

sqlite3_stmt* PreparedStatement::compiled() {
  if (statement_ != nullptr) return statement_;
  const int code = sqlite3_prepare_v3(db_, sql_.c_str(), static_cast<int>(sql_.size() + 1),
                                      SQLITE_PREPARE_PERSISTENT, &statement_, nullptr);
  if (code != SQLITE_OK) {
    sqlite3_finalize(statement_);
    statement_ = nullptr;
    throw_error(db_, code);
  }
  return statement_;
}

void PreparedStatement::execute(std::initializer_list<SqlValue> values) {
  Run run(*this, values);
  while (run.step()) {
  }
}

std::vector<std::int64_t> PreparedStatement::integers(std::initializer_list<SqlValue> values) {
  Run run(*this, values);
  std::vector<std::int64_t> found;
  while (run.step()) found.push_back(run.integer(0));
  return found;
}

std::vector<std::vector<std::int64_t>> PreparedStatement::integer_rows(std::initializer_list<SqlValue> values,
                                                                       int columns) {
  Run run(*this, values);
  std::vector<std::vector<std::int64_t>> found;
  while (run.step()) {
    auto& row = found.emplace_back();
    for (int column = 0; column < columns; ++column) row.push_back(run.integer(column));
  }
  return found;
}

std::optional<std::string> PreparedStatement::first_text(std::initializer_list<SqlValue> values) {
  Run run(*this, values);
  if (!run.step()) return std::nullopt;
  return run.text(0);
}

std::int64_t PreparedStatement::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

}  // namespace turnout::agent::detail
