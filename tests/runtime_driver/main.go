// runtime-driver drives CNI plugins the way containerd's CRI plugin does for a pod sandbox:
// through github.com/containerd/go-cni on top of libcni (github.com/containernetworking/cni).
// It is a test tool for multus-cpp's end-to-end tests (tests/e2e/test_runtime_driver.py);
// see README.md next to it.
//
//	runtime-driver setup|check|remove|status --conf-dir D --bin-dir B[:B2...] --netns P \
//	    --id CID --pod-name N --pod-namespace NS --pod-uid U \
//	    [--port-mapping hostPort:containerPort[/proto][@hostIP]]... \
//	    [--bandwidth ingressBitsPerSec,egressBitsPerSec] [--annotation k=v]... \
//	    [--cache-dir C] [--serially] [--timeout 120s]
//
// setup prints the go-cni Result as JSON on stdout; status prints the loaded networks;
// check and remove print nothing. Errors go to stderr, with exit status 1 (2 for bad usage).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	gocni "github.com/containerd/go-cni"
	cnilibrary "github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
	types100 "github.com/containernetworking/cni/pkg/types/100"
)

// The capability key under which containerd (1.6+) offers the pod's annotations.
const podAnnotationsCapability = "io.kubernetes.cri.pod-annotations"

type portMappings []gocni.PortMapping

func (p *portMappings) String() string { return fmt.Sprint(*p) }

// Set parses hostPort:containerPort[/proto][@hostIP], e.g. 8080:80/tcp or 5353:53/udp@10.0.0.1.
func (p *portMappings) Set(v string) error {
	spec, hostIP := v, ""
	if i := strings.LastIndex(spec, "@"); i >= 0 {
		spec, hostIP = spec[:i], spec[i+1:]
		if net.ParseIP(hostIP) == nil {
			return fmt.Errorf("bad host IP %q", hostIP)
		}
	}
	proto := "tcp"
	if i := strings.Index(spec, "/"); i >= 0 {
		spec, proto = spec[:i], spec[i+1:]
	}
	ports := strings.Split(spec, ":")
	if len(ports) != 2 {
		return fmt.Errorf("want hostPort:containerPort[/proto][@hostIP], got %q", v)
	}
	host, err := strconv.ParseInt(ports[0], 10, 32)
	if err != nil {
		return fmt.Errorf("bad host port %q: %v", ports[0], err)
	}
	cont, err := strconv.ParseInt(ports[1], 10, 32)
	if err != nil {
		return fmt.Errorf("bad container port %q: %v", ports[1], err)
	}
	// As containerd's toCNIPortMappings: the protocol is lower-cased.
	*p = append(*p, gocni.PortMapping{
		HostPort:      int32(host),
		ContainerPort: int32(cont),
		Protocol:      strings.ToLower(proto),
		HostIP:        hostIP,
	})
	return nil
}

type annotations map[string]string

func (a annotations) String() string { return fmt.Sprint(map[string]string(a)) }

func (a annotations) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("want key=value, got %q", v)
	}
	a[k] = val
	return nil
}

type options struct {
	confDir      string
	binDirs      string
	netns        string
	id           string
	podName      string
	podNamespace string
	podUID       string
	ports        portMappings
	bandwidth    string
	annotations  annotations
	cacheDir     string
	serially     bool
	timeout      time.Duration
	maxConfNum   int
}

func usage(fs *flag.FlagSet) {
	fmt.Fprintf(os.Stderr, "usage: %s setup|check|remove|status [flags]\n", os.Args[0])
	if fs != nil {
		fs.PrintDefaults()
	}
}

func parse(cmd string, args []string) (*options, error) {
	o := &options{annotations: annotations{}}
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.StringVar(&o.confDir, "conf-dir", gocni.DefaultNetDir, "CNI config directory (the first file in lexical order is the pod network)")
	fs.StringVar(&o.binDirs, "bin-dir", gocni.DefaultCNIDir, "plugin directories, ':'-separated")
	fs.StringVar(&o.netns, "netns", "", "path of the pod's network namespace")
	fs.StringVar(&o.id, "id", "", "sandbox (container) ID")
	fs.StringVar(&o.podName, "pod-name", "", "K8S_POD_NAME")
	fs.StringVar(&o.podNamespace, "pod-namespace", "", "K8S_POD_NAMESPACE")
	fs.StringVar(&o.podUID, "pod-uid", "", "K8S_POD_UID")
	fs.Var(&o.ports, "port-mapping", "hostPort:containerPort[/proto][@hostIP] (repeatable): the portMappings capability")
	fs.StringVar(&o.bandwidth, "bandwidth", "", "ingressRate,egressRate in bit/s (0 or empty: no limit): the bandwidth capability")
	fs.Var(o.annotations, "annotation", "pod annotation key=value (repeatable): the "+podAnnotationsCapability+" capability")
	fs.StringVar(&o.cacheDir, "cache-dir", "", "libcni's cache directory (default: libcni's, "+cnilibrary.CacheDir+")")
	fs.BoolVar(&o.serially, "serially", false, "attach the networks one after the other (containerd's network_plugin_setup_serially)")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "deadline of the whole operation")
	fs.IntVar(&o.maxConfNum, "max-conf-num", gocni.DefaultMaxConfNum, "how many files of conf-dir to load (containerd's max_conf_num)")
	fs.Usage = func() { usage(fs) }
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() != 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if cmd != "status" && o.id == "" {
		return nil, errors.New("--id is required")
	}
	return o, nil
}

