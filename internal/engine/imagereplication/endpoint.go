package imagereplication

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

const (
	// registryPrefix starts the name of every registry endpoint this
	// client makes; the rest is the remote site's name.
	registryPrefix = "site-"
	// maxRegistryName is Harbor's limit on a registry endpoint's name
	// (src/controller/registry/controller.go: "the max length of name is
	// 64"); a longer name is a 400.
	maxRegistryName = 64
	// endpointHashLen is the length of the hash that ends an endpoint name
	// shortened to fit maxRegistryName.
	endpointHashLen = 8
)

// EndpointName returns the name of the registry endpoint pointing at the
// Harbor of site remote: "site-<remote>" when that fits Harbor's 64
// characters, else "site-" with the start of the site name, "-" and a
// short hash of the whole name, 64 characters at most. The same site always
// gets the same name.
func EndpointName(remote string) string {
	name := registryPrefix + remote
	if len(name) <= maxRegistryName {
		return name
	}
	sum := sha256.Sum256([]byte(remote))
	keep := maxRegistryName - len(registryPrefix) - 1 - endpointHashLen
	return registryPrefix + strings.TrimRight(remote[:keep], "-.") + "-" + hex.EncodeToString(sum[:])[:endpointHashLen]
}

// legacyEndpointName is the name endpoints had before names were made to
// fit: "site-<remote>", whatever its length. Harbor refuses more than 64
// characters, but an older simulator did not, so such endpoints are still
// found (and renamed on the next update).
func legacyEndpointName(remote string) string { return registryPrefix + remote }

// credentialsFingerprint identifies the credentials a site record holds
// for its Harbor without holding anything secret: the URL, the user and
// the password's version (bumped with every new password, by Terraform's
// password_wo_version and by the controller's hash of the Secret). The
// endpoint's description keeps it, so that a change of the site's
// credentials is seen and the robot's secret refreshed.
func credentialsFingerprint(h registry.Harbor) string {
	sum := sha256.Sum256([]byte("mc-replication-credentials\x00" + strings.TrimSuffix(h.URL, "/") + "\x00" + h.Username + "\x00" +
		strconv.FormatInt(h.PasswordVersion, 10)))
	return hex.EncodeToString(sum[:8])
}

var fingerprintPattern = regexp.MustCompile(`credentials ([0-9a-f]{16})`)

// endpointFingerprint is the fingerprint an endpoint's description holds,
// or "" when it holds none (an endpoint made by hand or before robots).
func endpointFingerprint(description string) string {
	if m := fingerprintPattern.FindStringSubmatch(description); m != nil {
		return m[1]
	}
	return ""
}

func endpointDescription(remoteSite, robot, fingerprint string) string {
	return fmt.Sprintf("Harbor of site %s, managed by terraform-provider-mc; robot %s; credentials %s", remoteSite, robot, fingerprint)
}

// endpoint is the registry endpoint a replication uses, as ensureEndpoint
// left it.
type endpoint struct {
	ID    int64
	Name  string
	Robot string
	// Created is true when this call made the endpoint.
	Created bool
}

// ensureEndpoint makes (or brings up to date) the registry endpoint in hc,
// the Harbor of site local that runs the policy, pointing at the Harbor of
// site remote, with a robot account of that Harbor as its credential. The
// robot holds what pol and the other policies using the endpoint need; its
// secret is refreshed when the remote site's credentials changed since it
// was set.
func (c *Client) ensureEndpoint(ctx context.Context, hc *harbor.Client, local string, remote *registry.Record, pol harbor.ReplicationPolicy, insecure bool) (endpoint, error) {
	remoteSite, rh := remote.Spec.Name, *remote.Spec.Harbor
	url := strings.TrimSuffix(rh.URL, "/")
	name := EndpointName(remoteSite)
	regs, err := hc.ListRegistries(ctx, "")
	if err != nil {
		return endpoint{}, c.explainAuth(ctx, hc, local, fmt.Errorf("cannot list the registry endpoints of site %q: %w", local, err))
	}
	var found *harbor.Registry
	for i, r := range regs {
		if r.Name == name || (found == nil && r.Name == legacyEndpointName(remoteSite)) {
			found = &regs[i]
		}
	}
	// The policies that use the endpoint besides pol decide, with pol, what
	// the robot may do.
	var others []harbor.ReplicationPolicy
	if found != nil {
		others, err = policiesUsing(ctx, hc, found.ID, pol.Name)
		if err != nil {
			return endpoint{}, err
		}
	}
	rb, err := c.ensureRobot(ctx, remote, robotName(local), append(others, policyOn(pol, found)), found)
	if err != nil {
		return endpoint{}, err
	}
	fp := credentialsFingerprint(rh)
	desc := endpointDescription(remoteSite, rb.Name, fp)
	if found == nil {
		secret, err := rb.secret(ctx)
		if err != nil {
			return endpoint{}, err
		}
		id, err := hc.CreateRegistry(ctx, harbor.Registry{
			Name: name, URL: url, Type: "harbor", Insecure: insecure, Description: desc,
			Credential: &harbor.RegistryCredential{Type: "basic", AccessKey: rb.Name, AccessSecret: secret.Reveal()},
		})
		if harbor.IsConflict(err) {
			return c.ensureEndpoint(ctx, hc, local, remote, pol, insecure)
		}
		if err != nil {
			rb.undo(ctx)
			return endpoint{}, c.endpointError(ctx, hc, local, remoteSite, url, "create", name, err)
		}
		return endpoint{ID: id, Name: name, Robot: rb.Name, Created: true}, nil
	}
	stale := rb.created || endpointFingerprint(found.Description) != fp || found.Credential == nil || found.Credential.AccessKey != rb.Name
	if !stale && found.Name == name && strings.TrimSuffix(found.URL, "/") == url && found.Insecure == insecure {
		return endpoint{ID: found.ID, Name: found.Name, Robot: rb.Name}, nil
	}
	upd := harbor.RegistryUpdate{Name: &name, URL: &url, Insecure: &insecure, Description: &desc}
	if stale {
		secret, err := rb.secret(ctx)
		if err != nil {
			return endpoint{}, err
		}
		credType, key, sec := "basic", rb.Name, secret.Reveal()
		upd.CredentialType, upd.AccessKey, upd.AccessSecret = &credType, &key, &sec
	}
	if err := hc.UpdateRegistry(ctx, found.ID, upd); err != nil {
		return endpoint{}, c.endpointError(ctx, hc, local, remoteSite, url, "update", found.Name, err)
	}
	return endpoint{ID: found.ID, Name: name, Robot: rb.Name}, nil
}

