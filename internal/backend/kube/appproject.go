package kube

import (
	"context"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/retry"
)

// AppProjectGVR is Argo CD's AppProject resource.
var AppProjectGVR = schema.GroupVersionResource{Group: ArgoCDGroup, Version: "v1alpha1", Resource: "appprojects"}

// AppProject is the part of an Argo CD AppProject this project writes.
type AppProject struct {
	Name, Namespace string
	Labels          map[string]string
	Description     string
	// SourceRepos are the repository URLs (or patterns) applications of
	// the project may deploy from.
	SourceRepos []string
	// Destinations are where applications of the project may deploy.
	Destinations []AppProjectDestination
	// Roles are the project's roles, each with its policies and groups.
	Roles []AppProjectRole
}

// AppProjectDestination is one allowed destination: an Argo CD cluster,
// by name, and a namespace pattern.
type AppProjectDestination struct {
	Name      string
	Namespace string
}

// AppProjectRole is one role of an AppProject. Policies are Casbin lines
// such as "p, proj:web:viewer, applications, get, web/*, allow"; Groups are
// the SSO groups bound to the role.
type AppProjectRole struct {
	Name        string
	Description string
	Policies    []string
	Groups      []string
}

// Role returns the role named name, if the project has it.
func (p AppProject) Role(name string) (AppProjectRole, bool) {
	for _, r := range p.Roles {
		if r.Name == name {
			return r, true
		}
	}
	return AppProjectRole{}, false
}

func (p AppProject) spec() map[string]any {
	repos := make([]any, 0, len(p.SourceRepos))
	for _, r := range p.SourceRepos {
		repos = append(repos, r)
	}
	dests := make([]any, 0, len(p.Destinations))
	for _, d := range p.Destinations {
		dests = append(dests, map[string]any{"name": d.Name, "namespace": d.Namespace})
	}
	roles := make([]any, 0, len(p.Roles))
	for _, r := range p.Roles {
		role := map[string]any{"name": r.Name, "policies": toAny(r.Policies)}
		if r.Description != "" {
			role["description"] = r.Description
		}
		if len(r.Groups) > 0 {
			role["groups"] = toAny(r.Groups)
		}
		roles = append(roles, role)
	}
	spec := map[string]any{"sourceRepos": repos, "destinations": dests, "roles": roles}
	if p.Description != "" {
		spec["description"] = p.Description
	}
	return spec
}

func toAny(ss []string) []any {
	out := make([]any, 0, len(ss))
	for _, s := range ss {
		out = append(out, s)
	}
	return out
}

// ApplyAppProject creates the AppProject or brings its description, source
// repositories, destinations, roles' policies and labels to p. The groups
// bound to each existing role are kept as they are (members are granted
// one by one, with SetAppProjectRoleGroup), and so are roles p does not
// name and labels set by others.
func ApplyAppProject(ctx context.Context, dc dynamic.Interface, p AppProject) error {
	res := dc.Resource(AppProjectGVR).Namespace(p.Namespace)
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := res.Get(ctx, p.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			u := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": AppProjectGVR.GroupVersion().String(),
				"kind":       "AppProject",
				"metadata":   map[string]any{"name": p.Name, "namespace": p.Namespace},
				"spec":       p.spec(),
			}}
			u.SetLabels(p.Labels)
			if _, err := res.Create(ctx, u, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				return fmt.Errorf("cannot create AppProject %q: %w", p.Name, err)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("cannot get AppProject %q: %w", p.Name, err)
		}
		have := appProject(cur)
		merged := p
		merged.Roles = nil
		for _, r := range p.Roles {
			if old, ok := have.Role(r.Name); ok {
				r.Groups = old.Groups
			}
			merged.Roles = append(merged.Roles, r)
		}
		for _, old := range have.Roles {
			if _, ok := p.Role(old.Name); !ok {
				merged.Roles = append(merged.Roles, old)
			}
		}
		spec, _, _ := unstructured.NestedMap(cur.Object, "spec")
		if spec == nil {
			spec = map[string]any{}
		}
		for k, v := range merged.spec() {
			spec[k] = v
		}
		if p.Description == "" {
			delete(spec, "description")
		}
		cur.Object["spec"] = spec
		labels := cur.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		for k, v := range p.Labels {
			labels[k] = v
		}
		cur.SetLabels(labels)
		if _, err := res.Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("cannot update AppProject %q: %w", p.Name, err)
		}
		return nil
	})
}

