package sandbox

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/bitbucket"
)

// AtlassianSim is one simulator of the sandbox's Atlassian cloud (Bitbucket,
// Jira): its server URL (the sandbox endpoints are below /_sandbox) and
// the credentials it takes.
type AtlassianSim struct {
	Name               string
	URL                string
	Username, Password string
}

// AtlassianUser is an account to add to every Atlassian simulator: the same
// account id in Bitbucket and Jira, as in Atlassian's cloud.
type AtlassianUser struct {
	AccountID   string `json:"account_id"`
	DisplayName string `json:"display_name"`
	Email       string `json:"email"`
}

// AtlassianGroup is a group of accounts to add to every Atlassian simulator
// (its members are replaced when it exists).
type AtlassianGroup struct {
	Name    string   `json:"name"`
	Members []string `json:"members"`
}

// ReadEnvFile reads the export lines of a sandbox env file into a map.
func ReadEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimPrefix(strings.TrimSpace(sc.Text()), "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" {
			continue
		}
		if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
			v = strings.ReplaceAll(v[1:len(v)-1], `'\''`, "'")
		}
		env[k] = v
	}
	return env, sc.Err()
}

// AtlassianSims returns the Atlassian simulators an env file names:
// Bitbucket (MC_SANDBOX_BITBUCKET_URL, _USERNAME, _PASSWORD) and Jira
// (MC_SANDBOX_JIRA_URL, _EMAIL, _API_TOKEN), those that are set.
func AtlassianSims(env map[string]string) []AtlassianSim {
	var sims []AtlassianSim
	if u := env["MC_SANDBOX_BITBUCKET_URL"]; u != "" {
		sims = append(sims, AtlassianSim{Name: "Bitbucket", URL: strings.TrimSuffix(strings.TrimSuffix(u, "/"), bitbucket.APIPrefix),
			Username: env["MC_SANDBOX_BITBUCKET_USERNAME"], Password: env["MC_SANDBOX_BITBUCKET_PASSWORD"]})
	}
	if u := env["MC_SANDBOX_JIRA_URL"]; u != "" {
		sims = append(sims, AtlassianSim{Name: "Jira", URL: strings.TrimSuffix(u, "/"),
			Username: env["MC_SANDBOX_JIRA_EMAIL"], Password: env["MC_SANDBOX_JIRA_API_TOKEN"]})
	}
	return sims
}

// AddAtlassianUser adds u to every simulator (POST /_sandbox/users).
func AddAtlassianUser(ctx context.Context, sims []AtlassianSim, u AtlassianUser) error {
	if u.AccountID == "" {
		return errors.New("the account id is empty")
	}
	return eachSim(sims, func(sim AtlassianSim) error { return postSandbox(ctx, sim, "/_sandbox/users", u, nil) })
}

// AddAtlassianGroup adds g to every simulator (POST /_sandbox/groups).
func AddAtlassianGroup(ctx context.Context, sims []AtlassianSim, g AtlassianGroup) error {
	if g.Name == "" {
		return errors.New("the group name is empty")
	}
	if g.Members == nil {
		g.Members = []string{}
	}
	return eachSim(sims, func(sim AtlassianSim) error { return postSandbox(ctx, sim, "/_sandbox/groups", g, nil) })
}

func eachSim(sims []AtlassianSim, f func(AtlassianSim) error) error {
	if len(sims) == 0 {
		return errors.New("the env file names no Atlassian simulator (MC_SANDBOX_BITBUCKET_URL, MC_SANDBOX_JIRA_URL)")
	}
	var errs []error
	for _, sim := range sims {
		if err := f(sim); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("cannot seed every Atlassian simulator: %w", err)
	}
	return nil
}