// newCNI builds and loads the CNI instance as containerd's CRI plugin does (cni.New with the
// plugin and conf dirs, then Load(WithLoNetwork, WithDefaultConf)).
func newCNI(o *options, withLo bool) (gocni.CNI, error) {
	if o.cacheDir != "" {
		cnilibrary.CacheDir = o.cacheDir
	}
	var dirs []string
	for _, d := range strings.Split(o.binDirs, ":") {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	minNetworks := 1 // the pod network
	if withLo {
		minNetworks = 2 // containerd: loopback + the pod network
	}
	c, err := gocni.New(
		gocni.WithMinNetworkCount(minNetworks),
		gocni.WithPluginConfDir(o.confDir),
		gocni.WithPluginMaxConfNum(o.maxConfNum),
		gocni.WithPluginDir(dirs),
		gocni.WithInterfacePrefix(gocni.DefaultPrefix),
	)
	if err != nil {
		return nil, fmt.Errorf("failed to initialize cni: %w", err)
	}
	loadOpts := []gocni.Opt{gocni.WithDefaultConf}
	if withLo {
		loadOpts = []gocni.Opt{gocni.WithLoNetwork, gocni.WithDefaultConf}
	}
	if err := c.Load(loadOpts...); err != nil {
		return nil, err
	}
	return c, nil
}

// namespaceOpts mirrors containerd's cniNamespaceOpts: the K8S_* labels, the pod annotations,
// and the port mappings and bandwidth only when there are some.
func namespaceOpts(o *options) ([]gocni.NamespaceOpts, error) {
	labels := map[string]string{
		"K8S_POD_NAMESPACE":          o.podNamespace,
		"K8S_POD_NAME":               o.podName,
		"K8S_POD_INFRA_CONTAINER_ID": o.id,
		"K8S_POD_UID":                o.podUID,
		"IgnoreUnknown":              "1",
	}
	opts := []gocni.NamespaceOpts{
		gocni.WithLabels(labels),
		gocni.WithCapability(podAnnotationsCapability, map[string]string(o.annotations)),
	}
	var ports []gocni.PortMapping
	for _, p := range o.ports {
		if p.HostPort <= 0 { // containerd skips mappings without a host port
			continue
		}
		ports = append(ports, p)
	}
	if len(ports) > 0 {
		opts = append(opts, gocni.WithCapabilityPortMap(ports))
	}
	if o.bandwidth != "" {
		parts := strings.Split(o.bandwidth, ",")
		if len(parts) != 2 {
			return nil, fmt.Errorf("--bandwidth wants ingress,egress, got %q", o.bandwidth)
		}
		var rates [2]uint64
		for i, s := range parts {
			if s == "" {
				continue
			}
			v, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("bad rate %q: %v", s, err)
			}
			rates[i] = v
		}
		// As containerd's toCNIBandWidth: a set rate comes with a burst of MaxUint32.
		bw := gocni.BandWidth{}
		if rates[0] > 0 {
			bw.IngressRate, bw.IngressBurst = rates[0], math.MaxUint32
		}
		if rates[1] > 0 {
			bw.EgressRate, bw.EgressBurst = rates[1], math.MaxUint32
		}
		if rates[0] > 0 || rates[1] > 0 {
			opts = append(opts, gocni.WithCapabilityBandWidth(bw))
		}
	}
	return opts, nil
}

type ipConfig struct {
	IP      string `json:"ip"`
	Gateway string `json:"gateway,omitempty"`
}

type ifaceConfig struct {
	IPConfigs []ipConfig `json:"ipConfigs"`
	Mac       string     `json:"mac,omitempty"`
	Sandbox   string     `json:"sandbox,omitempty"`
}

type setupOutput struct {
	// Interfaces is go-cni's Result.Interfaces: every interface of every network's result,
	// with the IPs attached to it (an IP without an interface index goes to eth0).
	Interfaces map[string]ifaceConfig `json:"interfaces"`
	DNS        []types.DNS            `json:"dns"`
	Routes     []*types.Route         `json:"routes"`
	// PodIPs are the IPs containerd reports for the pod: those of the default interface.
	PodIPs []string `json:"podIPs"`
	// Raw holds each network's result (loopback first), converted by go-cni to CNI 1.0.0.
	Raw []*types100.Result `json:"raw"`
}

