package applicationdeployment

import (
	"context"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/git"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// New returns a client that finds sites and applications (their records,
// written by mc_application) through reg, and pushes to the applications'
// yaml repositories with the platform's Bitbucket credentials.
func New(reg *registry.Registry) *Client { return NewWith(reg, registryApplications{reg}) }

// registryApplications finds applications through their records.
type registryApplications struct{ reg *registry.Registry }

// YAMLRepository implements Applications.
func (a registryApplications) YAMLRepository(ctx context.Context, project, name string) (YAMLRepository, error) {
	app, err := a.reg.Application(ctx, project, name)
	if err != nil {
		return YAMLRepository{}, err
	}
	repo := git.Repository{URL: app.YAML.CloneURL}
	creds, err := a.reg.BitbucketGit()
	if err != nil {
		return YAMLRepository{}, err
	}
	if creds.For(app.YAML.CloneURL) {
		repo.Username, repo.Password = creds.Username, creds.Password
	}
	return YAMLRepository{Repo: repo, Branch: app.DefaultBranch}, nil
}
