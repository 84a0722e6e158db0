#include "multus/kube_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "multus/file_io.h"
#include "testing/fake_transport.h"
#include "testing/temp_dir.h"

namespace multus {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using test::FakeTransport;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const char kPodPath[] = "/api/v1/namespaces/ns/pods/name";
const char kNadPath[] =
    "/apis/k8s.cni.cncf.io/v1/namespaces/ns/network-attachment-definitions/macvlan";

const char kPodJson[] =
    R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"name","namespace":"ns",
  "uid":"1234-abcd","resourceVersion":"7","annotations":{"k8s.v1.cni.cncf.io/networks":"macvlan@eth5",
  "kubernetes.io/config.source":"api","a/number":3}},"spec":{"nodeName":"n1"}})";

KubeConfig TokenConfig(std::string token = "static-token") {
  KubeConfig config;
  config.server = "https://apiserver";
  config.token = std::move(token);
  return config;
}

class KubeClientTest : public ::testing::Test {
 protected:
  KubeClient MakeClient(KubeConfig config = TokenConfig(), RetryPolicy policy = {}) {
    return KubeClient(transport_, std::move(config), policy,
                      [this](milliseconds d) { sleeps_.push_back(d); });
  }

  // The bearer tokens of two requests, the token file at `path` replaced by `rotated` between
  // them.
  std::vector<std::string> TokensAcrossARotation(KubeConfig config, const std::string& path,
                                                 std::string_view rotated) {
    KubeClient client = MakeClient(std::move(config));
    transport_.Reply(200, kPodJson);
    transport_.Reply(200, kPodJson);
    EXPECT_TRUE(client.GetPod("ns", "name").ok());
    EXPECT_TRUE(WriteFileAtomic(path, rotated).ok());
    EXPECT_TRUE(client.GetPod("ns", "name").ok());
    std::vector<std::string> tokens;
    for (const HttpRequest& request : transport_.requests()) tokens.push_back(request.bearer_token);
    return tokens;
  }

  FakeTransport transport_;
  std::vector<milliseconds> sleeps_;
};

TEST_F(KubeClientTest, GetPodDecodesUidAndStringAnnotations) {
  transport_.Reply(200, kPodJson);
  KubeClient client = MakeClient();
  Result<std::optional<Pod>> pod = client.GetPod("ns", "name");
  ASSERT_TRUE(pod.ok()) << pod.status().msg();
  ASSERT_TRUE(pod->has_value());
  const Pod& p = **pod;
  EXPECT_EQ(p.namespace_name, "ns");
  EXPECT_EQ(p.name, "name");
  EXPECT_EQ(p.uid, "1234-abcd");
  EXPECT_EQ(p.annotations.size(), 2u);  // the non-string one is skipped
  EXPECT_EQ(p.annotations.at("k8s.v1.cni.cncf.io/networks"), "macvlan@eth5");
  EXPECT_FALSE(p.is_static);

  ASSERT_EQ(transport_.requests().size(), 1u);
  const HttpRequest& request = transport_.requests()[0];
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.path, kPodPath);
  EXPECT_EQ(request.body, "");
  EXPECT_EQ(request.bearer_token, "static-token");
  EXPECT_GT(request.timeout.count(), 0);
  EXPECT_EQ(client.request_count(), 1);
  EXPECT_THAT(sleeps_, IsEmpty());
}

