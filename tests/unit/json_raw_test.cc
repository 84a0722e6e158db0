#include "multus/json_raw.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace multus {
namespace {

TEST(JsonRawTest, ListsObjectMembersAsWritten) {
  const std::string object =
      R"( { "a" : 1 , "b\"q": "x}]\"{[" ,"c":{"d":[1,"]",{"e":"}"}]},"f":[ ],"g":null,)"
      R"("h":true, "i":-1.5e+3 } )";
  Result<std::vector<RawMember>> members = RawObjectMembers(object);
  ASSERT_TRUE(members.ok()) << members.status().msg();
  ASSERT_EQ(members->size(), 7u);
  struct Expected {
    std::string key, raw_key, value;
  };
  const Expected expected[] = {
      {"a", R"("a")", "1"},
      {"b\"q", R"("b\"q")", R"("x}]\"{[")"},
      {"c", R"("c")", R"({"d":[1,"]",{"e":"}"}]})"},
      {"f", R"("f")", "[ ]"},
      {"g", R"("g")", "null"},
      {"h", R"("h")", "true"},
      {"i", R"("i")", "-1.5e+3"},
  };
  for (size_t i = 0; i < std::size(expected); ++i) {
    EXPECT_EQ((*members)[i].key, expected[i].key);
    EXPECT_EQ((*members)[i].raw_key, expected[i].raw_key);
    EXPECT_EQ((*members)[i].value, expected[i].value);
  }
}

TEST(JsonRawTest, DecodesEscapedKeys) {
  Result<std::vector<RawMember>> members = RawObjectMembers(R"({"\u0041b\\":1})");
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->size(), 1u);
  EXPECT_EQ((*members)[0].key, "Ab\\");
  EXPECT_EQ((*members)[0].raw_key, R"("\u0041b\\")");
}

TEST(JsonRawTest, EmptyObjectAndArrayHaveNoMembers) {
  Result<std::vector<RawMember>> members = RawObjectMembers(" { } ");
  ASSERT_TRUE(members.ok());
  EXPECT_TRUE(members->empty());
  Result<std::vector<std::string_view>> elements = RawArrayElements("[\n]");
  ASSERT_TRUE(elements.ok());
  EXPECT_TRUE(elements->empty());
}

TEST(JsonRawTest, ListsArrayElementsAsWritten) {
  const std::string array =
      R"([ {"type":"bridge","x":"[{\"}"} , [1,[2]], "s\\", 12345678901234567890, 1.10,false ])";
  Result<std::vector<std::string_view>> elements = RawArrayElements(array);
  ASSERT_TRUE(elements.ok()) << elements.status().msg();
  const std::vector<std::string_view> expected = {R"({"type":"bridge","x":"[{\"}"})",
                                                  "[1,[2]]",
                                                  R"("s\\")",
                                                  "12345678901234567890",
                                                  "1.10",
                                                  "false"};
  EXPECT_EQ(*elements, expected);
}

TEST(JsonRawTest, RejectsMalformedText) {
  struct Error {
    std::string text;
    bool object;  // else array
  };
  const Error errors[] = {
      {"", true},
      {"[]", true},
      {"{", true},
      {R"({"a")", true},
      {R"({"a":})", true},
      {R"({"a" 1})", true},
      {R"({"a":1)", true},
      {R"({a:1})", true},
      {R"({"a":"x})", true},
      {R"({"a":[1,2})", true},
      {R"({"a":1,})", true},
      {"{}", false},
      {"[", false},
      {"[1,2", false},
      {"[1,]", false},
      {R"(["a)", false},
  };
  for (const Error& e : errors) {
    Status status =
        e.object ? RawObjectMembers(e.text).status() : RawArrayElements(e.text).status();
    EXPECT_EQ(status.code(), code::kDecode) << e.text;
    EXPECT_NE(status.msg().find("malformed JSON"), std::string::npos) << e.text;
  }
}

TEST(JsonRawTest, SetRawMembersReplacesInPlaceAndAppends) {
  struct Case {
    std::string object;
    std::vector<std::pair<std::string, std::string>> updates;
    std::string expected;
  };
  const Case cases[] = {
      {R"({"a":1,"b":2})", {{"a", "\"x\""}}, R"({"a":"x","b":2})"},
      {R"({"a":1,"b":2})", {{"c", "[1]"}}, R"({"a":1,"b":2,"c":[1]})"},
      {R"({"a":1,"b":2})", {{"c", "3"}, {"b", "{}"}}, R"({"a":1,"b":{},"c":3})"},
      {"{}", {{"name", "\"n\""}}, R"({"name":"n"})"},
      // Every other member keeps its key and value bytes (spacing inside values too).
      {R"({ "big" : 12345678901234567890 , "f": 1.10, "s":"a\"b" , "name":"old"})",
       {{"name", "\"new\""}},
       R"({"big":12345678901234567890,"f":1.10,"s":"a\"b","name":"new"})"},
      // A duplicated key keeps only its first occurrence, replaced.
      {R"({"a":1,"b":2,"a":3})", {{"a", "9"}}, R"({"a":9,"b":2})"},
      // Keys needing escapes are written as JSON strings.
      {"{}", {{"cni.dev/valid-attachments", "[]"}}, R"({"cni.dev/valid-attachments":[]})"},
      {"{}", {{"q\"", "1"}}, R"({"q\"":1})"},
  };
  for (const Case& c : cases) {
    Result<std::string> out = SetRawMembers(c.object, c.updates);
    ASSERT_TRUE(out.ok()) << c.object;
    EXPECT_EQ(*out, c.expected) << c.object;
  }
}

TEST(JsonRawTest, SetRawMembersRejectsNonObjects) {
  EXPECT_EQ(SetRawMembers("[1]", {{"a", "1"}}).status().code(), code::kDecode);
  EXPECT_EQ(SetRawMembers("{\"a\":", {{"a", "1"}}).status().code(), code::kDecode);
}

TEST(JsonRawTest, RemoveRawMemberDropsEveryOccurrence) {
  struct Case {
    std::string object, key, expected;
  };
  const Case cases[] = {
      {R"({"a":1,"b":2})", "a", R"({"b":2})"},
      {R"({"a":1,"b":2})", "b", R"({"a":1})"},
      {R"({"a":1,"b":2,"a":3})", "a", R"({"b":2})"},
      {R"({"a":1})", "zz", R"({"a":1})"},
      {R"({"a":1})", "a", "{}"},
      {R"({"n": 12345678901234567890, "x":{"a":1}})", "a",
       R"({"n":12345678901234567890,"x":{"a":1}})"},
  };
  for (const Case& c : cases) {
    Result<std::string> out = RemoveRawMember(c.object, c.key);
    ASSERT_TRUE(out.ok()) << c.object;
    EXPECT_EQ(*out, c.expected) << c.object << " - " << c.key;
  }
  EXPECT_EQ(RemoveRawMember("nope", "a").status().code(), code::kDecode);
}

TEST(JsonRawTest, FindRawMemberReturnsLastDuplicateOrEmpty) {
  const std::string object = R"({"a":1,"b":"x","a":[2]})";
  Result<std::vector<RawMember>> members = RawObjectMembers(object);
  ASSERT_TRUE(members.ok());
  EXPECT_EQ(FindRawMember(*members, "a"), "[2]");
  EXPECT_EQ(FindRawMember(*members, "b"), "\"x\"");
  EXPECT_EQ(FindRawMember(*members, "A"), "");  // exact match only
  EXPECT_TRUE(FindRawMember(*members, "zz").empty());
}

}  // namespace
}  // namespace multus
