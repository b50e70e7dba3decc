package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

// The project record.
//
// mc_project (and the Project kind) writes a record of each project it
// makes: a Secret named ProjectRecordName(key) in the registry namespace,
// labelled LabelRecord=project and LabelProject=<key>, holding the project's
// declared parts as JSON under project.json. It holds no secret; it is a
// Secret only so that it lives beside the site records under the same access
// rules. Other kinds (mc_project_member, later mc_application) find a
// project's parts through Project; the project kind itself reads it to know
// which parts exist after a create that failed half-way and how to delete.

const (
	// LabelProject carries the project's key on its record and on the
	// objects made for the project (Argo CD AppProjects).
	LabelProject = "mc.mcplatform.dev/project"

	keyProject = "project.json"
)

// ErrProjectNotRegistered means the registry namespace holds no record of
// the project.
var ErrProjectNotRegistered = errors.New("project not registered")

// Project is what a project record holds: which parts the project has in
// which system, their ids once made, and how they are deleted.
type Project struct {
	// Key is the project's key (Jira's rule: an upper-case letter, then
	// upper-case letters or digits); it is also the id.
	Key         string `json:"key"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Bitbucket is the project's Bitbucket part; nil means none.
	Bitbucket *ProjectBitbucket `json:"bitbucket,omitempty"`
	// Jira is the project's Jira part; nil means none.
	Jira *ProjectJira `json:"jira,omitempty"`
	// Harbor is the project's Harbor part; nil means none.
	Harbor *ProjectHarbor `json:"harbor,omitempty"`
	// ArgoCD is the project's Argo CD part; nil means none.
	ArgoCD *ProjectArgoCD `json:"argocd,omitempty"`
	// Orphan leaves every part in place when the project is deleted
	// (Terraform's on_destroy = "orphan").
	Orphan bool `json:"orphan,omitempty"`
}

// ProjectBitbucket is a project's Bitbucket Cloud project.
type ProjectBitbucket struct {
	Workspace string `json:"workspace"`
	// UUID is the Bitbucket project's uuid once made; empty before.
	UUID string `json:"uuid,omitempty"`
}

// ProjectJira is a project's Jira Cloud project, whose key is the project's key.
type ProjectJira struct {
	// ID is the Jira project's id once made; empty before.
	ID string `json:"id,omitempty"`
	// Template is the project template the Jira project was made from,
	// which Jira does not report.
	Template string `json:"template,omitempty"`
	// DeletePermanently deletes the Jira project instead of moving it to
	// Jira's trash.
	DeletePermanently bool `json:"deletePermanently,omitempty"`
}

// ProjectHarbor is a project's Harbor project at one site.
type ProjectHarbor struct {
	// Site is the site whose Harbor holds the project.
	Site string `json:"site"`
	// Name is the Harbor project's name (the key in lower case).
	Name string `json:"name"`
	// ID is the Harbor project's id once made; zero before.
	ID int64 `json:"id,omitempty"`
	// ForceDestroy deletes the Harbor project's repositories with it.
	ForceDestroy bool `json:"forceDestroy,omitempty"`
}

// ProjectArgoCD is a project's Argo CD AppProjects, one per site.
type ProjectArgoCD struct {
	// Sites are the sites whose Argo CD holds an AppProject of the project.
	Sites []string `json:"sites"`
	// AppProject is the name of the AppProject at every site.
	AppProject string `json:"appProject"`
	// Made are the sites whose AppProject has been made.
	Made []string `json:"made,omitempty"`
}

// ProjectRecordName is the name of the Secret holding project key's record.
func ProjectRecordName(key string) string { return "project-" + strings.ToLower(key) }

// LookupProject reads project key's record; the error wraps
// engine.ErrNotFound when there is none. Only the project kind should use
// it: other kinds use Project.
func (r *Registry) LookupProject(ctx context.Context, key string) (*Project, error) {
	cs, err := r.platformClient()
	if err != nil {
		return nil, err
	}
	sec, err := r.getRecord(ctx, cs, ProjectRecordName(key))
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("project %q: %w in namespace %q", key, engine.ErrNotFound, r.namespace)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot get project %q: %w", key, err)
	}
	return decodeProject(sec)
}

// Project reads project key's record for a resource that depends on the
// project, such as a member. A missing record is a *engine.DependencyError
// wrapping ErrProjectNotRegistered, never a not-found: the dependent
// resource may well still exist.
func (r *Registry) Project(ctx context.Context, key string) (*Project, error) {
	p, err := r.LookupProject(ctx, key)
	if engine.IsNotFound(err) {
		return nil, &engine.DependencyError{
			Kind: "project", Name: key,
			Reason: fmt.Sprintf("is not registered in namespace %q", r.namespace),
			Hint:   "create the project (mc_project or a Project), or use the registry namespace that holds its record",
			Err:    ErrProjectNotRegistered,
		}
	}
	return p, err
}

// RegisterProject writes p as project p.Key's record, creating or replacing it.
func (r *Registry) RegisterProject(ctx context.Context, p Project) error {
	cs, err := r.platformClient()
	if err != nil {
		return err
	}
	rec, err := encodeProject(r.namespace, p)
	if err != nil {
		return err
	}
	secrets := cs.CoreV1().Secrets(r.namespace)
	r.wroteRecord(rec.Name)
	existing, err := secrets.Get(ctx, rec.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		if _, err := secrets.Create(ctx, rec, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("cannot create the record of project %q: %w", p.Key, err)
		}
	case err != nil:
		return fmt.Errorf("cannot get the record of project %q: %w", p.Key, err)
	default:
		existing.Labels, existing.Data = rec.Labels, rec.Data
		if _, err := secrets.Update(ctx, existing, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("cannot update the record of project %q: %w", p.Key, err)
		}
	}
	return nil
}

// UnregisterProject deletes project key's record; deleting a missing
// record succeeds.
func (r *Registry) UnregisterProject(ctx context.Context, key string) error {
	cs, err := r.platformClient()
	if err != nil {
		return err
	}
	r.wroteRecord(ProjectRecordName(key))
	if err := cs.CoreV1().Secrets(r.namespace).Delete(ctx, ProjectRecordName(key), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("cannot delete the record of project %q: %w", key, err)
	}
	return nil
}

func encodeProject(namespace string, p Project) (*corev1.Secret, error) {
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("cannot encode project %q: %w", p.Key, err)
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:      ProjectRecordName(p.Key),
			Namespace: namespace,
			Labels:    map[string]string{LabelProject: p.Key, LabelRecord: "project", LabelManagedBy: ManagedBy},
		},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{keyProject: raw},
	}, nil
}

func decodeProject(sec *corev1.Secret) (*Project, error) {
	if sec.Labels[LabelRecord] != "project" {
		return nil, fmt.Errorf("secret %s/%s is not a project record: no %s=project label", sec.Namespace, sec.Name, LabelRecord)
	}
	var p Project
	if err := json.Unmarshal(sec.Data[keyProject], &p); err != nil {
		return nil, fmt.Errorf("project record %s/%s is corrupt: %w", sec.Namespace, sec.Name, err)
	}
	return &p, nil
}