TEST_F(KubeClientTest, GetPodDetectsStaticPodsByConfigSource) {
  struct Case {
    std::string annotations;
    bool is_static;
  };
  const Case cases[] = {
      {R"({"kubernetes.io/config.source":"file"})", true},
      {R"({"kubernetes.io/config.source":"http"})", true},
      {R"({"kubernetes.io/config.source":"api"})", false},
      {R"({})", false},
  };
  for (const Case& c : cases) {
    transport_.Reply(200, R"({"metadata":{"uid":"u","annotations":)" + c.annotations + "}}");
    KubeClient client = MakeClient();
    Result<std::optional<Pod>> pod = client.GetPod("ns", "name");
    ASSERT_TRUE(pod.ok()) << pod.status().msg();
    ASSERT_TRUE(pod->has_value());
    EXPECT_EQ((*pod)->is_static, c.is_static) << c.annotations;
  }
  // No annotations at all.
  transport_.Reply(200, R"({"metadata":{"uid":"u"}})");
  KubeClient client = MakeClient();
  Result<std::optional<Pod>> pod = client.GetPod("ns", "name");
  ASSERT_TRUE(pod.ok()) << pod.status().msg();
  EXPECT_TRUE((*pod)->annotations.empty());
  EXPECT_FALSE((*pod)->is_static);
}

TEST_F(KubeClientTest, GetPodNotFoundIsNullopt) {
  transport_.Reply(404, R"({"kind":"Status","message":"pods \"name\" not found"})");
  KubeClient client = MakeClient();
  Result<std::optional<Pod>> pod = client.GetPod("ns", "name");
  ASSERT_TRUE(pod.ok()) << pod.status().msg();
  EXPECT_FALSE(pod->has_value());
  EXPECT_EQ(transport_.requests().size(), 1u);
}

TEST_F(KubeClientTest, GetPodUndecodableBodyIsCode6) {
  transport_.Reply(200, "<html>proxy</html>");
  KubeClient client = MakeClient();
  Result<std::optional<Pod>> pod = client.GetPod("ns", "name");
  ASSERT_FALSE(pod.ok());
  EXPECT_EQ(pod.status().code(), code::kDecode);
  EXPECT_THAT(pod.status().msg(), HasSubstr("GET pod ns/name: cannot decode the answer"));
}

TEST_F(KubeClientTest, UnauthorizedAndForbiddenAreCode7SayingWhatToFixAndNotRetried) {
  struct Error {
    long status;
    std::string details;
  };
  const Error errors[] = {
      {401, "check the token or client certificate in the multus kubeconfig"},
      {403, "lacks RBAC permission"},
  };
  for (const Error& e : errors) {
    FakeTransport transport;
    transport.Reply(e.status, R"({"kind":"Status","message":"denied by test"})");
    std::vector<milliseconds> sleeps;
    KubeClient client(transport, TokenConfig(), RetryPolicy{},
                      [&](milliseconds d) { sleeps.push_back(d); });
    Result<std::optional<Pod>> pod = client.GetPod("ns", "name");
    ASSERT_FALSE(pod.ok());
    EXPECT_EQ(pod.status().code(), code::kInvalidConfig);
    EXPECT_EQ(pod.status().msg(), std::string("GET ") + kPodPath + ": HTTP " +
                                      std::to_string(e.status) + ": denied by test");
    EXPECT_THAT(pod.status().details(), HasSubstr(e.details));
    EXPECT_EQ(transport.requests().size(), 1u) << e.status;
    EXPECT_THAT(sleeps, IsEmpty());
  }
}

TEST_F(KubeClientTest, RetriesServerErrorsWithGrowingBackoffThenSucceeds) {
  transport_.Reply(500, "boom");
  transport_.Reply(503, "unavailable");
  transport_.Reply(429, "slow down");
  transport_.Reply(200, kPodJson);
  RetryPolicy policy;
  policy.first_backoff = milliseconds(100);
  policy.max_backoff = milliseconds(250);
  KubeClient client = MakeClient(TokenConfig(), policy);
  Result<std::optional<Pod>> pod = client.GetPod("ns", "name");
  ASSERT_TRUE(pod.ok()) << pod.status().msg();
  ASSERT_TRUE(pod->has_value());
  EXPECT_EQ((*pod)->uid, "1234-abcd");
  EXPECT_EQ(transport_.requests().size(), 4u);
  EXPECT_EQ(client.request_count(), 4);
  EXPECT_THAT(sleeps_, ElementsAre(milliseconds(100), milliseconds(200), milliseconds(250)));
  for (const HttpRequest& r : transport_.requests()) {
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.path, kPodPath);
  }
}

