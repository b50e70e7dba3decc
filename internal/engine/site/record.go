package site

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/harbor"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/httpclient"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/kube"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

// Labels and keys of the site record, the Secret in the registry namespace
// through which every resource finds its site.
const (
	// LabelSite carries the site's name on the record and on objects made for the site.
	LabelSite = "mc.mcplatform.dev/site"
	// LabelRecord marks the Secret as a record; its value is the record kind.
	LabelRecord    = "mc.mcplatform.dev/record"
	labelManagedBy = "app.kubernetes.io/managed-by"
	managedBy      = "terraform-provider-mc"

	keySettings   = "site.json"
	keyToken      = "token"
	keyKubeconfig = "kubeconfig"
	keyGitPass    = "gitops-password"
	keyHarborPass = "harbor-password"
)

// RecordName is the name of the Secret holding site name's record.
func RecordName(name string) string { return "site-" + name }

// settings is the non-secret part of the record, as stored.
type settings struct {
	Description       string            `json:"description,omitempty"`
	Labels            map[string]string `json:"labels,omitempty"`
	ManagementCluster *clusterSettings  `json:"managementCluster,omitempty"`
	ArgoCD            ArgoCD            `json:"argocd"`
	GitOps            *gitOpsSettings   `json:"gitops,omitempty"`
	Harbor            *harborSettings   `json:"harbor,omitempty"`
}

type harborSettings struct {
	URL             string `json:"url"`
	Username        string `json:"username"`
	PasswordVersion int64  `json:"passwordVersion,omitempty"`
	Insecure        bool   `json:"insecure,omitempty"`
}

type clusterSettings struct {
	Host              string `json:"host,omitempty"`
	CACertificate     string `json:"caCertificate,omitempty"`
	Insecure          bool   `json:"insecure,omitempty"`
	Context           string `json:"context,omitempty"`
	TokenVersion      int64  `json:"tokenVersion,omitempty"`
	KubeconfigVersion int64  `json:"kubeconfigVersion,omitempty"`
}

type gitOpsSettings struct {
	RepoURL         string `json:"repoURL"`
	Branch          string `json:"branch"`
	Path            string `json:"path"`
	Username        string `json:"username,omitempty"`
	PasswordVersion int64  `json:"passwordVersion,omitempty"`
}

// Record is a site as stored in the platform plane, secrets included. Other
// kinds use it to reach the site's management cluster.
type Record struct {
	Spec Spec
}

// ManagementConfig returns the client configuration of the site's
// management cluster; platform is used when the site runs on the platform
// plane's own cluster.
func (r *Record) ManagementConfig(platform *rest.Config) (*rest.Config, error) {
	return managementConfig(r.Spec.ManagementCluster, platform)
}

// HarborClient returns a client of the site's Harbor, or an error wrapping
// engine.ErrNotFound when the site has none.
func (r *Record) HarborClient() (*harbor.Client, error) {
	if r.Spec.Harbor == nil {
		return nil, fmt.Errorf("site %q has no Harbor: %w", r.Spec.Name, engine.ErrNotFound)
	}
	return harborClient(*r.Spec.Harbor)
}

func harborClient(h Harbor) (*harbor.Client, error) {
	return harbor.New(harbor.Config{
		URL: h.URL, Username: h.Username, Password: h.Password,
		HTTPOptions: httpclient.Options{InsecureSkipVerify: h.Insecure, WaitMax: 5 * time.Second},
	})
}

func managementConfig(mc *ManagementCluster, platform *rest.Config) (*rest.Config, error) {
	if mc == nil {
		return rest.CopyConfig(platform), nil
	}
	return kube.Connection{Kubeconfig: mc.Kubeconfig, Context: mc.Context, Host: mc.Host, Token: mc.Token, CACertificate: mc.CACertificate, Insecure: mc.Insecure}.RESTConfig()
}