// policyOn returns pol as it will be once it uses the endpoint reg (nil
// before the endpoint exists: then the side is marked with id -1).
func policyOn(pol harbor.ReplicationPolicy, reg *harbor.Registry) harbor.ReplicationPolicy {
	id := int64(-1)
	if reg != nil {
		id = reg.ID
	}
	if pol.SrcRegistry != nil {
		pol.SrcRegistry = harbor.RegistryRef(id)
	} else {
		pol.DestRegistry = harbor.RegistryRef(id)
	}
	return pol
}

// policiesUsing lists the policies of hc that use registry endpoint regID,
// but the one named except.
func policiesUsing(ctx context.Context, hc *harbor.Client, regID int64, except string) ([]harbor.ReplicationPolicy, error) {
	all, err := hc.ListReplicationPolicies(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("cannot list replication policies: %w", err)
	}
	var out []harbor.ReplicationPolicy
	for _, p := range all {
		if p.Name != except && usesRegistry(p, regID) {
			out = append(out, p)
		}
	}
	return out, nil
}

func usesRegistry(p harbor.ReplicationPolicy, regID int64) bool {
	return (p.SrcRegistry != nil && p.SrcRegistry.ID == regID) || (p.DestRegistry != nil && p.DestRegistry.ID == regID)
}

// endpointError words Harbor's answers to a registry endpoint's create or
// update, which Harbor core makes only after checking the remote Harbor
// itself (src/controller/registry/controller.go, validate): 400 "the
// registry is unhealthy" when the remote answered but refused the
// credentials or its TLS certificate is not trusted, 500 when Harbor core
// could not reach it at all (its /api/version did not answer). Harbor
// saves nothing in either case.
func (c *Client) endpointError(ctx context.Context, hc *harbor.Client, local, remote, url, verb, name string, err error) error {
	switch {
	case harbor.IsRegistryUnhealthy(err):
		return fmt.Errorf("the Harbor of site %q refuses the registry endpoint %q for the Harbor of site %q at %s: its health check failed, "+
			"so that Harbor answered but refused the replication robot's credentials, or its TLS certificate is not trusted by the Harbor of site %q "+
			"(set endpoint_insecure to skip that check): %w", local, name, remote, url, local, err)
	case harbor.IsServerError(err):
		return fmt.Errorf("the Harbor of site %q cannot reach the Harbor of site %q at %s to check the registry endpoint %q: "+
			"make that URL reachable from the Harbor of site %q: %w", local, remote, url, name, local, err)
	case harbor.IsBadRequest(err):
		return engine.InvalidInput("", "the Harbor of site %q refuses the registry endpoint %q for site %q: %v", local, name, remote, err)
	}
	return c.explainAuth(ctx, hc, local, fmt.Errorf("cannot %s registry endpoint %q in the Harbor of site %q: %w", verb, name, local, err))
}

// explainAuth adds to a 401 or 403 from the Harbor of site what to do: an
// OIDC Harbor refuses a user's CLI secret everywhere but on the registry
// API and the few calls replication makes
// (src/server/middleware/security/oidc_cli.go), so robots, registry
// endpoints and policies need a robot account or the local admin.
func (c *Client) explainAuth(ctx context.Context, hc *harbor.Client, site string, err error) error {
	if !harbor.IsUnauthorized(err) && !harbor.IsForbidden(err) {
		return err
	}
	rec, lerr := c.sites.Lookup(ctx, site)
	user := ""
	if lerr == nil && rec.Spec.Harbor != nil {
		user = rec.Spec.Harbor.Username
	}
	if info, ierr := hc.SystemInfo(ctx); ierr == nil && info.AuthMode == "oidc_auth" && !strings.HasPrefix(user, "robot$") {
		return fmt.Errorf("the Harbor of site %q uses OIDC authentication, which refuses a user's CLI secret (user %q) on the robot, "+
			"registry endpoint and replication APIs: give site %q the credentials of a robot account (system level, Harbor v2.10 or later) "+
			"or of Harbor's local admin: %w", site, user, site, err)
	}
	if harbor.IsUnauthorized(err) {
		return fmt.Errorf("the Harbor of site %q refuses the site's credentials (user %q): check the site's harbor username and password: %w", site, user, err)
	}
	return fmt.Errorf("user %q of the Harbor of site %q lacks a permission replication needs (robot accounts, registry endpoints, "+
		"replication policies): give the site an administrator's credentials: %w", user, site, err)
}