TEST_F(KubeClientTest, HonoursRetryAfterSeconds) {
  transport_.Reply(429, "", "3");
  transport_.Reply(200, kPodJson);
  KubeClient client = MakeClient();
  Result<std::optional<Pod>> pod = client.GetPod("ns", "name");
  ASSERT_TRUE(pod.ok()) << pod.status().msg();
  EXPECT_THAT(sleeps_, ElementsAre(milliseconds(3000)));
}

TEST_F(KubeClientTest, RetryAfterZeroNegativeOrADateFallsBackToTheBackoff) {
  transport_.Reply(429, "", "0");
  transport_.Reply(503, "", "-5");
  transport_.Reply(429, "", "Wed, 21 Oct 2026 07:28:00 GMT");
  transport_.Reply(200, kPodJson);
  RetryPolicy policy;
  policy.first_backoff = milliseconds(100);
  policy.max_backoff = milliseconds(1000);
  KubeClient client = MakeClient(TokenConfig(), policy);
  Result<std::optional<Pod>> pod = client.GetPod("ns", "name");
  ASSERT_TRUE(pod.ok()) << pod.status().msg();
  EXPECT_THAT(sleeps_, ElementsAre(milliseconds(100), milliseconds(200), milliseconds(400)));
}

TEST_F(KubeClientTest, RetryAfterBeyondTheBudgetGivesUpWithCode11) {
  transport_.Reply(429, R"({"message":"too many requests"})", "60");
  KubeClient client = MakeClient();  // 10 s budget
  Result<std::optional<Pod>> pod = client.GetPod("ns", "name");
  ASSERT_FALSE(pod.ok());
  EXPECT_EQ(pod.status().code(), code::kTryAgainLater);
  EXPECT_THAT(pod.status().msg(), HasSubstr("HTTP 429: too many requests"));
  EXPECT_THAT(sleeps_, IsEmpty());
  EXPECT_EQ(transport_.requests().size(), 1u);
}

// The budget is wall-clock time; the injected Sleep does not advance it, so the policy is
// chosen for the doubling backoff to overrun the budget within a few attempts whatever the
// real elapsed time (< 400 ms).
RetryPolicy SmallPolicy() {
  RetryPolicy policy;
  policy.total_budget = milliseconds(1000);
  policy.first_backoff = milliseconds(300);
  policy.max_backoff = milliseconds(5000);
  return policy;
}

TEST_F(KubeClientTest, NothingAnsweringIsReportedAtOnceWithoutRetries) {
  transport_.Reply(0, "Failed to connect to 10.0.0.1 port 6443: Connection refused");
  KubeClient client = MakeClient();
  Result<std::optional<Pod>> pod = client.GetPod("ns", "name");
  ASSERT_FALSE(pod.ok());
  EXPECT_EQ(pod.status().code(), code::kTryAgainLater);
  EXPECT_THAT(pod.status().msg(), HasSubstr("Connection refused"));
  EXPECT_THAT(pod.status().details(), HasSubstr("https://apiserver"));
  EXPECT_EQ(transport_.requests().size(), 1u);
  EXPECT_THAT(sleeps_, IsEmpty());
}

TEST_F(KubeClientTest, PolicyWithTimeoutsFitsEveryRequestIntoTheBudget) {
  RetryPolicy del = RetryPolicy::WithTimeouts(milliseconds(5000), milliseconds(2000));
  EXPECT_EQ(del.request_timeout, milliseconds(2000));
  EXPECT_EQ(del.total_budget, milliseconds(2000));
  EXPECT_EQ(del.invocation_budget, milliseconds(2000));
  EXPECT_EQ(del.event_timeout, milliseconds(1000));
  RetryPolicy slow = RetryPolicy::WithTimeouts(milliseconds(3000), milliseconds(60000));
  EXPECT_EQ(slow.request_timeout, milliseconds(3000));
  EXPECT_EQ(slow.invocation_budget, milliseconds(60000));
  RetryPolicy tight = RetryPolicy::WithTimeouts(milliseconds(300), milliseconds(20000));
  EXPECT_EQ(tight.event_timeout, milliseconds(300));
}

