#include "multus/log.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "../../src/core/rotating_file_sink.h"
#include "testing/temp_dir.h"

namespace multus::log {
namespace {

using multus::test::ListDir;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// 2026-11-22T20:41:32.123Z
constexpr std::int64_t kSampleMs = 1795380092123;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "log_test.XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Path(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string ReadGzip(const std::string& path) {
  gzFile gz = gzopen(path.c_str(), "rb");
  if (gz == nullptr) return "<cannot open " + path + ">";
  std::string text;
  char buffer[4096];
  int n = 0;
  while ((n = gzread(gz, buffer, sizeof buffer)) > 0) text.append(buffer, n);
  gzclose(gz);
  return text;
}

// Rotated backups of "multus.log" in `dir`, oldest first.
std::vector<std::string> Backups(const std::string& dir) {
  static const std::regex kBackup(R"(multus-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}\.log(\.gz)?)");
  std::vector<std::string> backups;
  for (const std::string& name : ListDir(dir)) {
    if (std::regex_match(name, kBackup)) backups.push_back(name);
  }
  return backups;
}

mode_t Mode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

Settings FileOnly(const std::string& file, Level level) {
  Settings settings;
  settings.level = level;
  settings.to_stderr = false;
  settings.file = file;
  return settings;
}

RotationOptions SmallFile(int max_backups, bool compress) {
  RotationOptions options;
  options.max_bytes = 100;
  options.max_backups = max_backups;
  options.max_age_days = 0;
  options.compress = compress;
  return options;
}

// Ten 10-byte lines: exactly fills a 100-byte file.
std::string TenLines(char tag) {
  std::string lines;
  for (int i = 0; i < 10; ++i)
    lines += std::string("line ") + tag + " 0" + std::to_string(i) + "\n";
  return lines;
}

void WriteLines(RotatingFileSink& sink, const std::string& lines) {
  std::istringstream in(lines);
  for (std::string line; std::getline(in, line);) ASSERT_TRUE(sink.Write(line + "\n").ok());
}

TEST(LogTest, FormatLineIsRfc3339LevelAndMessage) {
  const char* saved = std::getenv("TZ");
  std::string saved_tz = saved == nullptr ? "" : saved;
  setenv("TZ", "UTC", 1);
  tzset();
  auto when = std::chrono::system_clock::from_time_t(1795378892);  // 2026-11-22T20:21:32Z
  EXPECT_EQ(FormatLine(Level::kError, "boom [x=1]", when),
            "2026-11-22T20:21:32+00:00 [error] boom [x=1]\n");
  EXPECT_EQ(FormatLine(Level::kWarning, "w", when), "2026-11-22T20:21:32+00:00 [warning] w\n");
  EXPECT_EQ(FormatLine(Level::kVerbose, "v", when), "2026-11-22T20:21:32+00:00 [verbose] v\n");
  setenv("TZ", "UTC-2", 1);
  tzset();
  EXPECT_EQ(FormatLine(Level::kDebug, "d", when), "2026-11-22T22:21:32+02:00 [debug] d\n");
  if (saved == nullptr) {
    unsetenv("TZ");
  } else {
    setenv("TZ", saved_tz.c_str(), 1);
  }
  tzset();
}

TEST(LogTest, ParseLevelAcceptsUpstreamNamesCaseInsensitively) {
  const struct {
    const char* text;
    Level level;
  } cases[] = {
      {"debug", Level::kDebug},     {"DEBUG", Level::kDebug}, {"Verbose", Level::kVerbose},
      {"verbose", Level::kVerbose}, {"error", Level::kError}, {"ErRoR", Level::kError},
      {"panic", Level::kPanic},     {"PANIC", Level::kPanic}, {"warning", Level::kWarning},
      {"WARNING", Level::kWarning},
  };
  for (const auto& c : cases) {
    Result<Level> level = ParseLevel(c.text);
    ASSERT_TRUE(level.ok()) << c.text;
    EXPECT_EQ(*level, c.level) << c.text;
  }
}

TEST(LogTest, ParseLevelRejectsOtherNamesWithCode7) {
  const char* errors[] = {"", "info", "warn", "warnings", "trace", "critical", " debug", "debug "};
  for (const char* text : errors) {
    Result<Level> level = ParseLevel(text);
    ASSERT_FALSE(level.ok()) << text;
    EXPECT_EQ(level.status().code(), code::kInvalidConfig) << text;
    EXPECT_EQ(level.status().msg(), std::string("cannot set logging level to ") + text);
  }
}

TEST(LogTest, DefaultsToErrorsAndWarningsOnStderrBeforeConfigure) {
  // A fresh process (re-executed), so no other test has configured the logger yet.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        if (Enabled(Level::kVerbose) || !Enabled(Level::kWarning)) std::_Exit(1);
        Verbose("hidden {}", 1);
        Error("shown {}", 2);
        Warning("shown {}", 3);
        Flush();
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0),
      "^[0-9T:+-]+ \\[error\\] shown 2\n[0-9T:+-]+ \\[warning\\] shown 3\n$");
}

