// Netlink (libmnl) in the pod's netns: the only file that changes routes.
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <arpa/inet.h>

#include <libmnl/libmnl.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "multus/default_route.h"
#include "multus/netns.h"

namespace multus {
namespace {

Status NetlinkError(const std::string& what) {
  return Status(code::kIoFailure, what + ": " + strerror(errno));
}

class RouteSocket {
 public:
  ~RouteSocket() {
    if (socket_ != nullptr) mnl_socket_close(socket_);
  }
  Status Open() {
    socket_ = mnl_socket_open(NETLINK_ROUTE);
    if (socket_ == nullptr || mnl_socket_bind(socket_, 0, MNL_SOCKET_AUTOPID) < 0) {
      return NetlinkError("netlink socket");
    }
    port_ = mnl_socket_get_portid(socket_);
    return OkStatus();
  }

  // Sends one request and runs `callback` over every answer until done or acked.
  Status Exchange(nlmsghdr* request, mnl_cb_t callback, void* data) {
    request->nlmsg_seq = ++seq_;
    if (mnl_socket_sendto(socket_, request, request->nlmsg_len) < 0) return NetlinkError("netlink send");
    std::vector<char> buffer(MNL_SOCKET_BUFFER_SIZE);
    int ret = MNL_CB_OK;
    while (ret > MNL_CB_STOP) {
      ssize_t n = mnl_socket_recvfrom(socket_, buffer.data(), buffer.size());
      if (n < 0) return NetlinkError("netlink receive");
      ret = mnl_cb_run(buffer.data(), n, seq_, port_, callback, data);
    }
    if (ret < 0) return NetlinkError("netlink");
    return OkStatus();
  }

 private:
  mnl_socket* socket_ = nullptr;
  unsigned port_ = 0;
  unsigned seq_ = 0;
};

struct DefaultRoutes {
  std::vector<std::vector<char>> messages;  // copies of RTM_NEWROUTE dumps to delete
};

int CollectDefault(const nlmsghdr* message, void* data) {
  auto* route = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(message));
  if (route->rtm_dst_len == 0 && route->rtm_table == RT_TABLE_MAIN && route->rtm_type == RTN_UNICAST) {
    const char* bytes = reinterpret_cast<const char*>(message);
    static_cast<DefaultRoutes*>(data)->messages.emplace_back(bytes, bytes + message->nlmsg_len);
  }
  return MNL_CB_OK;
}

Status DeleteDefaults(RouteSocket& socket, int family) {
  std::vector<char> buffer(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* request = mnl_nlmsg_put_header(buffer.data());
  request->nlmsg_type = RTM_GETROUTE;
  request->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  auto* route = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(request, sizeof(rtmsg)));
  route->rtm_family = static_cast<unsigned char>(family);
  DefaultRoutes found;
  RETURN_IF_ERROR(socket.Exchange(request, CollectDefault, &found));
  for (std::vector<char>& message : found.messages) {
    auto* header = reinterpret_cast<nlmsghdr*>(message.data());
    header->nlmsg_type = RTM_DELROUTE;
    header->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    Status deleted = socket.Exchange(header, nullptr, nullptr);
    if (!deleted.ok() && errno != ESRCH) return deleted;
  }
  return OkStatus();
}

Status AddDefault(RouteSocket& socket, const GatewayRequest& request) {
  int family = request.ipv6 ? AF_INET6 : AF_INET;
  unsigned char gateway[16];
  if (inet_pton(family, request.gateway.c_str(), gateway) != 1) {
    return Status(code::kInvalidConfig, "default-route: bad gateway " + request.gateway);
  }
  unsigned index = if_nametoindex(request.ifname.c_str());
  if (index == 0) return NetlinkError("default-route: interface " + request.ifname);
  std::vector<char> buffer(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* message = mnl_nlmsg_put_header(buffer.data());
  message->nlmsg_type = RTM_NEWROUTE;
  message->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK;
  auto* route = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(message, sizeof(rtmsg)));
  route->rtm_family = static_cast<unsigned char>(family);
  route->rtm_table = RT_TABLE_MAIN;
  route->rtm_protocol = RTPROT_BOOT;
  route->rtm_scope = RT_SCOPE_UNIVERSE;
  route->rtm_type = RTN_UNICAST;
  mnl_attr_put(message, RTA_GATEWAY, request.ipv6 ? 16 : 4, gateway);
  mnl_attr_put_u32(message, RTA_OIF, index);
  Status added = socket.Exchange(message, nullptr, nullptr);
  return added.ok() ? added
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

Status ApplyDefaultRoutes(const std::string& netns_path, const std::vector<GatewayRequest>& requests) {
  if (requests.empty()) return OkStatus();
  return RunInNetns(netns_path, [&requests] { return ApplyInCurrentNetns(requests); });
}

}  // namespace multus
