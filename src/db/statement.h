// db::Statement: a prepared statement a repository owns — registered with the Database once, in the repository's
// constructor, and executed by name. Repositories hold one member per statement instead of a list of name constants
// and a block of Prepare calls that must be kept in step with it.
//   class Orders { db::Statement count_; … Orders(Database& db) : count_(db, "orders_count", "SELECT …") {} };
//   tx.exec_prepared(count_.name(), shop_id);
#pragma once

#include <string>
#include <utility>

#include "db/database.h"

namespace pagelift::db {

class Statement {
 public:
  Statement(Database& database, std::string name, std::string sql) : name_(std::move(name)) {
    database.Prepare(name_, std::move(sql));
  }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

}  // namespace pagelift::db