TEST(LogTest, ErrorLevelHidesVerboseAndDebug) {
  TempDir dir;
  const std::string file = dir.Path("multus.log");
  Configure(FileOnly(file, Level::kError));
  EXPECT_TRUE(Enabled(Level::kPanic));
  EXPECT_TRUE(Enabled(Level::kError));
  EXPECT_FALSE(Enabled(Level::kVerbose));
  Debug("debug line");
  Verbose("verbose line");
  Error("error line {}", 42);
  Flush();
  const std::string text = ReadFile(file);
  EXPECT_THAT(text, HasSubstr("[error] error line 42\n"));
  EXPECT_THAT(text, Not(HasSubstr("verbose line")));
  EXPECT_THAT(text, Not(HasSubstr("debug line")));
}

TEST(LogTest, DebugLevelShowsEverything) {
  TempDir dir;
  const std::string file = dir.Path("multus.log");
  Configure(FileOnly(file, Level::kDebug));
  Debug("d");
  Verbose("v");
  Error("e");
  Write(Level::kPanic, "p");
  Flush();
  const std::string text = ReadFile(file);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 4);
}

TEST(LogTest, PanicLevelShowsOnlyPanic) {
  TempDir dir;
  const std::string file = dir.Path("multus.log");
  Configure(FileOnly(file, Level::kPanic));
  Error("e");
  Write(Level::kPanic, "p");
  Flush();
  EXPECT_THAT(ReadFile(file), ::testing::EndsWith("[panic] p\n"));
  EXPECT_THAT(ReadFile(file), Not(HasSubstr("[error]")));
}

TEST(LogTest, LinesHaveUpstreamFormat) {
  TempDir dir;
  const std::string file = dir.Path("multus.log");
  Configure(FileOnly(file, Level::kDebug));
  Debug("a debug {}", "message");
  Verbose("a verbose message");
  Error("an error [container={}, ifname={}]", "abc", "net1");
  Write(Level::kPanic, "a panic {} {0}");  // already formatted: braces stay
  Flush();

  const std::regex kLine(
      R"((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d) \[(debug|verbose|error|panic)\] (.*))");
  std::vector<std::string> levels;
  std::vector<std::string> messages;
  std::istringstream in(ReadFile(file));
  for (std::string line; std::getline(in, line);) {
    std::smatch match;
    ASSERT_TRUE(std::regex_match(line, match, kLine)) << line;
    levels.push_back(match[2]);
    messages.push_back(match[3]);
  }
  EXPECT_THAT(levels, ElementsAre("debug", "verbose", "error", "panic"));
  EXPECT_THAT(messages, ElementsAre("a debug message", "a verbose message",
                                    "an error [container=abc, ifname=net1]", "a panic {} {0}"));
}

TEST(LogTest, StderrGetsTheSameLinesAndStdoutNothing) {
  Settings settings;
  settings.level = Level::kVerbose;
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  Configure(settings);
  Verbose("to stderr");
  Debug("not shown");
  spdlog::info("a stray spdlog call");  // spdlog's default logger must not be stdout's
  Flush();
  const std::string err = ::testing::internal::GetCapturedStderr();
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(out, "");
  EXPECT_THAT(err, ::testing::MatchesRegex("[0-9T:+-]+ \\[verbose\\] to stderr\n"
                                           "[0-9T:+-]+ \\[verbose\\] a stray spdlog call\n"));
}

TEST(LogTest, NewFileIs0600InA0755DirectoryItCreates) {
  TempDir dir;
  const std::string file = dir.Path("a/b/multus.log");
  const mode_t old_umask = umask(022);
  Configure(FileOnly(file, Level::kError));
  Error("hello");
  Flush();
  umask(old_umask);
  EXPECT_EQ(Mode(file), 0600u);
  EXPECT_EQ(Mode(dir.Path("a")), 0755u);
  EXPECT_EQ(Mode(dir.Path("a/b")), 0755u);
}

