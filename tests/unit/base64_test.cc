#include "multus/base64.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace multus {
namespace {

TEST(Base64Test, EncodesStandardAlphabetWithPadding) {
  const std::pair<std::string, std::string> cases[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
      {std::string("\xfb\xff\xbf", 3), "+/+/"},
      {std::string("\0\0", 2), "AAA="},
  };
  for (const auto& [plain, encoded] : cases) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    auto decoded = Base64Decode(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(Base64Test, RoundTripsEveryByteValue) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t len = 0; len <= all.size(); len += 37) {
    const std::string part = all.substr(0, len);
    auto decoded = Base64Decode(Base64Encode(part));
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, part);
  }
}

TEST(Base64Test, RejectsBadInput) {
  const struct {
    const char* text;
    const char* msg;
  } errors[] = {
      {"Zg=", "invalid base64: length 3 is not a multiple of 4"},
      {"Zg", "invalid base64: length 2 is not a multiple of 4"},
      {"Zm9v\n", "invalid base64: length 5 is not a multiple of 4"},
      {"Zm9-", "invalid base64: unexpected character at offset 3"},
      {"Zm 9", "invalid base64: unexpected character at offset 2"},
      {"Z=9v", "invalid base64: misplaced padding at offset 1"},
      {"====", "invalid base64: misplaced padding at offset 0"},
      {"Zg==Zm9v", "invalid base64: misplaced padding at offset 2"},
  };
  for (const auto& e : errors) {
    auto decoded = Base64Decode(e.text);
    ASSERT_FALSE(decoded.ok()) << e.text;
    EXPECT_EQ(decoded.status().code(), code::kDecode);
    EXPECT_EQ(decoded.status().msg(), e.msg);
  }
}

}  // namespace
}  // namespace multus
