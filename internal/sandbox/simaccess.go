package sandbox

import (
	"context"
	"fmt"

	bitbucketsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/bitbucket"
	harborsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/harbor"
	jirasim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/jira"
)

// Access of tests to the simulators of a running platform beyond their
// vendor APIs: further credentials (so that a test's requests can be told
// apart and faults aimed at them alone, or that it can act read-only) and
// the Harbors' faults and robot secrets. Every simulator is shared by the
// tests of the platform: aim faults with Faults.Users at a credential of
// the test's own.

// harborSim returns site's Harbor as a sandbox endpoint caller (admin).
func (p *Platform) harborSim(site string) (AtlassianSim, error) {
	h, ok := p.Harbors[site]
	if !ok {
		return AtlassianSim{}, fmt.Errorf("the sandbox has no Harbor site %q", site)
	}
	return AtlassianSim{Name: "Harbor " + site, URL: h.URL, Username: h.Username, Password: h.Password}, nil
}

// SetHarborFaults sets the fault injection of site's Harbor simulator (POST
// /_sandbox/faults); the zero Faults turns it off.
func (p *Platform) SetHarborFaults(ctx context.Context, site string, f harborsim.Faults) error {
	sim, err := p.harborSim(site)
	if err != nil {
		return err
	}
	return postSandbox(ctx, sim, "/_sandbox/faults", f, nil)
}

// HarborFaultStats returns what the fault injector of site's Harbor did
// since it started (GET /_sandbox/faults).
func (p *Platform) HarborFaultStats(ctx context.Context, site string) (harborsim.FaultStats, error) {
	var st harborsim.FaultStats
	sim, err := p.harborSim(site)
	if err != nil {
		return st, err
	}
	err = postSandbox(ctx, sim, "/_sandbox/faults", nil, &st)
	return st, err
}

// AddHarborUser adds a user with a password to site's Harbor, a system
// administrator when sysadmin is set (POST /_sandbox/users).
func (p *Platform) AddHarborUser(ctx context.Context, site, username, password string, sysadmin bool) error {
	sim, err := p.harborSim(site)
	if err != nil {
		return err
	}
	return postSandbox(ctx, sim, "/_sandbox/users", map[string]any{"username": username, "password": password, "sysadmin": sysadmin}, nil)
}

// HarborRobotSecrets returns the secrets of every robot account of site's
// Harbor, by robot name (GET /_sandbox/robots): Harbor shows a secret only
// once, to its creator, and a test that looks for leaks needs them all.
func (p *Platform) HarborRobotSecrets(ctx context.Context, site string) (map[string]string, error) {
	sim, err := p.harborSim(site)
	if err != nil {
		return nil, err
	}
	var robots []struct{ Name, Secret string }
	if err := postSandbox(ctx, sim, "/_sandbox/robots", nil, &robots); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(robots))
	for _, r := range robots {
		out[r.Name] = r.Secret
	}
	return out, nil
}

// AddBitbucketCredential adds a further app password of the platform's
// Bitbucket owner (POST /_sandbox/credentials).
func (p *Platform) AddBitbucketCredential(ctx context.Context, c bitbucketsim.Credential) error {
	return postSandbox(ctx, AtlassianSim{Name: "Bitbucket", URL: p.Bitbucket.ServerURL(), Username: p.Bitbucket.Username, Password: p.Bitbucket.Password},
		"/_sandbox/credentials", c, nil)
}

// AddJiraCredential adds a further API token to the platform's Jira (POST
// /_sandbox/credentials).
func (p *Platform) AddJiraCredential(ctx context.Context, c jirasim.Credential) error {
	return postSandbox(ctx, AtlassianSim{Name: "Jira", URL: p.Jira.URL}, "/_sandbox/credentials", c, nil)
}