TEST(LogTest, ExistingFileKeepsItsModeAndContent) {
  TempDir dir;
  const std::string file = dir.Path("multus.log");
  std::ofstream(file) << "earlier\n";
  ASSERT_EQ(chmod(file.c_str(), 0640), 0);
  Configure(FileOnly(file, Level::kError));
  Error("later");
  Flush();
  EXPECT_EQ(Mode(file), 0640u);
  EXPECT_THAT(ReadFile(file), ::testing::StartsWith("earlier\n"));
  EXPECT_THAT(ReadFile(file), ::testing::EndsWith("[error] later\n"));
}

TEST(LogTest, UnopenableFileIsReportedOnceAndNeverFails) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        Configure(FileOnly("/dev/null/multus.log", Level::kError));
        Error("first");
        Error("second");
        Flush();
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0),
      "^multus logging: cannot open log file /dev/null/multus.log: Not a directory\n$");
}

TEST(LogTest, FlushedLinesSurviveAnAbruptExit) {
  TempDir dir;
  const std::string file = dir.Path("multus.log");
  GTEST_FLAG_SET(death_test_style, "fast");  // fork: the child sees this test's directory
  EXPECT_EXIT(
      {
        Configure(FileOnly(file, Level::kError));
        Error("last words");
        Flush();
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), "");
  EXPECT_THAT(ReadFile(file), ::testing::EndsWith("[error] last words\n"));
}

TEST(LogTest, ConfiguredSizeLimitRotatesIntoGzip) {
  TempDir dir;
  const std::string file = dir.Path("multus.log");
  Settings settings = FileOnly(file, Level::kError);
  settings.file_options.max_size_mb = 1;
  Configure(settings);
  const std::string filler(1000, 'x');
  for (int i = 0; i < 1100; ++i) Error("{} {}", i, filler);
  Flush();
  const std::vector<std::string> backups = Backups(dir.path());
  ASSERT_EQ(backups.size(), 1u);
  EXPECT_THAT(backups[0], ::testing::EndsWith(".log.gz"));
  const std::string old_lines = ReadGzip(dir.Path(backups[0]));
  EXPECT_LE(old_lines.size(), 1024u * 1024u);
  EXPECT_GT(old_lines.size(), 1024u * 1024u - 1100u);
  EXPECT_THAT(old_lines, HasSubstr("[error] 0 x"));
  EXPECT_THAT(ReadFile(file), HasSubstr("[error] 1099 x"));
}

TEST(LogTest, BackupNameIsUtcMillisecondsBeforeTheExtension) {
  EXPECT_EQ(BackupName("/var/log/multus.log", kSampleMs),
            "/var/log/multus-2026-11-22T20-41-32.123.log");
  EXPECT_EQ(BackupName("multus", kSampleMs), "multus-2026-11-22T20-41-32.123");
  EXPECT_EQ(BackupName("/a.d/multus.tar.log", kSampleMs + 5),
            "/a.d/multus.tar-2026-11-22T20-41-32.128.log");
}

TEST(LogTest, RotationCompressesTheOldLines) {
  TempDir dir;
  const std::string file = dir.Path("multus.log");
  {
    RotatingFileSink sink(file, SmallFile(0, true));
    WriteLines(sink, TenLines('a'));
    EXPECT_THAT(Backups(dir.path()), ElementsAre());
    WriteLines(sink, TenLines('b'));
  }
  const std::vector<std::string> backups = Backups(dir.path());
  ASSERT_EQ(backups.size(), 1u);
  EXPECT_THAT(backups[0], ::testing::EndsWith(".log.gz"));
  EXPECT_EQ(ReadGzip(dir.Path(backups[0])), TenLines('a'));
  EXPECT_EQ(Mode(dir.Path(backups[0])), 0600u);
  EXPECT_EQ(ReadFile(file), TenLines('b'));
  EXPECT_EQ(Mode(file), 0600u);
  EXPECT_EQ(ListDir(dir.path()).size(), 2u);  // no temporary or uncompressed leftovers
}

TEST(LogTest, RotationWithoutCompressKeepsAPlainFile) {
  TempDir dir;
  const std::string file = dir.Path("multus.log");
  ASSERT_EQ(close(creat(file.c_str(), 0644)), 0);
  ASSERT_EQ(chmod(file.c_str(), 0644), 0);
  {
    RotatingFileSink sink(file, SmallFile(0, false));
    WriteLines(sink, TenLines('a') + TenLines('b'));
  }
  const std::vector<std::string> backups = Backups(dir.path());
  ASSERT_EQ(backups.size(), 1u);
  EXPECT_THAT(backups[0], ::testing::EndsWith(".log"));
  EXPECT_EQ(ReadFile(dir.Path(backups[0])), TenLines('a'));
  EXPECT_EQ(ReadFile(file), TenLines('b'));
  EXPECT_EQ(Mode(file), 0644u);  // the new file keeps the old one's mode
}

