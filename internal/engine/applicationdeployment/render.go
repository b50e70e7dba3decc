package applicationdeployment

import (
	"fmt"
	"net/url"
	"reflect"
	"strings"

	"sigs.k8s.io/yaml"
)

// appManifest is the Argo CD Application manifest as this kind writes it.
type appManifest struct {
	APIVersion string      `json:"apiVersion"`
	Kind       string      `json:"kind"`
	Metadata   appMetadata `json:"metadata"`
	Spec       appSpec     `json:"spec"`
}

type appMetadata struct {
	Name       string            `json:"name"`
	Namespace  string            `json:"namespace,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
	Finalizers []string          `json:"finalizers,omitempty"`
}

type appSpec struct {
	Project     string         `json:"project"`
	Source      appSource      `json:"source"`
	Destination appDestination `json:"destination"`
	SyncPolicy  *appSyncPolicy `json:"syncPolicy,omitempty"`
}

type appSource struct {
	RepoURL        string `json:"repoURL"`
	TargetRevision string `json:"targetRevision,omitempty"`
	Path           string `json:"path,omitempty"`
}

type appDestination struct {
	Name      string `json:"name,omitempty"`
	Namespace string `json:"namespace,omitempty"`
}

type appSyncPolicy struct {
	Automated   *appAutomated `json:"automated,omitempty"`
	SyncOptions []string      `json:"syncOptions,omitempty"`
	Retry       *appRetry     `json:"retry,omitempty"`
}

type appAutomated struct {
	Prune    bool `json:"prune,omitempty"`
	SelfHeal bool `json:"selfHeal,omitempty"`
}

type appRetry struct {
	Limit   int64       `json:"limit,omitempty"`
	Backoff *appBackoff `json:"backoff,omitempty"`
}

type appBackoff struct {
	Duration    string `json:"duration,omitempty"`
	Factor      *int64 `json:"factor,omitempty"`
	MaxDuration string `json:"maxDuration,omitempty"`
}

// place is where a deployment lives: everything the manifests need besides
// the spec.
type place struct {
	Project, Name   string
	ArgoCDNamespace string
	YAMLRepoURL     string
	YAMLBranch      string
}

// plainURL is u without credentials, as Argo CD matches repository
// credentials by URL.
func plainURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.User == nil {
		return u
	}
	p.User = nil
	return p.String()
}

func (s Spec) application(p place) appManifest {
	m := appManifest{
		APIVersion: "argoproj.io/v1alpha1",
		Kind:       "Application",
		Metadata: appMetadata{
			Name:      ApplicationName(p.Project, p.Name, s.Cluster),
			Namespace: p.ArgoCDNamespace,
			Labels: map[string]string{
				LabelKind: KindName, LabelManagedBy: ManagedBy,
				LabelProject: strings.ToLower(p.Project), LabelApplication: strings.ToLower(p.Name), LabelCluster: s.Cluster,
			},
			Finalizers: []string{ResourcesFinalizer},
		},
		Spec: appSpec{
			Project:     "default",
			Source:      appSource{RepoURL: plainURL(p.YAMLRepoURL), TargetRevision: p.YAMLBranch, Path: YAMLDir(s.Site, s.Cluster)},
			Destination: appDestination{Name: s.Cluster, Namespace: s.Namespace},
		},
	}
	sp := &appSyncPolicy{SyncOptions: s.SyncPolicy.SyncOptions}
	if s.SyncPolicy.Automated {
		sp.Automated = &appAutomated{Prune: s.SyncPolicy.Prune, SelfHeal: s.SyncPolicy.SelfHeal}
	}
	if r := s.SyncPolicy.Retry; r != nil {
		sp.Retry = &appRetry{Limit: r.Limit}
		if r.BackoffDuration != "" || r.BackoffFactor != 0 || r.BackoffMaxDuration != "" {
			b := &appBackoff{Duration: r.BackoffDuration, MaxDuration: r.BackoffMaxDuration}
			if r.BackoffFactor != 0 {
				f := r.BackoffFactor
				b.Factor = &f
			}
			sp.Retry.Backoff = b
		}
	}
	if sp.Automated != nil || len(sp.SyncOptions) > 0 || sp.Retry != nil {
		m.Spec.SyncPolicy = sp
	}
	return m
}

// applicationYAML is the Application manifest file's content.
func (s Spec) applicationYAML(p place) (string, error) {
	b, err := yaml.Marshal(s.application(p))
	if err != nil {
		return "", fmt.Errorf("cannot render the Application manifest: %w", err)
	}
	return "# Written by terraform-provider-mc (mc_application_deployment); edits are planned back.\n" + string(b), nil
}

// deploymentYAML is the workload manifest of the yaml repository.
func (s Spec) deploymentYAML(p place) string {
	name := strings.ToLower(p.Name)
	return fmt.Sprintf(`# Written by terraform-provider-mc (mc_application_deployment); the image line is the deployment's.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
  labels:
    app.kubernetes.io/name: %[1]s
    app.kubernetes.io/part-of: %[2]s
spec:
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: %[1]s
  template:
    metadata:
      labels:
        app.kubernetes.io/name: %[1]s
        app.kubernetes.io/part-of: %[2]s
    spec:
      containers:
        - name: %[1]s
          image: %[3]q
`, name, strings.ToLower(p.Project), s.Image.Reference())
}

// workload is the part of the Deployment manifest that is read back.
type workload struct {
	Spec struct {
		Template struct {
			Spec struct {
				Containers []struct {
					Image string `json:"image"`
				} `json:"containers"`
			} `json:"spec"`
		} `json:"template"`
	} `json:"spec"`
}

// parseImage reads the image of the Deployment manifest content.
func parseImage(content string) (Image, error) {
	var w workload
	if err := yaml.Unmarshal([]byte(content), &w); err != nil {
		return Image{}, fmt.Errorf("cannot parse the Deployment manifest: %w", err)
	}
	if len(w.Spec.Template.Spec.Containers) == 0 {
		return Image{}, fmt.Errorf("the Deployment manifest has no container")
	}
	return SplitImage(w.Spec.Template.Spec.Containers[0].Image), nil
}

// SplitImage splits an image reference into repository and tag or digest.
func SplitImage(ref string) Image {
	if repo, digest, ok := strings.Cut(ref, "@"); ok {
		return Image{Repository: repo, Digest: digest}
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return Image{Repository: ref[:i], Tag: ref[i+1:]}
	}
	return Image{Repository: ref, Tag: "latest"}
}

// parseApplication reads an Application manifest.
func parseApplication(content []byte) (appManifest, error) {
	var m appManifest
	if err := yaml.Unmarshal(content, &m); err != nil {
		return m, fmt.Errorf("cannot parse the Application manifest: %w", err)
	}
	return m, nil
}

// syncPolicyOf is the spec's sync policy as an Application manifest says.
func syncPolicyOf(m appManifest) SyncPolicy {
	var out SyncPolicy
	sp := m.Spec.SyncPolicy
	if sp == nil {
		return out
	}
	if sp.Automated != nil {
		out.Automated, out.Prune, out.SelfHeal = true, sp.Automated.Prune, sp.Automated.SelfHeal
	}
	out.SyncOptions = sp.SyncOptions
	if sp.Retry != nil {
		out.Retry = &Retry{Limit: sp.Retry.Limit}
		if b := sp.Retry.Backoff; b != nil {
			out.Retry.BackoffDuration, out.Retry.BackoffMaxDuration = b.Duration, b.MaxDuration
			if b.Factor != nil {
				out.Retry.BackoffFactor = *b.Factor
			}
		}
	}
	return out
}

// sameSpec reports whether two Application specs deploy the same thing the
// same way; it returns what differs.
func sameSpec(got, want appSpec) []string {
	var diff []string
	if got.Project != want.Project {
		diff = append(diff, "spec.project")
	}
	if got.Source != want.Source {
		diff = append(diff, "spec.source")
	}
	if got.Destination != want.Destination {
		diff = append(diff, "spec.destination")
	}
	if !reflect.DeepEqual(normalPolicy(got.SyncPolicy), normalPolicy(want.SyncPolicy)) {
		diff = append(diff, "spec.syncPolicy")
	}
	return diff
}

func normalPolicy(p *appSyncPolicy) *appSyncPolicy {
	if p == nil || (p.Automated == nil && len(p.SyncOptions) == 0 && p.Retry == nil) {
		return nil
	}
	c := *p
	if len(c.SyncOptions) == 0 {
		c.SyncOptions = nil
	}
	return &c
}