TEST_F(KubeClientTest, PersistentServerErrorsStopAtTheBudgetWithCode11) {
  for (int i = 0; i < 3; ++i) transport_.Reply(500, R"({"message":"etcd down"})");
  KubeClient client = MakeClient(TokenConfig(), SmallPolicy());
  Result<std::optional<Pod>> pod = client.GetPod("ns", "name");
  ASSERT_FALSE(pod.ok());
  EXPECT_EQ(pod.status().code(), code::kTryAgainLater);
  EXPECT_EQ(pod.status().msg(), std::string("GET ") + kPodPath + ": HTTP 500: etcd down");
  EXPECT_THAT(pod.status().details(), HasSubstr("kubelet will retry"));
  EXPECT_EQ(transport_.requests().size(), 3u);
  EXPECT_THAT(sleeps_, ElementsAre(milliseconds(300), milliseconds(600)));
  EXPECT_EQ(transport_.pending(), 0u);
}

TEST_F(KubeClientTest, ConnectionErrorsAreRetriedThenReported) {
  transport_.Fail(Status::TryAgainLater("connection refused"));
  transport_.Reply(200, kPodJson);
  KubeClient client = MakeClient(TokenConfig(), SmallPolicy());
  Result<std::optional<Pod>> pod = client.GetPod("ns", "name");
  ASSERT_TRUE(pod.ok()) << pod.status().msg();
  EXPECT_THAT(sleeps_, ElementsAre(milliseconds(300)));

  FakeTransport down;
  for (int i = 0; i < 3; ++i) down.Fail(Status::TryAgainLater("connection refused"));
  KubeClient down_client(down, TokenConfig(), SmallPolicy(), [](milliseconds) {});
  Result<std::optional<Pod>> failed = down_client.GetPod("ns", "name");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), code::kTryAgainLater);
  EXPECT_EQ(failed.status().msg(), "connection refused");
  EXPECT_EQ(down.requests().size(), 3u);
}

TEST_F(KubeClientTest, NonTransientTransportErrorsAreNotRetried) {
  transport_.Fail(Status::InvalidConfig("bad CA"));
  KubeClient client = MakeClient();
  Result<std::optional<Pod>> pod = client.GetPod("ns", "name");
  ASSERT_FALSE(pod.ok());
  EXPECT_EQ(pod.status().code(), code::kInvalidConfig);
  EXPECT_EQ(transport_.requests().size(), 1u);
  EXPECT_THAT(sleeps_, IsEmpty());
}

TEST_F(KubeClientTest, GetNadReadsSpecConfigVerbatim) {
  const std::string config =
      R"({"cniVersion":"0.3.1","type":"macvlan","mtu":1500,"big":123456789012345678901})";
  json body = {{"metadata",
                {{"name", "macvlan"},
                 {"namespace", "ns"},
                 {"annotations", {{"k8s.v1.cni.cncf.io/resourceName", "intel.com/sriov"}}}}},
               {"spec", {{"config", config}}}};
  transport_.Reply(200, body.dump());
  KubeClient client = MakeClient();
  Result<std::optional<Nad>> nad = client.GetNad("ns", "macvlan");
  ASSERT_TRUE(nad.ok()) << nad.status().msg();
  ASSERT_TRUE(nad->has_value());
  EXPECT_EQ((*nad)->namespace_name, "ns");
  EXPECT_EQ((*nad)->name, "macvlan");
  EXPECT_EQ((*nad)->config, config);
  EXPECT_EQ((*nad)->annotations.at("k8s.v1.cni.cncf.io/resourceName"), "intel.com/sriov");
  ASSERT_EQ(transport_.requests().size(), 1u);
  EXPECT_EQ(transport_.requests()[0].method, "GET");
  EXPECT_EQ(transport_.requests()[0].path, kNadPath);
}

