package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

// The application record.
//
// mc_application (and the Application kind) writes a record of each
// application it makes: a Secret named ApplicationRecordName(project, name)
// in the registry namespace, labelled LabelRecord=application,
// LabelProject=<project key> and LabelApplication=<name>, holding the
// application's repositories as JSON under application.json. It holds no
// secret (the git credentials are the platform's Bitbucket credentials, see
// BitbucketGit). Other kinds (mc_application_deployment) find an
// application's repositories through Application; the application kind
// itself reads it to resume a create cut off half-way and to know how to
// delete.

const (
	// LabelApplication carries the application's name on its record.
	LabelApplication = "mc.mcplatform.dev/application"

	keyApplication = "application.json"
)

// ErrApplicationNotRegistered means the registry namespace holds no record
// of the application.
var ErrApplicationNotRegistered = errors.New("application not registered")

// Application is what an application record holds.
type Application struct {
	// Project is the key of the application's project.
	Project string `json:"project"`
	// Name is the application's name, also the source repository's slug.
	Name string `json:"name"`
	// Workspace is the Bitbucket workspace holding both repositories.
	Workspace string `json:"workspace"`
	// Template is what the repositories were made from.
	Template ApplicationTemplate `json:"template"`
	// InitialValues are the values the templates were filled with at the
	// first push.
	InitialValues map[string]string `json:"initialValues,omitempty"`
	// Source is the source repository (slug Name).
	Source ApplicationRepository `json:"source"`
	// YAML is the yaml (deployment manifests) repository (slug Name-yaml).
	YAML ApplicationRepository `json:"yaml"`
	// DefaultBranch is the branch both repositories were pushed to.
	DefaultBranch string `json:"defaultBranch"`
	// Orphan leaves both repositories in place when the application is
	// deleted (Terraform's on_destroy = "orphan").
	Orphan bool `json:"orphan,omitempty"`
}

// ApplicationTemplate names the template repositories (clone URLs) and
// the ref an application was made from.
type ApplicationTemplate struct {
	SourceRepo string `json:"sourceRepo"`
	YAMLRepo   string `json:"yamlRepo"`
	Ref        string `json:"ref,omitempty"`
}

// ApplicationRepository is one of an application's Bitbucket repositories.
type ApplicationRepository struct {
	// Slug is the repository's slug in the workspace.
	Slug string `json:"slug"`
	// UUID is the repository's uuid once made; empty before.
	UUID string `json:"uuid,omitempty"`
	// CloneURL is the repository's https clone link once made.
	CloneURL string `json:"cloneURL,omitempty"`
	// InitialCommit is the commit pushed first; empty before the push.
	InitialCommit string `json:"initialCommit,omitempty"`
}

// ApplicationRecordName is the name of the Secret holding the record of
// application name of project key.
func ApplicationRecordName(projectKey, name string) string {
	return "application-" + strings.ToLower(projectKey) + "-" + strings.ToLower(name)
}

// LookupApplication reads the record of application name of project key;
// the error wraps engine.ErrNotFound when there is none. Only the
// application kind should use it: other kinds use Application.
func (r *Registry) LookupApplication(ctx context.Context, projectKey, name string) (*Application, error) {
	cs, err := r.platformClient()
	if err != nil {
		return nil, err
	}
	sec, err := r.getRecord(ctx, cs, ApplicationRecordName(projectKey, name))
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("application %s/%s: %w in namespace %q", projectKey, name, engine.ErrNotFound, r.namespace)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot get application %s/%s: %w", projectKey, name, err)
	}
	return decodeApplication(sec)
}

// Application reads the record of application name of project key for a
// resource that depends on it, such as a deployment. A missing record is a
// *engine.DependencyError wrapping ErrApplicationNotRegistered, never a
// not-found: the dependent resource may well still exist.
func (r *Registry) Application(ctx context.Context, projectKey, name string) (*Application, error) {
	a, err := r.LookupApplication(ctx, projectKey, name)
	if engine.IsNotFound(err) {
		return nil, &engine.DependencyError{
			Kind: "application", Name: projectKey + "/" + name,
			Reason: fmt.Sprintf("is not registered in namespace %q", r.namespace),
			Hint:   "create the application (mc_application or an Application), or use the registry namespace that holds its record",
			Err:    ErrApplicationNotRegistered,
		}
	}
	return a, err
}

