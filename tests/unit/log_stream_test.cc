// log::ConfigureStream, the sink multus-install logs through.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "multus/log.h"

namespace multus::log {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

class LogStreamTest : public ::testing::Test {
 protected:
  // The stream dies with the test: back to the default (stderr).
  ~LogStreamTest() override { Configure(Settings{}); }
  std::ostringstream out_;
};

TEST_F(LogStreamTest, SendsEachLineInTheProjectFormatAtOnce) {
  ConfigureStream(out_, Level::kVerbose);
  Verbose("installed {} as {}", "a", "b");
  EXPECT_THAT(out_.str(), MatchesRegex("[-0-9T:+]+ \\[verbose\\] installed a as b\n"));
  Warning("w");
  EXPECT_THAT(out_.str(), HasSubstr(" [warning] w\n"));
}

TEST_F(LogStreamTest, HidesWhatIsMoreVerboseThanItsLevel) {
  ConfigureStream(out_, Level::kError);
  Verbose("chatter");
  Error("broken");
  EXPECT_THAT(out_.str(), Not(HasSubstr("chatter")));
  EXPECT_THAT(out_.str(), HasSubstr(" [error] broken\n"));
}

TEST_F(LogStreamTest, ConfigureTakesTheLinesBack) {
  ConfigureStream(out_, Level::kDebug);
  Configure(Settings{});
  Error("elsewhere");
  EXPECT_EQ(out_.str(), "");
}

}  // namespace
}  // namespace multus::log
