package projectmember

import (
	"context"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

// wordSeparator joins the words of a member that holds several mapped
// roles in one system (a drift), such as "admin+viewer".
const wordSeparator = "+"

// argoCDPart is a group's binding to a role of the project's AppProject at
// one site: the group is listed in the role's groups. Users have no Argo CD
// part: AppProject roles bind SSO groups.
type argoCDPart struct {
	sites      *registry.Registry
	site       string
	appProject string
	group      string
}

func (p *argoCDPart) key() string { return SystemArgoCD + "/" + p.site }

// connect reaches the site's Argo CD; a site that is not registered is a
// *engine.DependencyError.
func (p *argoCDPart) connect(ctx context.Context) (*registry.Connection, error) {
	return p.sites.Connect(ctx, p.site)
}

func (p *argoCDPart) read(ctx context.Context) (kube.AppProject, bool, *registry.Connection, error) {
	conn, err := p.connect(ctx)
	if err != nil {
		return kube.AppProject{}, false, nil, err
	}
	ap, found, err := kube.GetAppProject(ctx, conn.Dynamic, conn.Record.Spec.ArgoCD.Namespace, p.appProject)
	if err != nil {
		return kube.AppProject{}, false, nil, fmt.Errorf("%s", conn.Describe(err))
	}
	return ap, found, conn, nil
}

func (p *argoCDPart) check(ctx context.Context) error {
	ap, found, conn, err := p.read(ctx)
	if err != nil {
		return fmt.Errorf("cannot check Argo CD at site %q: %w", p.site, err)
	}
	if !found {
		return fmt.Errorf("argo CD at site %q has no AppProject %q in namespace %q: apply the project first", p.site, p.appProject, conn.Record.Spec.ArgoCD.Namespace)
	}
	for _, m := range Mappings {
		if _, ok := ap.Role(m.ArgoCDRole); !ok {
			return fmt.Errorf("AppProject %q at site %q has no role %q: apply the project again to restore its roles", p.appProject, p.site, m.ArgoCDRole)
		}
	}
	return nil
}

func (p *argoCDPart) get(ctx context.Context) (string, error) {
	ap, found, _, err := p.read(ctx)
	if err != nil || !found {
		return "", err
	}
	var words []string
	for _, m := range Mappings {
		if r, ok := ap.Role(m.ArgoCDRole); ok && slices.Contains(r.Groups, p.group) {
			words = append(words, m.ArgoCDRole)
		}
	}
	return strings.Join(words, wordSeparator), nil
}

// set binds the group to the roles of word and unbinds it from the other
// mapped roles; roles outside the table are left alone.
func (p *argoCDPart) set(ctx context.Context, word string) error {
	return p.bind(ctx, strings.Split(word, wordSeparator))
}

func (p *argoCDPart) revoke(ctx context.Context) error { return p.bind(ctx, nil) }

func (p *argoCDPart) bind(ctx context.Context, roles []string) error {
	conn, err := p.connect(ctx)
	if err != nil {
		return err
	}
	ns := conn.Record.Spec.ArgoCD.Namespace
	// Bind first, then unbind, so that a role change never leaves the
	// group without a role half-way.
	for _, present := range []bool{true, false} {
		for _, m := range Mappings {
			if slices.Contains(roles, m.ArgoCDRole) != present {
				continue
			}
			err := kube.SetAppProjectRoleGroup(ctx, conn.Dynamic, ns, p.appProject, m.ArgoCDRole, p.group, present)
			if err != nil && !(apierrors.IsNotFound(err) && !present) {
				return fmt.Errorf("%s", conn.Describe(err))
			}
		}
	}
	return nil
}
