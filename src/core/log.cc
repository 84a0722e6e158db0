// The only file that configures spdlog: one logger, a stderr sink and/or a rotating file.
#include "multus/log.h"

#include <spdlog/formatter.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <vector>

#include "rotating_file_sink.h"

namespace multus::log {
namespace {

constexpr std::int64_t kMegabyte = std::int64_t{1024} * 1024;

spdlog::level::level_enum ToSpdlog(Level level) {
  switch (level) {
    case Level::kPanic:
      return spdlog::level::critical;
    case Level::kError:
      return spdlog::level::err;
    case Level::kWarning:
      return spdlog::level::warn;
    case Level::kVerbose:
      return spdlog::level::info;
    case Level::kDebug:
      break;
  }
  return spdlog::level::debug;
}

Level FromSpdlog(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::critical:
      return Level::kPanic;
    case spdlog::level::err:
      return Level::kError;
    case spdlog::level::warn:
      return Level::kWarning;
    case spdlog::level::info:
      return Level::kVerbose;
    default:
      return Level::kDebug;
  }
}

// spdlog's own level names ("info", "critical", ...) must never show: every line is ours.
class LineFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line = FormatLine(
        FromSpdlog(msg.level), std::string_view(msg.payload.data(), msg.payload.size()), msg.time);
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<LineFormatter>();
  }
};

// A log that cannot be written must never fail the CNI call; say so once, on stderr.
void ReportOnce(const Status& status) {
  static std::atomic<bool> reported{false};
  if (reported.exchange(true)) return;
  std::fprintf(stderr, "multus logging: %s\n", status.msg().c_str());
  std::fflush(stderr);
}

class FileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  FileSink(std::string path, RotationOptions options) : file_(std::move(path), options) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    Status status = file_.Write(std::string_view(line.data(), line.size()));
    if (!status.ok()) ReportOnce(status);
  }
  void flush_() override {}  // every line is already in the kernel

 private:
  RotatingFileSink file_;
};

RotationOptions ToRotationOptions(const FileOptions& options) {
  RotationOptions rotation;
  // Like lumberjack, a size of 0 (or less) means the default.
  if (options.max_size_mb > 0) rotation.max_bytes = options.max_size_mb * kMegabyte;
  rotation.max_backups = options.max_backups;
  rotation.max_age_days = options.max_age_days;
  rotation.compress = options.compress;
  return rotation;
}

std::shared_ptr<spdlog::logger> MakeLogger(const std::vector<spdlog::sink_ptr>& sinks,
                                           Level level) {
  auto logger = std::make_shared<spdlog::logger>("multus", sinks.begin(), sinks.end());
  logger->set_formatter(std::make_unique<LineFormatter>());
  logger->set_level(ToSpdlog(level));
  logger->flush_on(spdlog::level::trace);
  logger->set_error_handler([](const std::string& /*message*/) {});  // write errors are ignored
  return logger;
}

std::shared_ptr<spdlog::logger> MakeLogger(const Settings& settings) {
  std::vector<spdlog::sink_ptr> sinks;
  if (settings.to_stderr) sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (!settings.file.empty()) {
    sinks.push_back(
        std::make_shared<FileSink>(settings.file, ToRotationOptions(settings.file_options)));
  }
  return MakeLogger(sinks, settings.level);
}

// The real output: a spdlog logger with our line format.
class SpdlogOutput final : public Output {
 public:
  explicit SpdlogOutput(std::shared_ptr<spdlog::logger> logger) : logger_(std::move(logger)) {}
  void Write(Level level, std::string_view message) override {
    logger_->log(ToSpdlog(level), spdlog::string_view_t(message.data(), message.size()));
  }
  void Flush() override { logger_->flush(); }
  const std::shared_ptr<spdlog::logger>& logger() const { return logger_; }

 private:
  std::shared_ptr<spdlog::logger> logger_;
};

struct State {
  std::atomic<int> level{static_cast<int>(Settings{}.level)};
  std::mutex mutex;
  std::shared_ptr<Output> output;
};

State& GetState() {
  // Leaked on purpose: logging must keep working during static destruction.
  static State* state = [] {
    auto* created = new State;
    auto output = std::make_shared<SpdlogOutput>(MakeLogger(Settings{}));
    // Stray spdlog::info() calls come here too (the build disables spdlog's own default
    // logger, which would write to stdout: the CNI result).
    spdlog::set_default_logger(output->logger());
    created->output = std::move(output);
    return created;
  }();
  return *state;
}

// Installs our logger as spdlog's default before main() runs.
[[maybe_unused]] const bool kInstalled = (GetState(), true);

std::shared_ptr<Output> CurrentOutput() {
  State& state = GetState();
  std::lock_guard<std::mutex> lock(state.mutex);
  return state.output;
}

}  // namespace

void Install(std::shared_ptr<Output> output, Level level) {
  State& state = GetState();
  std::shared_ptr<Output> old;
  {
    std::lock_guard<std::mutex> lock(state.mutex);
    old = std::exchange(state.output, std::move(output));
    state.level.store(static_cast<int>(level), std::memory_order_relaxed);
  }
  old->Flush();
}

void Configure(const Settings& settings) {
  auto output = std::make_shared<SpdlogOutput>(MakeLogger(settings));
  spdlog::set_default_logger(output->logger());
  Install(std::move(output), settings.level);
}

void ConfigureStream(std::ostream& out, Level level) {
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out, /*force_flush=*/true);
  Install(std::make_shared<SpdlogOutput>(MakeLogger({sink}, level)), level);
}

bool Enabled(Level level) {
  return static_cast<int>(level) <= GetState().level.load(std::memory_order_relaxed);
}

void Write(Level level, std::string_view message) {
  if (!Enabled(level)) return;
  CurrentOutput()->Write(level, message);
}

void Flush() { CurrentOutput()->Flush(); }

}  // namespace multus::log
