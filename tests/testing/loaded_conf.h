// Delegate configs for tests, loaded the way the plan holds them.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "multus/delegate_conf.h"

namespace multus::test {

// `bytes` loaded; a config that does not load fails the test (rather than crashing it) and
// comes back holding only its bytes.
inline DelegateConf Loaded(std::string_view bytes) {
  Result<DelegateConf> conf = LoadDelegateConf(bytes);
  EXPECT_TRUE(conf.ok()) << conf.status().msg() << ": " << bytes;
  if (conf.ok()) return std::move(conf).value();
  DelegateConf raw;
  raw.bytes = std::string(bytes);
  return raw;
}

}  // namespace multus::test