TEST(LogTest, MaxBackupsKeepsTheNewest) {
  TempDir dir;
  const std::string file = dir.Path("multus.log");
  {
    RotatingFileSink sink(file, SmallFile(2, true));
    for (char tag : std::string("abcde")) WriteLines(sink, TenLines(tag));
  }
  const std::vector<std::string> backups = Backups(dir.path());
  ASSERT_EQ(backups.size(), 2u);
  EXPECT_EQ(ReadGzip(dir.Path(backups[0])), TenLines('c'));
  EXPECT_EQ(ReadGzip(dir.Path(backups[1])), TenLines('d'));
  EXPECT_EQ(ReadFile(file), TenLines('e'));
}

TEST(LogTest, MaxAgeRemovesOldBackupsOnly) {
  TempDir dir;
  const std::string file = dir.Path("multus.log");
  const auto now_ms = static_cast<std::int64_t>(time(nullptr)) * 1000;
  const std::string old_backup = BackupName(file, now_ms - 10LL * 24 * 3600 * 1000);
  const std::string recent_backup = BackupName(file, now_ms - 1LL * 24 * 3600 * 1000);
  const std::string unrelated = dir.Path("multus-notes.log");
  for (const std::string& path : {old_backup, recent_backup, unrelated}) {
    std::ofstream(path) << "x\n";
  }
  // Like lumberjack, age comes from the timestamp in the name; make mtime agree anyway.
  const timeval old_times[2] = {{time(nullptr) - time_t{10} * 24 * 3600, 0},
                                {time(nullptr) - time_t{10} * 24 * 3600, 0}};
  ASSERT_EQ(utimes(old_backup.c_str(), old_times), 0);

  RotationOptions options = SmallFile(0, false);
  options.max_age_days = 5;
  {
    RotatingFileSink sink(file, options);
    WriteLines(sink, TenLines('a') + TenLines('b'));
  }
  EXPECT_FALSE(std::filesystem::exists(old_backup));
  EXPECT_TRUE(std::filesystem::exists(recent_backup));
  EXPECT_TRUE(std::filesystem::exists(unrelated));
  EXPECT_EQ(Backups(dir.path()).size(), 2u);  // the recent fake and the new rotation
}

TEST(LogTest, WriterAfterAnotherProcessRotatedUsesTheNewFile) {
  TempDir dir;
  const std::string file = dir.Path("multus.log");
  // Two sinks on one path stand for two multus processes: separate open files and locks.
  RotatingFileSink first(file, SmallFile(0, false));
  RotatingFileSink second(file, SmallFile(0, false));
  ASSERT_TRUE(second.Write("second 00\n").ok());
  WriteLines(first, TenLines('a'));  // "second 00\n" and 9 lines fill it; the 10th rotates
  ASSERT_TRUE(second.Write("second 01\n").ok());
  const std::vector<std::string> backups = Backups(dir.path());
  ASSERT_EQ(backups.size(), 1u);
  EXPECT_THAT(ReadFile(dir.Path(backups[0])), Not(HasSubstr("second 01")));
  EXPECT_EQ(ReadFile(file), "line a 09\nsecond 01\n");
}

TEST(LogTest, ConcurrentProcessesLoseNoLineAndKeepTheSizeLimit) {
  TempDir dir;
  const std::string file = dir.Path("multus.log");
  constexpr int kProcesses = 4;
  constexpr int kLines = 250;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      RotatingFileSink sink(file, SmallFile(0, true));
      for (int i = 0; i < kLines; ++i) {
        if (!sink.Write(fmt::format("p{} {}\n", p, 1000 + i)).ok()) {
          std::_Exit(1);
        }
      }
      std::_Exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }

  std::string all = ReadFile(file);
  for (const std::string& backup : Backups(dir.path())) {
    ASSERT_THAT(backup, ::testing::EndsWith(".gz"));
    const std::string lines = ReadGzip(dir.Path(backup));
    EXPECT_LE(lines.size(), 100u) << backup;
    all += lines;
  }
  std::vector<std::string> lines;
  std::istringstream in(all);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines.size(), static_cast<std::size_t>(kProcesses * kLines));
  EXPECT_EQ(std::unique(lines.begin(), lines.end()), lines.end());
}

}  // namespace
}  // namespace multus::log
