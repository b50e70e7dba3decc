package harborsim

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// SiteOptions configure one site's Harbor: a distribution registry process
// and a simulator in front of it.
type SiteOptions struct {
	// Name names the site ("site-a"); it names the log and config files.
	Name string
	// RegistryBinary is distribution's registry (hack/build-testplane.sh
	// registry builds it as registry-v3.1.2 in the cache).
	RegistryBinary string
	// StateDir holds the registry's config, storage and log
	// (<StateDir>/<Name>-registry.yml, <Name>-registry/, <Name>-registry.log).
	StateDir string
	// AdminUsername and AdminPassword as in Options.
	AdminUsername, AdminPassword string
	// Users as in Options.
	Users []string
	// Version and AuthMode as in Options.
	Version, AuthMode string
	// Host is the loopback address to listen on; default 127.0.0.1.
	Host string
	// HarborAddr and RegistryAddr are host:port to listen on; empty picks
	// free ports on Host. A parent that starts the site in a child process
	// picks them itself so that it knows the URLs.
	HarborAddr, RegistryAddr string
	// StartTimeout bounds the wait for the registry; default 30s.
	StartTimeout time.Duration
	// VulnerabilityFile is the scanner's vulnerability list file (see
	// Options.VulnerabilityFile); default VulnerabilityFile(StateDir, Name).
	VulnerabilityFile string
}

// VulnerabilityFile is the default vulnerability list file of the site name
// in stateDir: add entries with AddVulnerabilities.
func VulnerabilityFile(stateDir, name string) string {
	return filepath.Join(stateDir, name+"-vulnerabilities.json")
}

// Site is a running Harbor: the simulator (API and /v2/) in front of a real
// registry.
type Site struct {
	Name string
	// URL is the Harbor URL (API below /api/v2.0, registry below /v2/, with
	// the admin's or a robot's credentials).
	URL string
	// RegistryURL is the registry itself, without authentication.
	RegistryURL string
	// Harbor is the simulator.
	Harbor *Instance
	// RegistryLog is the registry's log file.
	RegistryLog string

	cmd      *exec.Cmd
	exited   chan struct{}
	stopOnce sync.Once
}

// StartSite starts a distribution registry on a free loopback port (config
// written to the state dir, filesystem storage, no authentication, deletes
// enabled) and a Harbor simulator in front of it on another free port,
// replicating with OCIReplicator and learning about images pushed straight
// into the registry (SyncRegistry).
func StartSite(ctx context.Context, o SiteOptions) (*Site, error) {
	if o.Name == "" {
		return nil, errors.New("harbor site: empty name")
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = 30 * time.Second
	}
	if o.RegistryBinary == "" {
		return nil, fmt.Errorf("harbor site %s: no registry binary given (build it with hack/build-testplane.sh registry)", o.Name)
	}
	if st, err := os.Stat(o.RegistryBinary); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		return nil, fmt.Errorf("harbor site %s: registry binary %s is missing or not executable (build it with hack/build-testplane.sh registry)", o.Name, o.RegistryBinary)
	}
	if o.StateDir == "" {
		return nil, fmt.Errorf("harbor site %s: no state dir", o.Name)
	}
	storage := filepath.Join(o.StateDir, o.Name+"-registry")
	if err := os.MkdirAll(storage, 0o755); err != nil {
		return nil, err
	}
	site := &Site{Name: o.Name, RegistryLog: filepath.Join(o.StateDir, o.Name+"-registry.log")}
	// A port picked free can be taken before the registry binds it; try again then.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		addr := o.RegistryAddr
		if addr == "" {
			port, err := freeLoopbackPort(o.Host)
			if err != nil {
				return nil, err
			}
			addr = net.JoinHostPort(o.Host, strconv.Itoa(port))
		}
		if lastErr = site.startRegistry(ctx, o, storage, addr); lastErr == nil || o.RegistryAddr != "" {
			break
		}
	}
	if lastErr != nil {
		return nil, lastErr
	}
	harborAddr := o.HarborAddr
	if harborAddr == "" {
		harborAddr = net.JoinHostPort(o.Host, "0")
	}
	inst, err := Start(harborAddr, Options{
		AdminUsername: o.AdminUsername, AdminPassword: o.AdminPassword, Users: o.Users, Version: o.Version, AuthMode: o.AuthMode,
		Registry:   Endpoint{Name: "Local", Type: "harbor", URL: site.RegistryURL, Local: true},
		Replicator: &OCIReplicator{}, SyncRegistry: true,
		VulnerabilityFile: cmp.Or(o.VulnerabilityFile, VulnerabilityFile(o.StateDir, o.Name)),
	})
	if err != nil {
		site.StopRegistry()
		return nil, err
	}
	site.Harbor, site.URL = inst, inst.URL
	return site, nil
}

