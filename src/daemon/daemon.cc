#include "daemon.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "cni_server.h"
#include "config_writer.h"
#include "daemon_config.h"
#include "event_loop.h"
#include "hotplug_runner.h"
#include "http_server.h"
#include "kube_provider.h"
#include "metrics.h"
#include "multus/executor.h"
#include "multus/file_io.h"
#include "multus/log.h"
#include "timed_executor.h"

#ifndef MULTUS_VERSION
#define MULTUS_VERSION "dev"
#endif

namespace multus::daemon {
namespace {

using install::EventLoop;
using std::chrono::milliseconds;

constexpr int kResyncMs = 30000;
constexpr milliseconds kReadinessWait{45000};

struct Flags {
  std::string config_path = std::string(kDefaultConfigPath);
  bool uninstall = false;
  bool help = false;
  bool version = false;
};

const char kUsage[] =
    "Usage: multus-daemon [-config <daemon-config.json>] [--uninstall]\n"
    "\n"
    "Serves multus-shim's CNI calls on <socketDir>/multus.sock and keeps the multus config\n"
    "(00-multus.conf) in <cniConfigDir>. SIGTERM/SIGINT drain the calls in flight and stop.\n"
    "\n"
    "  -config, --config <path>  daemon config (default "
    "/etc/cni/net.d/multus.d/daemon-config.json)\n"
    "  --uninstall               remove the multus config this daemon writes, and exit\n"
    "  -h, --help                print this help and exit\n"
    "  -v, --version             print the version and exit\n";

Result<Flags> ParseFlags(const std::vector<std::string>& args) {
  Flags flags;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    std::string value;
    bool has_value = false;
    if (size_t eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    if (arg == "-config" || arg == "--config") {
      if (!has_value) {
        if (i + 1 >= args.size()) return Status::InvalidConfig(arg + " needs a path");
        value = args[++i];
      }
      flags.config_path = value;
    } else if ((arg == "--uninstall" || arg == "-uninstall") && !has_value) {
      flags.uninstall = true;
    } else if ((arg == "-h" || arg == "-help" || arg == "--help") && !has_value) {
      flags.help = true;
    } else if ((arg == "-v" || arg == "-version" || arg == "--version") && !has_value) {
      flags.version = true;
    } else {
      return Status::InvalidConfig("unknown flag " + args[i], "see multus-daemon --help");
    }
  }
  return flags;
}

int Fatal(const Status& status) {
  log::Error("{}{}{}", status.msg(), status.details().empty() ? "" : ": ", status.details());
  log::Flush();
  return kExitFatal;
}

void WarnAboutUnsupported(const DaemonConfig& config) {
  if (config.enable_pprof) log::Warning("enablePprof is accepted and ignored (no pprof in C++)");
  if (config.per_node_certificate) {
    log::Error(
        "perNodeCertificate is not supported: using the kubeconfig or in-cluster "
        "credentials instead");
  }
}

// Upstream waits for the cluster network before serving. False on timeout or signal.
bool WaitForReadinessFile(const std::string& path, EventLoop& loop) {
  if (path.empty()) return true;
  struct stat info;
  for (milliseconds waited{0}; stat(path.c_str(), &info) != 0; waited += milliseconds(1000)) {
    if (waited >= kReadinessWait) {
      log::Error("readinessindicatorfile {} did not appear within {} s", path,
                 kReadinessWait.count() / 1000);
      return false;
    }
    if (loop.Wait(1000) == EventLoop::Wake::kSignal) return false;
  }
  return true;
}

std::string SocketPath(const DaemonConfig& config) {
  std::string dir = config.socket_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir + "/multus.sock";
}

Result<int> ListenOnSocketDir(const DaemonConfig& config) {
  std::string dir = SocketPath(config);
  dir.resize(dir.rfind('/'));
  RETURN_IF_ERROR(MakeDirs(dir, 0700, LeafSymlink::kFollow));
  if (chmod(dir.c_str(), 0700) != 0) return Status::IoFailure("cannot chmod 0700 " + dir);
  return ListenUnix(SocketPath(config));
}

// Keeps the multus config until a signal; the caller drains.
void WatchConfig(const DaemonConfig& config, EventLoop& loop) {
  ConfigWriter writer(config);
  loop.SetDirectories(writer.WatchDirectories());
  std::string last_error;
  for (;;) {
    Status status = writer.Sync();
    std::string error = status.ok() ? "" : status.msg();
    if (!error.empty() && error != last_error) log::Error("multus config: {}; will retry", error);
    last_error = error;
    if (loop.Wait(kResyncMs) == EventLoop::Wake::kSignal) return;
  }
}

void AddCacheGauges(const WatchCache& cache, Metrics& metrics) {
  auto one = [](double value) { return std::vector<Metrics::Sample>{{"", value}}; };
  auto both = [](ReflectorStats pods, ReflectorStats nads, uint64_t ReflectorStats::*field) {
    return std::vector<Metrics::Sample>{{"kind=\"pods\"", static_cast<double>(pods.*field)},
                                        {"kind=\"nads\"", static_cast<double>(nads.*field)}};
  };
  metrics.AddGauge("multus_cache_pods", "Pods of this node in the watch cache.",
                   [&cache, one] { return one(static_cast<double>(cache.pods().size())); });
  metrics.AddGauge("multus_cache_nads", "NetworkAttachmentDefinitions in the watch cache.",
                   [&cache, one] { return one(static_cast<double>(cache.nads().size())); });
  metrics.AddGauge("multus_cache_relists", "Relists of the watch cache (410 Gone, errors).",
                   [&cache, both] {
                     return both(cache.pod_stats(), cache.nad_stats(), &ReflectorStats::relists);
                   });
  metrics.AddGauge("multus_cache_api_errors", "Failed list or watch requests of the cache.",
                   [&cache, both] {
                     return both(cache.pod_stats(), cache.nad_stats(), &ReflectorStats::api_errors);
                   });
}

// chrootDir: the plugins run in the host's root (mounted in the daemon's container), started
// through this binary (posix_spawn cannot chroot).
Result<ExecRoot> PluginRoot(const DaemonConfig& config) {
  if (config.chroot_dir.empty()) return ExecRoot{};
  if (!IsDirectory(config.chroot_dir)) {
    return Status::InvalidConfig("chrootDir " + config.chroot_dir + " is not a directory");
  }
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return Status::IoFailure("cannot find multus-daemon's own binary (/proc/self/exe)");
  log::Verbose("plugins run chrooted into {}", config.chroot_dir);
  return ExecRoot{config.chroot_dir, std::string(self, static_cast<size_t>(n))};
}

int Serve(const DaemonConfig& config, const EnvMap& env, EventLoop& loop) {
  Metrics metrics;
  CniServerOptions options;
  options.workers = static_cast<size_t>(config.Workers());
  options.queue_length = static_cast<size_t>(config.QueueLength());
  options.request_timeout = config.request_timeout;
  options.overrides = config.overrides;
  std::unique_ptr<KubeBackend> kube =
      KubeBackend::Create(config, env, [&metrics] { metrics.CountApiRetry(); });
  Result<ExecRoot> root = PluginRoot(config);
  if (!root.ok()) return Fatal(root.status());
  // One executor for /cni and /delegate: chrootDir, exec timeouts and delegate metrics alike.
  std::shared_ptr<Executor> executor = MakeTimedExecutor(MakeProcessExecutor(*root), metrics);
  CniServer cni(options, MakeCniRunner(kube->Connector(), env, executor), metrics);
  cni.ServeHotplug(MakeHotplugRunner(config, kube->Connector(), env, executor));
  std::unique_ptr<FastPathServer> fast_path;
  if (KubeApi* api = kube->cached_api()) {
    fast_path = std::make_unique<FastPathServer>(*api, [&kube] { return kube->synced(); });
    cni.ServeFastPath(fast_path.get());
    AddCacheGauges(*kube->cache(), metrics);
  }

  Result<int> socket_fd = ListenOnSocketDir(config);
  if (!socket_fd.ok()) return Fatal(socket_fd.status());
  HttpServer::Options http_options;
  http_options.max_connections = options.workers + options.queue_length + 16;
  HttpServer socket_server(
      *socket_fd, [&cni](const HttpRequest& r) { return cni.Handle(r); }, http_options);
  std::unique_ptr<HttpServer> metrics_server;
  if (config.metrics_port > 0) {
    Result<int> metrics_fd = ListenTcp(config.metrics_port);
    if (!metrics_fd.ok()) return Fatal(metrics_fd.status());
    metrics_server = std::make_unique<HttpServer>(
        *metrics_fd,
        [&metrics, &cni](const HttpRequest& r) {
          // /healthz and /readyz here too: kubelet's httpGet probes cannot reach a unix socket.
          if (r.path == "/healthz") return HttpResponse{200, "", "text/plain"};
          if (r.path == "/readyz") return HttpResponse{ReadyzStatus(cni.state()), "", "text/plain"};
          if (r.path != "/metrics") return HttpResponse{404, "not found\n", "text/plain"};
          return HttpResponse{200, metrics.Render(), "text/plain; version=0.0.4"};
        },
        HttpServer::Options{});
    metrics_server->Start();
  }
  socket_server.Start();
  log::Verbose("multus-daemon {} serving {} ({} workers, {} waiting at most)", MULTUS_VERSION,
               SocketPath(config), options.workers, options.queue_length);

  WatchConfig(config, loop);

  log::Verbose("signal {}: draining (at most {} s); 00-multus.conf stays", loop.last_signal(),
               config.shutdown_grace.count());
  cni.BeginDrain();
  bool drained = cni.WaitIdle(config.shutdown_grace);
  if (!drained)
    log::Error("CNI calls still running after {} s; exiting", config.shutdown_grace.count());
  bool closed = socket_server.Stop(milliseconds(1000));
  if (metrics_server) closed = metrics_server->Stop(milliseconds(1000)) && closed;
  unlink(SocketPath(config).c_str());
  log::Verbose("multus-daemon stopped");
  log::Flush();
  // Threads still inside a call must not run into the destructors of what they use.
  if (!drained || !closed) _exit(kExitOk);
  return kExitOk;
}

}  // namespace

int Run(const std::vector<std::string>& args, const EnvMap& env) {
  Result<Flags> flags = ParseFlags(args);
  if (!flags.ok()) return Fatal(flags.status());
  if (flags->help) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (flags->version) {
    std::printf("multus-daemon: version:%s\n", MULTUS_VERSION);
    return kExitOk;
  }
  Result<std::string> text = ReadFile(flags->config_path);
  if (!text.ok()) return Fatal(text.status());
  Result<DaemonConfig> config = ParseDaemonConfig(*text);
  if (!config.ok()) return Fatal(config.status().Prefixed(flags->config_path));
  log::Configure(config->log);  // once, for the whole process: requests never reconfigure it
  WarnAboutUnsupported(*config);
  if (flags->uninstall) {
    Status removed = ConfigWriter(*config).Uninstall();
    return removed.ok() ? kExitOk : Fatal(removed);
  }
  // Before any thread starts: the signals are read from the loop's signalfd, by this thread.
  Result<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
  if (!loop.ok()) return Fatal(loop.status());
  if (!WaitForReadinessFile(config->readiness_indicator_file, **loop)) {
    return (*loop)->last_signal() != 0 ? kExitOk : kExitFatal;
  }
  return Serve(*config, env, **loop);
}

}  // namespace multus::daemon
