package sandbox

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Restart stops component name of the platform (SIGTERM to its process
// group, SIGKILL after a grace period, as Down does) and starts it again
// with the same command, arguments and environment, then waits until it
// listens again: the kube-apiserver until /readyz answers, any other
// component with a recorded URL until its port accepts connections. A
// component that keeps its state in memory (the Harbor, Bitbucket and Jira
// simulators) starts empty; one that keeps it on disk (etcd, the registry
// behind a Harbor, git repositories) keeps it.
//
// Restart is for tests of a platform of their own: a test that restarts a
// part of a platform shared with other tests disturbs them, and
// hack/test-platform.sh fails a run whose shared platform was restarted.
// A child of the sandbox's own executable (a simulator, the git server)
// whose executable no longer exists (a test binary that has ended) is
// restarted with the calling executable, which must call
// RunChildIfRequested first, as sandboxtest.Main does.
func (p *Platform) Restart(ctx context.Context, name string) error {
	recs, err := readRecords(p.StateDir)
	if err != nil {
		return fmt.Errorf("cannot read the sandbox pids: %w", err)
	}
	var rec *procRecord
	for _, r := range recs {
		if r.Name == name {
			rec = r
		}
	}
	if rec == nil {
		return fmt.Errorf("the platform in %s has no component %q", p.StateDir, name)
	}
	if rec.Path == "" {
		return fmt.Errorf("cannot restart %s: its command was not recorded (a platform started by an older mc-sandbox)", name)
	}
	path := rec.Path
	if _, err := os.Stat(path); err != nil {
		// A child that serves a part of the sandbox (serve-harbor,
		// serve-bitbucket, ...) runs the sandbox's own code, chosen by its
		// environment: any executable that calls RunChildIfRequested, this
		// one too, can serve it when the one that started it is gone (a
		// test binary that has ended).
		self, serr := os.Executable()
		if !isSandboxChild(rec) || serr != nil {
			return fmt.Errorf("cannot restart %s: %w", name, err)
		}
		path = self
	}
	stopGroup([]*procRecord{rec}, 5*time.Second)
	if rec.alive() {
		return fmt.Errorf("cannot stop %s (pid %d)", name, rec.PID)
	}
	started, err := startProcess(p.StateDir, name, path, rec.Args, rec.Env, rec.Order)
	if err != nil {
		return err
	}
	for i, c := range p.Components {
		if c.Name == name {
			started.URL = c.URL
			p.Components[i] = started
		}
	}
	if err := writeJSON(filepath.Join(pidsDir(p.StateDir), name+".json"), started); err != nil {
		return err
	}
	return p.waitRestarted(ctx, started)
}

// waitRestarted waits until the restarted component rec answers, failing
// at once, with the end of its log, when it exits.
func (p *Platform) waitRestarted(ctx context.Context, rec *procRecord) error {
	check := func(context.Context) error { return nil }
	switch {
	case rec.Name == "kube-apiserver":
		cfg, err := p.RESTConfig()
		if err != nil {
			return err
		}
		check = func(ctx context.Context) error { return apiReady(ctx, cfg) }
	case rec.URL != "":
		u, err := url.Parse(rec.URL)
		if err != nil || u.Host == "" {
			break
		}
		check = func(ctx context.Context) error { return tcpOpen(ctx, u.Host) }
	}
	return waitFor(ctx, rec.Name+" after its restart", 2*time.Minute, func(ctx context.Context) error {
		if !rec.alive() {
			return &permanentError{fmt.Errorf("%s exited after its restart; end of %s:\n%s", rec.Name, rec.Log, logTail(rec.Log, 15))}
		}
		return check(ctx)
	})
}

// isSandboxChild reports whether rec is a child that runs the sandbox's own
// code (see RunChildIfRequested), chosen by its environment.
func isSandboxChild(rec *procRecord) bool {
	for _, kv := range rec.Env {
		if strings.HasPrefix(kv, envChild+"=") {
			return true
		}
	}
	return false
}
