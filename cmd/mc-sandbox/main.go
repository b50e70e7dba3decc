// Command mc-sandbox starts and stops the local platform (see package
// internal/sandbox) for the demo and for manual testing.
//
//	mc-sandbox up [--state-dir D] [--nodes N]
//	mc-sandbox down [--state-dir D]
//	mc-sandbox status [--state-dir D]
//	mc-sandbox env [--state-dir D]
//	mc-sandbox git-repo --name N --from DIR [--state-dir D]
//	mc-sandbox push-image [--site site-b] [--image library/demo:v1] [--state-dir D]
//	mc-sandbox atlassian-user --account-id ID [--display-name N] [--email E] [--state-dir D]
//	mc-sandbox atlassian-user --group G [--members ID,ID] [--state-dir D]
package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/mcplatform/terraform-provider-mc/internal/sandbox"
)

func main() {
	sandbox.RunChildIfRequested()
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "mc-sandbox: %v\n", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintf(os.Stderr, `usage: mc-sandbox <command> [flags]

commands:
  up      start the local platform (etcd, Kubernetes, kwok, Argo CD, Redis, git, Cluster API, two Harbors) and wait until it is ready
  down    stop every process the sandbox started
  status  show what runs (exit status 1 if the sandbox is not running)
  env     print the env file (shell export lines)
  git-repo  create a repository on the sandbox git server from a directory's files
            (--name N --from DIR; an existing repository is left as it is) and print its URL
  push-image  push a small deterministic image into a Harbor site's registry through its
            Harbor (--site site-a|site-b, default site-b; --image project/repo:tag, default
            library/demo:v1; a missing project is created) and print the reference and digest
  atlassian-user  add an Atlassian account (--account-id ID --display-name N --email E) or a
            group (--group G --members ID,ID; its members are replaced) to every Atlassian
            simulator the env file names (Bitbucket, Jira): the same identity in each

flags:
  --state-dir D   state directory (default $MC_SANDBOX_DIR or ~/.cache/mc-sandbox/state)
  --nodes N       number of fake nodes (up only, default 1)
`)
}