// GetAppProject reads an AppProject; found is false when there is none.
func GetAppProject(ctx context.Context, dc dynamic.Interface, namespace, name string) (p AppProject, found bool, err error) {
	u, err := dc.Resource(AppProjectGVR).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return AppProject{}, false, nil
	}
	if err != nil {
		return AppProject{}, false, fmt.Errorf("cannot get AppProject %q: %w", name, err)
	}
	return appProject(u), true, nil
}

func appProject(u *unstructured.Unstructured) AppProject {
	strs := func(m map[string]any, field string) []string {
		s, _, _ := unstructured.NestedStringSlice(m, field)
		return s
	}
	description, _, _ := unstructured.NestedString(u.Object, "spec", "description")
	repos, _, _ := unstructured.NestedStringSlice(u.Object, "spec", "sourceRepos")
	p := AppProject{Name: u.GetName(), Namespace: u.GetNamespace(), Labels: u.GetLabels(), Description: description, SourceRepos: repos}
	dests, _, _ := unstructured.NestedSlice(u.Object, "spec", "destinations")
	for _, d := range dests {
		m, ok := d.(map[string]any)
		if !ok {
			continue
		}
		name, _ := m["name"].(string)
		if name == "" {
			name, _ = m["server"].(string)
		}
		ns, _ := m["namespace"].(string)
		p.Destinations = append(p.Destinations, AppProjectDestination{Name: name, Namespace: ns})
	}
	roles, _, _ := unstructured.NestedSlice(u.Object, "spec", "roles")
	for _, r := range roles {
		m, ok := r.(map[string]any)
		if !ok {
			continue
		}
		name, _ := m["name"].(string)
		desc, _ := m["description"].(string)
		p.Roles = append(p.Roles, AppProjectRole{Name: name, Description: desc, Policies: strs(m, "policies"), Groups: strs(m, "groups")})
	}
	return p
}

// SetAppProjectRoleGroup binds group to the role named role of the
// AppProject (present) or unbinds it (!present), leaving every other group
// and role alone. A missing AppProject or role is an error wrapping the
// API's not-found.
func SetAppProjectRoleGroup(ctx context.Context, dc dynamic.Interface, namespace, name, role, group string, present bool) error {
	res := dc.Resource(AppProjectGVR).Namespace(namespace)
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := res.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("cannot get AppProject %q: %w", name, err)
		}
		roles, _, _ := unstructured.NestedSlice(cur.Object, "spec", "roles")
		found, changed := false, false
		for i, r := range roles {
			m, ok := r.(map[string]any)
			if !ok || m["name"] != role {
				continue
			}
			found = true
			groups, _, _ := unstructured.NestedStringSlice(m, "groups")
			has := slices.Contains(groups, group)
			switch {
			case present && !has:
				groups = append(groups, group)
			case !present && has:
				groups = slices.DeleteFunc(groups, func(g string) bool { return g == group })
			default:
				continue
			}
			changed = true
			if len(groups) == 0 {
				delete(m, "groups")
			} else {
				m["groups"] = toAny(groups)
			}
			roles[i] = m
		}
		if !found {
			return fmt.Errorf("AppProject %q has no role %q: %w", name, role,
				apierrors.NewNotFound(schema.GroupResource{Group: ArgoCDGroup, Resource: "appprojects/roles"}, role))
		}
		if !changed {
			return nil
		}
		if err := unstructured.SetNestedSlice(cur.Object, roles, "spec", "roles"); err != nil {
			return fmt.Errorf("cannot set the roles of AppProject %q: %w", name, err)
		}
		if _, err := res.Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("cannot update AppProject %q: %w", name, err)
		}
		return nil
	})
}

// DeleteAppProject deletes the AppProject; deleting a missing one succeeds.
func DeleteAppProject(ctx context.Context, dc dynamic.Interface, namespace, name string) error {
	err := dc.Resource(AppProjectGVR).Namespace(namespace).Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("cannot delete AppProject %q: %w", name, err)
	}
	return nil
}
