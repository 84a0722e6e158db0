// What the code under test logged: while alive, every line of the process goes here instead
// of stderr (log::Install). configurer() stands for main's log::Configure in Deps: it records
// the settings asked for and applies their level to the capture. The destructor puts the
// default output (stderr, warning) back.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "multus/log.h"

namespace multus::test {

class CapturedLog {
 public:
  explicit CapturedLog(log::Level level = log::Level::kDebug);
  ~CapturedLog();
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  std::function<void(const log::Settings&)> configurer();
  const std::vector<log::Settings>& configured() const { return configured_; }

  // "[error] message" per line, in order.
  std::vector<std::string> lines() const;
  // True when a line at `level` ("error", "verbose", ...) contains `part`.
  bool Has(std::string_view level, std::string_view part) const;
  // Every line, one per line (for failure messages).
  std::string Dump() const;

 private:
  class Sink;
  std::shared_ptr<Sink> sink_;
  std::vector<log::Settings> configured_;
};

}  // namespace multus::test