func encodeRecord(namespace string, s Spec) (*corev1.Secret, error) {
	st := settings{Description: s.Description, Labels: s.Labels, ArgoCD: s.ArgoCD}
	data := map[string][]byte{}
	if mc := s.ManagementCluster; mc != nil {
		st.ManagementCluster = &clusterSettings{Host: mc.Host, CACertificate: mc.CACertificate, Insecure: mc.Insecure, Context: mc.Context, TokenVersion: mc.TokenVersion, KubeconfigVersion: mc.KubeconfigVersion}
		if mc.Token != "" {
			data[keyToken] = []byte(mc.Token)
		}
		if mc.Kubeconfig != "" {
			data[keyKubeconfig] = []byte(mc.Kubeconfig)
		}
	}
	if g := s.GitOps; g != nil {
		st.GitOps = &gitOpsSettings{RepoURL: g.RepoURL, Branch: g.Branch, Path: g.Path, Username: g.Username, PasswordVersion: g.PasswordVersion}
		if g.Password != "" {
			data[keyGitPass] = []byte(g.Password)
		}
	}
	if h := s.Harbor; h != nil {
		st.Harbor = &harborSettings{URL: h.URL, Username: h.Username, PasswordVersion: h.PasswordVersion, Insecure: h.Insecure}
		if h.Password != "" {
			data[keyHarborPass] = []byte(h.Password)
		}
	}
	raw, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("cannot encode site settings: %w", err)
	}
	data[keySettings] = raw
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:      RecordName(s.Name),
			Namespace: namespace,
			Labels:    map[string]string{LabelSite: s.Name, LabelRecord: "site", labelManagedBy: managedBy},
		},
		Type: corev1.SecretTypeOpaque,
		Data: data,
	}, nil
}

func decodeRecord(sec *corev1.Secret) (*Record, error) {
	name := sec.Labels[LabelSite]
	if name == "" {
		return nil, fmt.Errorf("secret %s/%s is not a site record: no %s label", sec.Namespace, sec.Name, LabelSite)
	}
	var st settings
	if err := json.Unmarshal(sec.Data[keySettings], &st); err != nil {
		return nil, fmt.Errorf("site record %s/%s is corrupt: %w", sec.Namespace, sec.Name, err)
	}
	s := Spec{Name: name, Description: st.Description, Labels: st.Labels, ArgoCD: st.ArgoCD}
	if c := st.ManagementCluster; c != nil {
		s.ManagementCluster = &ManagementCluster{
			Host: c.Host, CACertificate: c.CACertificate, Insecure: c.Insecure, Context: c.Context,
			TokenVersion: c.TokenVersion, KubeconfigVersion: c.KubeconfigVersion,
			Token: string(sec.Data[keyToken]), Kubeconfig: string(sec.Data[keyKubeconfig]),
		}
	}
	if g := st.GitOps; g != nil {
		s.GitOps = &GitOps{RepoURL: g.RepoURL, Branch: g.Branch, Path: g.Path, Username: g.Username, PasswordVersion: g.PasswordVersion, Password: string(sec.Data[keyGitPass])}
	}
	if h := st.Harbor; h != nil {
		s.Harbor = &Harbor{URL: h.URL, Username: h.Username, PasswordVersion: h.PasswordVersion, Insecure: h.Insecure, Password: string(sec.Data[keyHarborPass])}
	}
	return &Record{Spec: s}, nil
}

// Lookup finds site name's record in the registry namespace; it wraps
// engine.ErrNotFound when there is none.
func Lookup(ctx context.Context, cs kubernetes.Interface, namespace, name string) (*Record, error) {
	sec, err := cs.CoreV1().Secrets(namespace).Get(ctx, RecordName(name), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("site %q: %w in namespace %q", name, engine.ErrNotFound, namespace)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot get site %q: %w", name, err)
	}
	return decodeRecord(sec)
}

// List returns the names of every site in the registry namespace, sorted.
func List(ctx context.Context, cs kubernetes.Interface, namespace string) ([]string, error) {
	l, err := cs.CoreV1().Secrets(namespace).List(ctx, metav1.ListOptions{LabelSelector: LabelRecord + "=site"})
	if err != nil {
		return nil, fmt.Errorf("cannot list sites: %w", err)
	}
	names := make([]string, 0, len(l.Items))
	for _, s := range l.Items {
		names = append(names, s.Labels[LabelSite])
	}
	sort.Strings(names)
	return names, nil
}
