#include "core/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>
#include <chrono>
#include <memory>
#include <mutex>

#include "core/time.h"

namespace pagelift::log {
namespace {

spdlog::level::level_enum ToSpd(Level level) {
  switch (level) {
    case Level::kDebug: return spdlog::level::debug;
    case Level::kInfo: return spdlog::level::info;
    case Level::kWarn: return spdlog::level::warn;
    case Level::kError: return spdlog::level::err;
  }
  return spdlog::level::info;
}

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

std::shared_ptr<spdlog::logger> MakeLogger(spdlog::sink_ptr sink) {
  auto logger = std::make_shared<spdlog::logger>("pagelift", std::move(sink));
  logger->set_pattern("%v");
  logger->flush_on(spdlog::level::trace);
  return logger;
}

std::mutex& LoggerMutex() {
  static std::mutex mutex;
  return mutex;
}

std::shared_ptr<spdlog::logger>& LoggerSlot() {
  static std::shared_ptr<spdlog::logger> logger =
      MakeLogger(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  return logger;
}

std::shared_ptr<spdlog::logger> CurrentLogger() {
  std::lock_guard lock(LoggerMutex());
  return LoggerSlot();
}

}  // namespace

bool ParseLevel(std::string_view text, Level& level) {
  for (Level l : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (text == LevelName(l)) {
      level = l;
      return true;
    }
  }
  return false;
}

void SetLevel(Level level) {
  auto logger = CurrentLogger();
  logger->set_level(ToSpd(level));
}

void SetOutputFile(const std::string& path) {
  spdlog::sink_ptr sink;
  if (path.empty()) {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path);
  }
  auto fresh = MakeLogger(std::move(sink));
  std::lock_guard lock(LoggerMutex());
  fresh->set_level(LoggerSlot()->level());
  LoggerSlot() = std::move(fresh);
}

std::string FormatLine(Level level, std::string_view message, const boost::json::object& fields) {
  boost::json::object line;
  line.reserve(fields.size() + 3);
  line["time"] = FormatRfc3339Millis(std::chrono::system_clock::now());
  line["level"] = LevelName(level);
  line["message"] = message;
  for (const auto& field : fields) line[field.key()] = field.value();
  return boost::json::serialize(line);
}

void Write(Level level, std::string_view message, const boost::json::object& fields) {
  auto logger = CurrentLogger();
  if (!logger->should_log(ToSpd(level))) return;
  logger->log(ToSpd(level), FormatLine(level, message, fields));
}

}  // namespace pagelift::log