TEST_F(KubeClientTest, GetNadWithoutSpecConfigHasEmptyConfig) {
  const std::string bodies[] = {R"({"metadata":{"name":"macvlan"},"spec":{}})",
                                R"({"metadata":{"name":"macvlan"}})"};
  for (const std::string& body : bodies) {
    transport_.Reply(200, body);
    KubeClient client = MakeClient();
    Result<std::optional<Nad>> nad = client.GetNad("ns", "macvlan");
    ASSERT_TRUE(nad.ok()) << nad.status().msg();
    ASSERT_TRUE(nad->has_value());
    EXPECT_EQ((*nad)->config, "") << body;
  }
}

TEST_F(KubeClientTest, GetNadNotFoundIsNullopt) {
  transport_.Reply(404, "");
  KubeClient client = MakeClient();
  Result<std::optional<Nad>> nad = client.GetNad("ns", "macvlan");
  ASSERT_TRUE(nad.ok()) << nad.status().msg();
  EXPECT_FALSE(nad->has_value());
}

TEST_F(KubeClientTest, SetPodAnnotationSendsOneMergePatchOfTheStatus) {
  transport_.Reply(200, kPodJson);
  KubeClient client = MakeClient();
  const std::string value = R"([{"name":"cbr0","interface":"eth0","ips":["10.1.1.5"]}])";
  Status status = client.SetPodAnnotation("ns", "name", "k8s.v1.cni.cncf.io/network-status", value);
  ASSERT_TRUE(status.ok()) << status.msg();
  ASSERT_EQ(transport_.requests().size(), 1u);
  const HttpRequest& request = transport_.requests()[0];
  EXPECT_EQ(request.method, "PATCH");
  EXPECT_EQ(request.path, std::string(kPodPath) + "/status");
  EXPECT_EQ(request.content_type, "application/merge-patch+json");
  EXPECT_EQ(request.bearer_token, "static-token");
  json expected = {{"metadata", {{"annotations", {{"k8s.v1.cni.cncf.io/network-status", value}}}}}};
  EXPECT_EQ(json::parse(request.body), expected) << request.body;
}

TEST_F(KubeClientTest, SetPodAnnotationToleratesAPodThatIsGone) {
  transport_.Reply(404, R"({"message":"pods \"name\" not found"})");
  KubeClient client = MakeClient();
  Status status = client.SetPodAnnotation("ns", "name", "k", "v");
  EXPECT_TRUE(status.ok()) << status.msg();
  EXPECT_EQ(transport_.requests().size(), 1u);
}

TEST_F(KubeClientTest, ForbiddenPatchFallsBackToGetAndPut) {
  transport_.Reply(403, R"({"message":"cannot patch resource pods/status"})");
  transport_.Reply(200, kPodJson);
  transport_.Reply(200, kPodJson);
  KubeClient client = MakeClient();
  Status status = client.SetPodAnnotation("ns", "name", "k8s.v1.cni.cncf.io/network-status", "[]");
  ASSERT_TRUE(status.ok()) << status.msg();
  const auto& requests = transport_.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "PATCH");
  EXPECT_EQ(requests[1].method, "GET");
  EXPECT_EQ(requests[1].path, kPodPath);
  EXPECT_EQ(requests[2].method, "PUT");
  EXPECT_EQ(requests[2].path, std::string(kPodPath) + "/status");
  EXPECT_EQ(requests[2].content_type, "application/json");
  json put = json::parse(requests[2].body);
  json expected = json::parse(kPodJson);
  expected["metadata"]["annotations"]["k8s.v1.cni.cncf.io/network-status"] = "[]";
  EXPECT_EQ(put, expected);  // everything else of the pod is sent back, resourceVersion included
  EXPECT_EQ(put["metadata"]["resourceVersion"], "7");
}