func run(args []string) error {
	if len(args) == 0 {
		usage()
		return fmt.Errorf("missing command")
	}
	cmd := args[0]
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	stateDir := fs.String("state-dir", sandbox.DefaultStateDir(), "state directory")
	nodes := fs.Int("nodes", 1, "number of fake nodes")
	timeout := fs.Duration("timeout", 10*time.Minute, "how long up may take")
	// serve-git (hidden): the git server, normally started by up itself.
	gitRoot := fs.String("root", "", "")
	gitAddr := fs.String("addr", "127.0.0.1:0", "")
	gitUser := fs.String("user", "", "")
	gitPasswordFile := fs.String("password-file", "", "")
	repoName := fs.String("name", "", "repository name (git-repo)")
	repoFrom := fs.String("from", "", "directory whose files seed the repository (git-repo)")
	site := fs.String("site", sandbox.HarborSiteB, "Harbor site (push-image)")
	image := fs.String("image", "library/demo:v1", "image project/repository:tag (push-image)")
	accountID := fs.String("account-id", "", "Atlassian account id (atlassian-user)")
	displayName := fs.String("display-name", "", "display name (atlassian-user)")
	email := fs.String("email", "", "email address (atlassian-user)")
	group := fs.String("group", "", "group name (atlassian-user)")
	members := fs.String("members", "", "comma-separated account ids of the group (atlassian-user --group)")
	fs.Usage = usage
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch cmd {
	case "up":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		t0 := time.Now()
		p, err := sandbox.Up(ctx, sandbox.Options{
			StateDir: *stateDir,
			CacheDir: sandbox.DefaultCacheDir(),
			Nodes:    *nodes,
			Logf: func(format string, a ...any) {
				fmt.Fprintf(os.Stderr, "[mc-sandbox %s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
			},
		})
		if err != nil {
			return err
		}
		fmt.Printf("sandbox up in %s (state dir %s)\n", time.Since(t0).Round(time.Millisecond), p.StateDir)
		fmt.Printf("  kubeconfig: %s\n", p.KubeconfigPath)
		fmt.Printf("  env file:   %s   (source it: . %s)\n", p.EnvPath, p.EnvPath)
		fmt.Printf("  apiserver:  %s\n  argocd:     %s\n  git:        %s\n", p.APIServerURL, p.ArgoCDServerURL, p.GitURL)
		if p.ClusterAPIInMemoryPorts != "" {
			fmt.Printf("  cluster-api: %s, %s, %s, %s (in-memory workload clusters on 127.0.0.1:%s)\n", sandbox.CAPIManagerName,
				sandbox.CAPIBootstrapName, sandbox.CAPIControlPlaneName, sandbox.CAPIInfrastructureName, p.ClusterAPIInMemoryPorts)
		}
		if p.WorkloadServerURL != "" {
			fmt.Printf("  workload cluster: %s (kubeconfig %s; token in MC_SANDBOX_WORKLOAD_TOKEN)\n", p.WorkloadServerURL, p.WorkloadKubeconfigPath)
		}
		for _, name := range sandbox.HarborSites {
			h := p.Harbors[name]
			fmt.Printf("  harbor %s: %s (registry %s, user %s)\n", name, h.URL, h.RegistryURL, h.Username)
		}
		fmt.Printf("  bitbucket:  %s (workspace %s, user %s)\n", p.Bitbucket.URL, p.Bitbucket.Workspace, p.Bitbucket.Username)
		fmt.Printf("  task runner: %s\n", p.TaskRunner)
		fmt.Printf("stop it with: mc-sandbox down%s\n", stateDirFlag(*stateDir))
		return nil
	case "down":
		if err := sandbox.Down(*stateDir); err != nil {
			return err
		}
		fmt.Printf("sandbox in %s stopped\n", *stateDir)
		return nil
	case "status":
		p, err := sandbox.Load(*stateDir)
		if err != nil {
			return fmt.Errorf("sandbox is not running: %w", err)
		}
		down := 0
		st := p.Status()
		for _, c := range st {
			state := "running"
			if !c.Running {
				state = "STOPPED"
				down++
			}
			fmt.Printf("%-32s %-8s pid %-8d %s\n", c.Name, state, c.PID, c.URL)
		}
		running := map[string]bool{}
		for _, c := range st {
			running[c.Name] = c.Running
		}
		for _, name := range sandbox.HarborSites {
			if h, ok := p.Harbors[name]; ok && running["harbor-"+name] {
				fmt.Printf("harbor %-25s %s registry %s\n", name, h.URL, h.RegistryURL)
			}
		}
		if missing := len(p.Components) - len(st); missing > 0 {
			down += missing
		}
		if len(st) == 0 || down > 0 {
			return fmt.Errorf("sandbox is not running (%d of %d components stopped)", down, len(p.Components))
		}
		return nil
	case "env":
		b, err := os.ReadFile(stateDirFile(*stateDir, "env"))
		if err != nil {
			return fmt.Errorf("cannot read the env file (is the sandbox up?): %w", err)
		}
		fmt.Print(string(b))
		return nil
	case "git-repo":
		return createGitRepo(*stateDir, *repoName, *repoFrom)
	case "push-image":
		p, err := sandbox.Load(*stateDir)
		if err != nil {
			return fmt.Errorf("sandbox is not running: %w", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		ref, digest, err := p.PushImage(ctx, *site, *image)
		if err != nil {
			return err
		}
		fmt.Printf("%s@%s\n", ref, digest)
		return nil
	case "atlassian-user":
		return addAtlassianIdentity(*stateDir, *accountID, *displayName, *email, *group, *members)
	case "serve-git":
		pw, err := os.ReadFile(*gitPasswordFile)
		if err != nil {
			return fmt.Errorf("cannot read the password file: %w", err)
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return sandbox.ServeGit(ctx, sandbox.GitServerConfig{Root: *gitRoot, Addr: *gitAddr, Username: *gitUser, Password: strings.TrimSpace(string(pw))})
	default:
		usage()
		return fmt.Errorf("unknown command %q", cmd)
	}
}

func stateDirFlag(d string) string {
	if d == sandbox.DefaultStateDir() {
		return ""
	}
	return " --state-dir " + d
}

func stateDirFile(d, name string) string { return strings.TrimRight(d, "/") + "/" + name }

// createGitRepo creates repository name on the running sandbox's git server
// with the files under dir, and prints its URL.
func createGitRepo(stateDir, name, dir string) error {
	if name == "" || dir == "" {
		return fmt.Errorf("git-repo needs --name and --from")
	}
	p, err := sandbox.Load(stateDir)
	if err != nil {
		return fmt.Errorf("sandbox is not running: %w", err)
	}
	files := map[string]string{}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", dir, err)
	}
	url, err := p.CreateGitRepo(context.Background(), name, files)
	if err != nil {
		return err
	}
	fmt.Println(url)
	return nil
}

// addAtlassianIdentity adds an account, or a group when group is set, to
// every Atlassian simulator that the running sandbox's env file names.
func addAtlassianIdentity(stateDir, accountID, displayName, email, group, members string) error {
	env, err := sandbox.ReadEnvFile(stateDirFile(stateDir, "env"))
	if err != nil {
		return fmt.Errorf("cannot read the env file (is the sandbox up?): %w", err)
	}
	sims := sandbox.AtlassianSims(env)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var names []string
	for _, s := range sims {
		names = append(names, s.Name)
	}
	if group != "" {
		if accountID != "" {
			return fmt.Errorf("atlassian-user takes --account-id or --group, not both")
		}
		g := sandbox.AtlassianGroup{Name: group, Members: []string{}}
		for _, m := range strings.Split(members, ",") {
			if m = strings.TrimSpace(m); m != "" {
				g.Members = append(g.Members, m)
			}
		}
		if err := sandbox.AddAtlassianGroup(ctx, sims, g); err != nil {
			return err
		}
		fmt.Printf("group %s (%d members) added to %s\n", group, len(g.Members), strings.Join(names, ", "))
		return nil
	}
	if accountID == "" {
		return fmt.Errorf("atlassian-user needs --account-id (or --group)")
	}
	if displayName == "" {
		displayName = accountID
	}
	if err := sandbox.AddAtlassianUser(ctx, sims, sandbox.AtlassianUser{AccountID: accountID, DisplayName: displayName, Email: email}); err != nil {
		return err
	}
	fmt.Printf("account %s added to %s\n", accountID, strings.Join(names, ", "))
	return nil
}
