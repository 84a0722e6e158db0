// rtnetlink in the pod's netns: the only file that changes routes. Written against the
// kernel's UAPI headers alone: libmnl has no static archive in Debian (and its source is not
// in every mirror), and libnl's archive pulls in getaddrinfo/getprotobyname, i.e. glibc's
// NSS, which a static binary must never load.
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "multus/default_route.h"
#include "multus/netns.h"

namespace multus {
namespace {

constexpr size_t kBufferSize = 32768;

Status NetlinkError(const std::string& what, int error) {
  return Status::IoFailure(what + ": " + strerror(error));
}

// A netlink message under construction: header, rtmsg, then attributes.
class RouteMessage {
 public:
  RouteMessage(uint16_t type, uint16_t flags, int family) : bytes_(NLMSG_SPACE(sizeof(rtmsg))) {
    header()->nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
    header()->nlmsg_type = type;
    header()->nlmsg_flags = flags;
    route()->rtm_family = static_cast<unsigned char>(family);
  }
  nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(bytes_.data()); }
  rtmsg* route() { return static_cast<rtmsg*>(NLMSG_DATA(header())); }
  void AddAttribute(uint16_t type, const void* data, size_t size) {
    size_t offset = NLMSG_ALIGN(header()->nlmsg_len);
    bytes_.resize(offset + RTA_SPACE(size));
    auto* attribute = reinterpret_cast<rtattr*>(bytes_.data() + offset);
    attribute->rta_type = type;
    attribute->rta_len = static_cast<unsigned short>(RTA_LENGTH(size));
    std::memcpy(RTA_DATA(attribute), data, size);
    header()->nlmsg_len = static_cast<uint32_t>(offset + RTA_SPACE(size));
  }

 private:
  std::vector<char> bytes_;
};

class RouteSocket {
 public:
  ~RouteSocket() {
    if (fd_ >= 0) close(fd_);
  }
  Status Open() {
    fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd_ < 0) return NetlinkError("netlink socket", errno);
    return OkStatus();
  }

  // Sends one request and hands every answer of it to `on_message` until the dump is done or
  // the request acked. A kernel error answer becomes code 5 with its errno in `*error`.
  template <typename OnMessage>
  Status Exchange(nlmsghdr* request, OnMessage on_message, int* error = nullptr) {
    request->nlmsg_seq = ++seq_;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (sendto(fd_, request, request->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof(kernel)) < 0) {
      return NetlinkError("netlink send", errno);
    }
    std::vector<char> buffer(kBufferSize);
    for (;;) {
      ssize_t n = recv(fd_, buffer.data(), buffer.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return NetlinkError("netlink receive", errno);
      auto* message = reinterpret_cast<nlmsghdr*>(buffer.data());
      for (auto left = static_cast<unsigned>(n); NLMSG_OK(message, left);
           message = NLMSG_NEXT(message, left)) {
        if (message->nlmsg_seq != seq_) continue;  // a late answer to an earlier request
        if (message->nlmsg_type == NLMSG_DONE) return OkStatus();
        if (message->nlmsg_type == NLMSG_ERROR) {
          int code = -static_cast<const nlmsgerr*>(NLMSG_DATA(message))->error;
          if (code == 0) return OkStatus();  // the ack
          if (error != nullptr) *error = code;
          return NetlinkError("netlink", code);
        }
        on_message(message);
      }
    }
  }

 private:
  int fd_ = -1;
  unsigned seq_ = 0;
};

void IgnoreAnswer(const nlmsghdr*) {}

Status DeleteDefaults(RouteSocket& socket, int family) {
  RouteMessage dump(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, family);
  std::vector<std::vector<char>> defaults;  // copies of the main table's default routes
  RETURN_IF_ERROR(socket.Exchange(dump.header(), [&defaults](const nlmsghdr* message) {
    auto* route = static_cast<const rtmsg*>(NLMSG_DATA(message));
    if (message->nlmsg_type == RTM_NEWROUTE && route->rtm_dst_len == 0 &&
        route->rtm_table == RT_TABLE_MAIN && route->rtm_type == RTN_UNICAST) {
      const char* bytes = reinterpret_cast<const char*>(message);
      defaults.emplace_back(bytes, bytes + message->nlmsg_len);
    }
  }));
  for (std::vector<char>& message : defaults) {
    auto* header = reinterpret_cast<nlmsghdr*>(message.data());
    header->nlmsg_type = RTM_DELROUTE;
    header->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    int error = 0;
    Status deleted = socket.Exchange(header, IgnoreAnswer, &error);
    if (!deleted.ok() && error != ESRCH) return deleted;  // ESRCH: already gone
  }
  return OkStatus();
}

Status AddDefault(RouteSocket& socket, const GatewayRequest& request) {
  int family = request.ipv6 ? AF_INET6 : AF_INET;
  unsigned char gateway[16];
  if (inet_pton(family, request.gateway.c_str(), gateway) != 1) {
    return Status::InvalidConfig("default-route: bad gateway " + request.gateway);
  }
  uint32_t index = if_nametoindex(request.ifname.c_str());
  if (index == 0) return NetlinkError("default-route: interface " + request.ifname, errno);
  RouteMessage message(RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK,
                       family);
  rtmsg* route = message.route();
  route->rtm_table = RT_TABLE_MAIN;
  route->rtm_protocol = RTPROT_BOOT;
  route->rtm_scope = RT_SCOPE_UNIVERSE;
  route->rtm_type = RTN_UNICAST;
  message.AddAttribute(RTA_GATEWAY, gateway, request.ipv6 ? 16 : 4);
  message.AddAttribute(RTA_OIF, &index, sizeof(index));
  Status added = socket.Exchange(message.header(), IgnoreAnswer);
  return added.ok()
             ? added
             : added.Prefixed("default-route via " + request.gateway + " dev " + request.ifname);
}

Status ApplyInCurrentNetns(const std::vector<GatewayRequest>& requests) {
  RouteSocket socket;
  RETURN_IF_ERROR(socket.Open());
  for (const GatewayRequest& request : requests) {
    RETURN_IF_ERROR(DeleteDefaults(socket, request.ipv6 ? AF_INET6 : AF_INET));
  }
  for (const GatewayRequest& request : requests) RETURN_IF_ERROR(AddDefault(socket, request));
  return OkStatus();
}

}  // namespace

Status ApplyDefaultRoutes(const std::string& netns_path,
                          const std::vector<GatewayRequest>& requests) {
  if (requests.empty()) return OkStatus();
  return RunInNetns(netns_path, [&requests] { return ApplyInCurrentNetns(requests); });
}

}  // namespace multus