TEST_F(KubeClientTest, PutConflictIsRetriedWithAFreshGet) {
  transport_.Reply(403, "");
  transport_.Reply(200, kPodJson);
  transport_.Reply(409, R"({"message":"the object has been modified"})");
  std::string newer = kPodJson;
  newer.replace(newer.find(R"("resourceVersion":"7")"), 21, R"("resourceVersion":"8")");
  transport_.Reply(200, newer);
  transport_.Reply(200, newer);
  KubeClient client = MakeClient();
  Status status = client.SetPodAnnotation("ns", "name", "k", "v");
  ASSERT_TRUE(status.ok()) << status.msg();
  const auto& requests = transport_.requests();
  ASSERT_EQ(requests.size(), 5u);
  std::vector<std::string> methods;
  for (const HttpRequest& r : requests) methods.push_back(r.method);
  EXPECT_THAT(methods, ElementsAre("PATCH", "GET", "PUT", "GET", "PUT"));
  EXPECT_EQ(json::parse(requests[2].body)["metadata"]["resourceVersion"], "7");
  EXPECT_EQ(json::parse(requests[4].body)["metadata"]["resourceVersion"], "8");
  EXPECT_EQ(json::parse(requests[4].body)["metadata"]["annotations"]["k"], "v");
}

// Audit finding 7: a 403 on the PATCH, then a GET answering something that is not a pod
// object, let a JSON exception escape (code 999, the ADD's rollback skipped).
TEST_F(KubeClientTest, FallbackGetAnsweringANonObjectIsADecodeError) {
  for (const char* body :
       {"[1,2]", "\"pod\"", R"({"metadata":[]})", R"({"metadata":{"annotations":"x"}})"}) {
    FakeTransport transport;
    transport.Reply(403, R"({"message":"forbidden"})");
    transport.Reply(200, body);
    KubeClient client(transport, TokenConfig(), RetryPolicy{}, [](milliseconds) {});
    Status status = client.SetPodAnnotation("ns", "name", "k", "v");
    EXPECT_EQ(status.code(), code::kDecode) << body << ": " << status.msg();
    EXPECT_EQ(transport.pending(), 0u) << body;
  }
}

TEST_F(KubeClientTest, PutThatKeepsConflictingIsCode11) {
  transport_.Reply(403, "");
  for (int i = 0; i < 5; ++i) {
    transport_.Reply(200, kPodJson);
    transport_.Reply(409, "");
  }
  KubeClient client = MakeClient();
  Status status = client.SetPodAnnotation("ns", "name", "k", "v");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), code::kTryAgainLater);
  EXPECT_EQ(status.msg(), "status update for pod ns/name kept conflicting");
  EXPECT_EQ(transport_.requests().size(), 11u);
}

TEST_F(KubeClientTest, ForbiddenPutIsCode7) {
  transport_.Reply(403, "");
  transport_.Reply(200, kPodJson);
  transport_.Reply(403, R"({"message":"cannot update pods/status"})");
  KubeClient client = MakeClient();
  Status status = client.SetPodAnnotation("ns", "name", "k", "v");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), code::kInvalidConfig);
  EXPECT_EQ(status.msg(),
            std::string("PUT ") + kPodPath + "/status: HTTP 403: cannot update pods/status");
  EXPECT_THAT(status.details(), HasSubstr("RBAC"));
}

TEST_F(KubeClientTest, TokenFileIsReReadOnEveryCall) {
  test::TempDir dir;
  test::WriteFile(dir / "token", "first-token\n");
  KubeConfig config = TokenConfig("ignored-static-token");
  config.token_file = dir / "token";
  KubeClient client = MakeClient(config);
  transport_.Reply(200, kPodJson);
  transport_.Reply(200, kPodJson);
  transport_.Reply(200, "");
  ASSERT_TRUE(client.GetPod("ns", "name").ok());
  test::WriteFile(dir / "token", "rotated-token");
  ASSERT_TRUE(client.GetPod("ns", "name").ok());
  ASSERT_TRUE(client.SetPodAnnotation("ns", "name", "k", "v").ok());
  ASSERT_EQ(transport_.requests().size(), 3u);
  EXPECT_EQ(transport_.requests()[0].bearer_token, "first-token");
  EXPECT_EQ(transport_.requests()[1].bearer_token, "rotated-token");
  EXPECT_EQ(transport_.requests()[2].bearer_token, "rotated-token");
}

