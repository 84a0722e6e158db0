// The real executor on /bin/cat: whatever the size of a plugin's stdin (written before the
// plugin starts when it fits in the pipe, pumped alongside its output when not), the plugin
// reads all of it, once.
#include <gtest/gtest.h>
#include <limits.h>

#include <string>

#include "multus/executor.h"

namespace multus {
namespace {

ExecOutcome Cat(const std::string& input) {
  ExecRequest request;
  request.path = "/bin/cat";
  request.stdin_data = input;
  Result<ExecOutcome> outcome = MakeProcessExecutor()->Run(request);
  EXPECT_TRUE(outcome.ok()) << outcome.status().msg();
  return outcome.ok() ? *outcome : ExecOutcome{};
}

std::string Text(size_t size) {
  std::string text;
  for (size_t i = 0; text.size() < size; ++i) text += std::to_string(i) + ',';
  text.resize(size);
  return text;
}

TEST(ProcessExecutorTest, StdinOfEverySizeReachesThePluginWhole) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{PIPE_BUF - 1}, size_t{PIPE_BUF},
                      size_t{PIPE_BUF + 1}, size_t{1} << 20}) {
    std::string input = Text(size);
    ExecOutcome outcome = Cat(input);
    EXPECT_EQ(outcome.exit_code, 0) << size;
    EXPECT_FALSE(outcome.timed_out) << size;
    EXPECT_EQ(outcome.stdout_data.size(), input.size()) << size;
    EXPECT_TRUE(outcome.stdout_data == input) << size;
  }
}

}  // namespace
}  // namespace multus