// RegisterApplication writes a as its application's record, creating or
// replacing it.
func (r *Registry) RegisterApplication(ctx context.Context, a Application) error {
	cs, err := r.platformClient()
	if err != nil {
		return err
	}
	rec, err := encodeApplication(r.namespace, a)
	if err != nil {
		return err
	}
	secrets := cs.CoreV1().Secrets(r.namespace)
	r.wroteRecord(rec.Name)
	existing, err := secrets.Get(ctx, rec.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		if _, err := secrets.Create(ctx, rec, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("cannot create the record of application %s/%s: %w", a.Project, a.Name, err)
		}
	case err != nil:
		return fmt.Errorf("cannot get the record of application %s/%s: %w", a.Project, a.Name, err)
	default:
		existing.Labels, existing.Data = rec.Labels, rec.Data
		if _, err := secrets.Update(ctx, existing, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("cannot update the record of application %s/%s: %w", a.Project, a.Name, err)
		}
	}
	return nil
}

// UnregisterApplication deletes the record of application name of project
// key; deleting a missing record succeeds.
func (r *Registry) UnregisterApplication(ctx context.Context, projectKey, name string) error {
	cs, err := r.platformClient()
	if err != nil {
		return err
	}
	r.wroteRecord(ApplicationRecordName(projectKey, name))
	if err := cs.CoreV1().Secrets(r.namespace).Delete(ctx, ApplicationRecordName(projectKey, name), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("cannot delete the record of application %s/%s: %w", projectKey, name, err)
	}
	return nil
}

// GitCredentials are a username and password for git over HTTPS.
type GitCredentials struct {
	Username string
	// Password is the token or password (secret).
	Password string
	// Hosts are the hosts (host[:port]) the credentials are meant for: the
	// Bitbucket API's host and, for an "api." host, the host without it
	// (api.bitbucket.org serves git at bitbucket.org). They are never sent
	// elsewhere.
	Hosts []string
}

// For reports whether the credentials are meant for the host of rawURL.
func (c GitCredentials) For(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	return slices.Contains(c.Hosts, strings.ToLower(u.Host))
}

// BitbucketGit returns the credentials git uses for the platform's
// Bitbucket repositories: the configured username with the token, or,
// without a username (an access token), the user "x-token-auth" that
// Bitbucket Cloud takes for access tokens. Not configured is a
// *engine.DependencyError wrapping ErrNoBitbucket.
func (r *Registry) BitbucketGit() (GitCredentials, error) {
	if _, err := r.Bitbucket(); err != nil {
		return GitCredentials{}, err
	}
	s := r.services()
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.access.Bitbucket
	user := a.Username
	if user == "" {
		user = "x-token-auth"
	}
	creds := GitCredentials{Username: user, Password: a.Token}
	if u, err := url.Parse(a.URL); err == nil && u.Host != "" {
		host := strings.ToLower(u.Host)
		creds.Hosts = append(creds.Hosts, host)
		if rest, ok := strings.CutPrefix(host, "api."); ok {
			creds.Hosts = append(creds.Hosts, rest)
		}
	}
	return creds, nil
}

func encodeApplication(namespace string, a Application) (*corev1.Secret, error) {
	raw, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("cannot encode application %s/%s: %w", a.Project, a.Name, err)
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:      ApplicationRecordName(a.Project, a.Name),
			Namespace: namespace,
			Labels: map[string]string{LabelProject: a.Project, LabelApplication: a.Name,
				LabelRecord: "application", LabelManagedBy: ManagedBy},
		},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{keyApplication: raw},
	}, nil
}

func decodeApplication(sec *corev1.Secret) (*Application, error) {
	if sec.Labels[LabelRecord] != "application" {
		return nil, fmt.Errorf("secret %s/%s is not an application record: no %s=application label", sec.Namespace, sec.Name, LabelRecord)
	}
	var a Application
	if err := json.Unmarshal(sec.Data[keyApplication], &a); err != nil {
		return nil, fmt.Errorf("application record %s/%s is corrupt: %w", sec.Namespace, sec.Name, err)
	}
	return &a, nil
}