TEST_F(KubeClientTest, ATokenFileReplacedByOneOfTheSameSizeIsNoticed) {
  test::TempDir dir;
  std::string path = dir / "token";
  ASSERT_TRUE(WriteFileAtomic(path, "token-0001").ok());
  KubeConfig config = TokenConfig("");
  config.token_file = path;
  EXPECT_THAT(TokensAcrossARotation(config, path, "token-0002"),
              ElementsAre("token-0001", "token-0002"));
}

TEST_F(KubeClientTest, TheTokenTheLoadReadIsUsedUntilTheFileChanges) {
  test::TempDir dir;
  std::string path = dir / "token";
  ASSERT_TRUE(WriteFileAtomic(path, "token-0001").ok());
  KubeConfig config = TokenConfig("");
  config.token_file = path;
  // As the load leaves it (identity, then content); a content unlike the file's shows that
  // the first request does not read the file again.
  config.token_file_identity = StatFileIdentity(path);
  config.token_file_content = "token-from-load\n";
  EXPECT_THAT(TokensAcrossARotation(config, path, "token-0002"),
              ElementsAre("token-from-load", "token-0002"));
}

TEST_F(KubeClientTest, UnreadableTokenFileIsCode7AndSendsNothing) {
  KubeConfig config = TokenConfig("");
  config.token_file = "/nonexistent/multus-unit-test/token";
  KubeClient client = MakeClient(config);
  Result<std::optional<Pod>> pod = client.GetPod("ns", "name");
  ASSERT_FALSE(pod.ok());
  EXPECT_EQ(pod.status().code(), code::kInvalidConfig);
  EXPECT_EQ(pod.status().msg(),
            "cannot read credential file /nonexistent/multus-unit-test/token: no such file");
  EXPECT_TRUE(transport_.requests().empty());
}

TEST_F(KubeClientTest, PostEventDescribesThePodAndComesFromMultus) {
  transport_.Reply(201, "{}");
  KubeClient client = MakeClient();
  Pod pod{"ns", "name", "1234-abcd", {}, false};
  Status status =
      client.PostEvent(pod, "Normal", "AddedInterface", "Add eth0 [10.1.1.5/24] from cbr0");
  ASSERT_TRUE(status.ok()) << status.msg();
  ASSERT_EQ(transport_.requests().size(), 1u);
  const HttpRequest& request = transport_.requests()[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path, "/api/v1/namespaces/ns/events");
  EXPECT_EQ(request.content_type, "application/json");
  json event = json::parse(request.body);
  EXPECT_EQ(event["kind"], "Event");
  EXPECT_EQ(event["metadata"]["namespace"], "ns");
  EXPECT_EQ(event["involvedObject"]["kind"], "Pod");
  EXPECT_EQ(event["involvedObject"]["namespace"], "ns");
  EXPECT_EQ(event["involvedObject"]["name"], "name");
  EXPECT_EQ(event["involvedObject"]["uid"], "1234-abcd");
  EXPECT_EQ(event["reason"], "AddedInterface");
  EXPECT_EQ(event["type"], "Normal");
  EXPECT_EQ(event["message"], "Add eth0 [10.1.1.5/24] from cbr0");
  EXPECT_EQ(event["source"]["component"], "multus");
}

TEST_F(KubeClientTest, PostEventRejectionIsReported) {
  transport_.Reply(403, R"({"message":"cannot create events"})");
  KubeClient client = MakeClient();
  Status status =
      client.PostEvent(Pod{"ns", "name", "u", {}, false}, "Warning", "NoNetworkFound", "m");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), code::kInvalidConfig);
  EXPECT_EQ(transport_.requests().size(), 1u);
}

}  // namespace
}  // namespace multus
