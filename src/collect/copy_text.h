// Rows in PostgreSQL's COPY text format (the default format of `COPY ... FROM STDIN`): columns separated by tabs, rows
// by newlines, \N for NULL, and backslash escapes for the characters the format reserves.
// Written by hand (not pqxx::stream_to) because the collector's group commit sends thousands of rows per COPY and
// stream_to builds temporary strings for every field of every row; here rows go into one reused buffer that is
// handed to PostgreSQL a chunk of rows at a time (collect::EventStore).
#pragma once

#include <string>
#include <string_view>

#include "core/time.h"

namespace pagelift::collect {

class CopyRows {
 public:
  // A text column, escaped. The value must not contain NUL (PostgreSQL text cannot hold it; validation refuses it).
  void Text(std::string_view value);
  void Null();
  // A timestamptz column in UTC with all six fractional digits, e.g. "2026-11-30 06:14:58.123456+00", so that the
  // stored value is exactly `ts` (the unique key of `events` recognises a redelivery only if ts is bit-for-bit equal).
  // Throws std::out_of_range for a year outside 1..9999.
  void Timestamp(TimePoint ts);
  void EndRow();

  void Reserve(size_t bytes) { out_.reserve(bytes); }
  // Forgets the rows written so far (keeping the buffer), e.g. once they are sent.
  void Clear() {
    out_.clear();
    first_column_ = true;
  }
  // Every row written so far, separated by newlines, without a newline after the last: the form pqxx's
  // write_raw_line takes (it adds the last newline itself). Empty when no row was written.
  const std::string& text() const { return out_; }

 private:
  void Separate();

  std::string out_;
  bool first_column_ = true;
};

}  // namespace pagelift::collect
