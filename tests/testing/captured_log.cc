#include "testing/captured_log.h"

namespace multus::test {

class CapturedLog::Sink : public log::Output {
 public:
  void Write(log::Level level, std::string_view message) override {
    std::lock_guard<std::mutex> lock(mutex_);
    lines_.push_back("[" + std::string(Name(level)) + "] " + std::string(message));
  }
  std::vector<std::string> lines() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return lines_;
  }

 private:
  static std::string_view Name(log::Level level) {
    switch (level) {
      case log::Level::kPanic:
        return "panic";
      case log::Level::kError:
        return "error";
      case log::Level::kWarning:
        return "warning";
      case log::Level::kVerbose:
        return "verbose";
      case log::Level::kDebug:
        break;
    }
    return "debug";
  }

  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

CapturedLog::CapturedLog(log::Level level) : sink_(std::make_shared<Sink>()) {
  log::Install(sink_, level);
}

CapturedLog::~CapturedLog() { log::Configure(log::Settings{}); }

std::function<void(const log::Settings&)> CapturedLog::configurer() {
  return [this](const log::Settings& settings) {
    configured_.push_back(settings);
    log::Install(sink_, settings.level);
  };
}

std::vector<std::string> CapturedLog::lines() const { return sink_->lines(); }

bool CapturedLog::Has(std::string_view level, std::string_view part) const {
  const std::string prefix = "[" + std::string(level) + "] ";
  for (const std::string& line : lines()) {
    if (line.rfind(prefix, 0) == 0 && line.find(part, prefix.size()) != std::string::npos) {
      return true;
    }
  }
  return false;
}

std::string CapturedLog::Dump() const {
  std::string out;
  for (const std::string& line : lines()) out += line + "\n";
  return out;
}

}  // namespace multus::test