const registryConfig = `version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %q
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %q
  relativeurls: true
  secret: %q
`

func (site *Site) startRegistry(ctx context.Context, o SiteOptions, storage, addr string) error {
	cfgPath := filepath.Join(o.StateDir, o.Name+"-registry.yml")
	cfg := fmt.Sprintf(registryConfig, storage, addr, requestID()+requestID())
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return err
	}
	logf, err := os.OpenFile(site.RegistryLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(o.RegistryBinary, "serve", cfgPath)
	// The registry reads REGISTRY_* variables as configuration; keep only
	// ours, and turn off the OpenTelemetry exporters.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "REGISTRY_") && !strings.HasPrefix(kv, "OTEL_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "OTEL_TRACES_EXPORTER=none", "OTEL_METRICS_EXPORTER=none", "OTEL_LOGS_EXPORTER=none")
	cmd.Dir = o.StateDir
	cmd.Stdout, cmd.Stderr = logf, logf
	// In our process group (a sandbox stopping our group stops it too), and
	// killed when we die: Pdeathsig follows the thread that forks, so fork
	// from a locked thread, which lives on in the runtime's pool.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	fmt.Fprintf(logf, "==== %s starting %s serve %s\n", time.Now().Format(time.RFC3339), o.RegistryBinary, cfgPath)
	runtime.LockOSThread()
	err = cmd.Start()
	runtime.UnlockOSThread()
	if err != nil {
		return fmt.Errorf("harbor site %s: cannot start the registry: %w", o.Name, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	site.cmd, site.exited = cmd, exited
	site.stopOnce = sync.Once{}
	url := "http://" + addr
	deadline := time.Now().Add(o.StartTimeout)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/v2/", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				site.RegistryURL = url
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("harbor site %s: the registry exited at start; see %s", o.Name, site.RegistryLog)
		case <-ctx.Done():
			site.StopRegistry()
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			site.StopRegistry()
			return fmt.Errorf("harbor site %s: the registry did not answer on %s within %s; see %s", o.Name, url, o.StartTimeout, site.RegistryLog)
		}
	}
}

// StopRegistry stops the registry process (SIGTERM, then SIGKILL after 5s);
// the simulator keeps answering, and replications from or to this site
// fail.
func (site *Site) StopRegistry() {
	if site.cmd == nil || site.cmd.Process == nil {
		return
	}
	site.stopOnce.Do(func() {
		_ = site.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-site.exited:
		case <-time.After(5 * time.Second):
			_ = site.cmd.Process.Kill()
			<-site.exited
		}
	})
}

// Close stops the simulator (running executions end Stopped) and the
// registry.
func (site *Site) Close() error {
	var err error
	if site.Harbor != nil {
		err = site.Harbor.Close()
	}
	site.StopRegistry()
	return err
}

// RunSite starts a site and serves it until ctx ends, then stops it: the
// body of a child process that runs a site detached from its parent
// (pass HarborAddr and RegistryAddr so that the parent knows the URLs).
func RunSite(ctx context.Context, o SiteOptions) error {
	site, err := StartSite(ctx, o)
	if err != nil {
		return err
	}
	<-ctx.Done()
	return site.Close()
}

func freeLoopbackPort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
