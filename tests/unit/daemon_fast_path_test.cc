#include "multus/daemon_fast_path.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "testing/fake_daemon.h"

namespace multus {
namespace {

using test::FakeDaemon;

const char kSocket[] = "/run/multus/multus.sock";
const char kPodJson[] =
    R"({"metadata":{"name":"p","namespace":"ns","uid":"u-1","annotations":{"k8s.v1.cni.cncf.io/networks":"net1"}}})";

// The daemon outlives the client under test; the test keeps a view of what it was asked.
std::unique_ptr<UnixHttpClient> Borrow(FakeDaemon& daemon) {
  class Borrowed : public UnixHttpClient {
   public:
    explicit Borrowed(FakeDaemon& daemon) : daemon_(daemon) {}
    Result<UnixHttpReply> Send(const UnixHttpRequest& request) override {
      return daemon_.Send(request);
    }

   private:
    FakeDaemon& daemon_;
  };
  return std::make_unique<Borrowed>(daemon);
}

TEST(DaemonFastPathTest, SocketPathIsMultusSockInTheDirectory) {
  EXPECT_EQ(DaemonSocketPath("/run/multus"), kSocket);
  EXPECT_EQ(DaemonSocketPath("/run/multus/"), kSocket);
}

TEST(DaemonFastPathTest, ThePodIsReadThroughTheDaemonWithThePrefixedApiPath) {
  FakeDaemon daemon;
  daemon.On("/fastpath/v1/api/v1/namespaces/ns/pods/p", [](const UnixHttpRequest&) {
    return UnixHttpReply{200, kPodJson};
  });
  Result<KubeAccess> access = ConnectThroughDaemon(Borrow(daemon), kSocket, RetryPolicy{});
  ASSERT_TRUE(access.ok()) << access.status().msg();
  Result<std::optional<Pod>> pod = access->client->GetPod("ns", "p");
  ASSERT_TRUE(pod.ok()) << pod.status().msg();
  ASSERT_TRUE(pod->has_value());
  EXPECT_EQ((*pod)->uid, "u-1");
  EXPECT_EQ((*pod)->annotations.at("k8s.v1.cni.cncf.io/networks"), "net1");
  ASSERT_EQ(daemon.requests.size(), 2u);
  EXPECT_EQ(daemon.requests[0].path, "/fastpath/v1/readyz");
  EXPECT_EQ(daemon.requests[1].method, "GET");
  EXPECT_EQ(daemon.requests[1].socket_path, kSocket);
}

TEST(DaemonFastPathTest, WritesGoToTheDaemonWithTheirBodies) {
  FakeDaemon daemon;
  Result<KubeAccess> access = ConnectThroughDaemon(Borrow(daemon), kSocket, RetryPolicy{});
  ASSERT_TRUE(access.ok());
  ASSERT_TRUE(access->client->SetPodAnnotation("ns", "p", "k", "v").ok());
  ASSERT_EQ(daemon.requests.size(), 2u);
  EXPECT_EQ(daemon.requests[1].method, "PATCH");
  EXPECT_EQ(daemon.requests[1].path, "/fastpath/v1/api/v1/namespaces/ns/pods/p/status");
  EXPECT_NE(daemon.requests[1].body.find("\"k\":\"v\""), std::string::npos)
      << daemon.requests[1].body;
}

TEST(DaemonFastPathTest, WritesWaitForTheDaemonsOwnBudgetReadsOnlyForOneRequest) {
  FakeDaemon daemon;
  daemon.On("/fastpath/v1/api/v1/namespaces/ns/pods/p", [](const UnixHttpRequest&) {
    return UnixHttpReply{200, kPodJson};
  });
  Result<KubeAccess> access = ConnectThroughDaemon(Borrow(daemon), kSocket, RetryPolicy{});
  ASSERT_TRUE(access.ok());
  ASSERT_TRUE(access->client->GetPod("ns", "p").ok());
  ASSERT_TRUE(access->client->SetPodAnnotation("ns", "p", "k", "v").ok());
  ASSERT_EQ(daemon.requests.size(), 3u);
  EXPECT_LE(daemon.requests[1].timeout, RetryPolicy{}.request_timeout);
  EXPECT_EQ(daemon.requests[2].method, "PATCH");
  EXPECT_EQ(daemon.requests[2].timeout, kFastPathWriteWait);
  EXPECT_GT(kFastPathWriteWait, RetryPolicy{}.total_budget);
}

TEST(DaemonFastPathTest, ADaemonThatIsNotReadyIsNotUsed) {
  FakeDaemon daemon;
  daemon.On("/fastpath/v1/readyz", [](const UnixHttpRequest&) { return UnixHttpReply{503, ""}; });
  Result<KubeAccess> access = ConnectThroughDaemon(Borrow(daemon), kSocket, RetryPolicy{});
  ASSERT_FALSE(access.ok());
  EXPECT_EQ(access.status().code(), code::kTryAgainLater);
  EXPECT_NE(access.status().msg().find("not ready (HTTP 503)"), std::string::npos);
}

TEST(DaemonFastPathTest, NoDaemonIsCode11) {
  FakeDaemon daemon;
  daemon.GoAway();
  Result<KubeAccess> access = ConnectThroughDaemon(Borrow(daemon), kSocket, RetryPolicy{});
  ASSERT_FALSE(access.ok());
  EXPECT_EQ(access.status().code(), code::kTryAgainLater);
}

TEST(DaemonFastPathTest, ADaemonGoneAfterConnectIsNothingAnsweringNotARetryLoop) {
  FakeDaemon daemon;
  Result<KubeAccess> access = ConnectThroughDaemon(Borrow(daemon), kSocket, RetryPolicy{});
  ASSERT_TRUE(access.ok());
  daemon.GoAway();
  Result<std::optional<Pod>> pod = access->client->GetPod("ns", "p");
  ASSERT_FALSE(pod.ok());
  EXPECT_EQ(pod.status().code(), code::kTryAgainLater);
  EXPECT_NE(pod.status().details().find("unix:/run/multus/multus.sock"), std::string::npos)
      << pod.status().details();
  EXPECT_EQ(daemon.requests.size(), 2u);  // readyz and the GET: no retry
}

}  // namespace
}  // namespace multus