func ipString(ip net.IP) string {
	if ip == nil {
		return ""
	}
	return ip.String()
}

func toOutput(r *gocni.Result) setupOutput {
	out := setupOutput{Interfaces: map[string]ifaceConfig{}, DNS: r.DNS, Routes: r.Routes, Raw: r.Raw()}
	for name, cfg := range r.Interfaces {
		ic := ifaceConfig{IPConfigs: []ipConfig{}, Mac: cfg.Mac, Sandbox: cfg.Sandbox}
		for _, ipc := range cfg.IPConfigs {
			ic.IPConfigs = append(ic.IPConfigs, ipConfig{IP: ipString(ipc.IP), Gateway: ipString(ipc.Gateway)})
		}
		out.Interfaces[name] = ic
	}
	out.PodIPs = []string{}
	if def, ok := out.Interfaces[gocni.DefaultPrefix+"0"]; ok {
		for _, ipc := range def.IPConfigs {
			out.PodIPs = append(out.PodIPs, ipc.IP)
		}
	}
	if out.DNS == nil {
		out.DNS = []types.DNS{}
	}
	if out.Routes == nil {
		out.Routes = []*types.Route{}
	}
	return out
}

type statusNetwork struct {
	Name       string   `json:"name"`
	CNIVersion string   `json:"cniVersion"`
	IfName     string   `json:"ifName"`
	Plugins    []string `json:"plugins"`
}

type statusOutput struct {
	PluginDirs []string        `json:"pluginDirs"`
	ConfDir    string          `json:"confDir"`
	Networks   []statusNetwork `json:"networks"`
}

func printJSON(v interface{}) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func describeError(err error) string {
	msg := err.Error()
	var cniErr *types.Error
	if errors.As(err, &cniErr) {
		msg += fmt.Sprintf(" [CNI error code %d]", cniErr.Code)
	}
	return msg
}

func run(cmd string, o *options) error {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()

	// libcni refuses CHECK for a list older than 0.4.0, and go-cni's loopback list is 0.3.1:
	// CHECK therefore runs on the pod network only.
	c, err := newCNI(o, cmd != "check")
	if err != nil {
		return err
	}
	if err := c.Status(); err != nil {
		return fmt.Errorf("cni status: %w", err)
	}
	if cmd == "status" {
		cfg := c.GetConfig()
		out := statusOutput{PluginDirs: cfg.PluginDirs, ConfDir: cfg.PluginConfDir, Networks: []statusNetwork{}}
		for _, n := range cfg.Networks {
			sn := statusNetwork{Name: n.Config.Name, CNIVersion: n.Config.CNIVersion, IfName: n.IFName, Plugins: []string{}}
			for _, p := range n.Config.Plugins {
				sn.Plugins = append(sn.Plugins, p.Network.Type)
			}
			out.Networks = append(out.Networks, sn)
		}
		return printJSON(out)
	}
	opts, err := namespaceOpts(o)
	if err != nil {
		return err
	}
	switch cmd {
	case "setup":
		var res *gocni.Result
		if o.serially {
			res, err = c.SetupSerially(ctx, o.id, o.netns, opts...)
		} else {
			res, err = c.Setup(ctx, o.id, o.netns, opts...)
		}
		if err != nil {
			return fmt.Errorf("failed to setup network for sandbox %q: %w", o.id, err)
		}
		return printJSON(toOutput(res))
	case "check":
		if err := c.Check(ctx, o.id, o.netns, opts...); err != nil {
			return fmt.Errorf("failed to check network for sandbox %q: %w", o.id, err)
		}
		return nil
	case "remove":
		if err := c.Remove(ctx, o.id, o.netns, opts...); err != nil {
			return fmt.Errorf("failed to destroy network for sandbox %q: %w", o.id, err)
		}
		return nil
	}
	return fmt.Errorf("unknown command %q", cmd)
}

func main() {
	if len(os.Args) < 2 {
		usage(nil)
		os.Exit(2)
	}
	cmd := os.Args[1]
	switch cmd {
	case "setup", "check", "remove", "status":
	case "-h", "--help", "help":
		usage(nil)
		os.Exit(0)
	default:
		fmt.Fprintf(os.Stderr, "runtime-driver: unknown command %q\n", cmd)
		usage(nil)
		os.Exit(2)
	}
	o, err := parse(cmd, os.Args[2:])
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(os.Stderr, "runtime-driver %s: %v\n", cmd, err)
		}
		os.Exit(2)
	}
	if err := run(cmd, o); err != nil {
		fmt.Fprintf(os.Stderr, "runtime-driver %s: %s\n", cmd, describeError(err))
		os.Exit(1)
	}
}
