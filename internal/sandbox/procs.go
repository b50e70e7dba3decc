package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// procRecord identifies one process this sandbox started. The start time
// (from /proc) guards against signalling a recycled pid.
type procRecord struct {
	Name      string `json:"name"`
	PID       int    `json:"pid"`
	StartTime uint64 `json:"startTime"`
	URL       string `json:"url,omitempty"`
	Log       string `json:"log"`
	Order     int    `json:"order"`
	// Path, Args and Env (the environment added to the starter's) are the
	// command, so that Platform.Restart can start the process again.
	Path string   `json:"path,omitempty"`
	Args []string `json:"args,omitempty"`
	Env  []string `json:"env,omitempty"`
}

func pidsDir(stateDir string) string { return filepath.Join(stateDir, "pids") }

// startProcess starts a detached process (own session and process group) with
// its output going to logs/<name>.log, and records its pid in the state dir.
func startProcess(stateDir, name, path string, args, env []string, order int) (*procRecord, error) {
	logPath := filepath.Join(stateDir, "logs", name+".log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(pidsDir(stateDir), 0o755); err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return nil, err
	}
	defer devnull.Close()
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = stateDir
	cmd.Stdin = devnull
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	fmt.Fprintf(logf, "==== %s starting %s %s\n", time.Now().Format(time.RFC3339), path, strings.Join(args, " "))
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("cannot start %s: %w", name, err)
	}
	// Reap the child if it dies while this process lives (tests), so that it
	// does not linger as a zombie that still looks alive.
	go func() { _ = cmd.Wait() }()
	rec := &procRecord{Name: name, PID: cmd.Process.Pid, Log: logPath, Order: order, Path: path, Args: args, Env: env}
	rec.StartTime, _ = procStartTime(rec.PID)
	if err := writeJSON(filepath.Join(pidsDir(stateDir), name+".json"), rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// procStartTime reads the start time of pid (clock ticks since boot) and
// reports an error for a missing or zombie process.
func procStartTime(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("cannot parse /proc stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return 0, errors.New("cannot parse /proc stat")
	}
	if f[0] == "Z" || f[0] == "X" {
		return 0, errors.New("process is a zombie")
	}
	return strconv.ParseUint(f[19], 10, 64)
}

// alive reports whether the recorded process still runs.
func (r *procRecord) alive() bool {
	st, err := procStartTime(r.PID)
	return err == nil && (r.StartTime == 0 || st == r.StartTime)
}

// readRecords returns the recorded processes, in start order.
func readRecords(stateDir string) ([]*procRecord, error) {
	entries, err := os.ReadDir(pidsDir(stateDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var recs []*procRecord
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		var r procRecord
		if err := readJSON(filepath.Join(pidsDir(stateDir), e.Name()), &r); err != nil {
			continue
		}
		recs = append(recs, &r)
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].Order < recs[j].Order })
	return recs, nil
}

// stopTier orders shutdown: clients of the apiserver first, then the
// apiserver, then etcd (an apiserver without etcd hangs in its graceful
// shutdown).
func stopTier(name string) int {
	switch name {
	case "etcd":
		return 2
	case "kube-apiserver":
		return 1
	}
	return 0
}

// stopRecords stops the recorded processes tier by tier: SIGTERM to each
// process group, then SIGKILL to what is left after a grace period.
func stopRecords(stateDir string, recs []*procRecord) {
	for tier := 0; tier <= 2; tier++ {
		var group []*procRecord
		for _, r := range recs {
			if stopTier(r.Name) == tier {
				group = append(group, r)
			}
		}
		stopGroup(group, 5*time.Second)
	}
	for _, r := range recs {
		_ = os.Remove(filepath.Join(pidsDir(stateDir), r.Name+".json"))
	}
}

func stopGroup(recs []*procRecord, grace time.Duration) {
	for _, r := range recs {
		if r.alive() {
			_ = syscall.Kill(-r.PID, syscall.SIGTERM)
		}
	}
	waitGone(recs, grace)
	for _, r := range recs {
		if r.alive() {
			_ = syscall.Kill(-r.PID, syscall.SIGKILL)
		}
	}
	waitGone(recs, 5*time.Second)
}

func waitGone(recs []*procRecord, d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		left := false
		for _, r := range recs {
			if r.alive() {
				left = true
			}
		}
		if !left {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// freePorts returns n distinct free ports (all listeners are held until all
// are chosen, so they differ).
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("cannot find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
