package registry

import (
	"encoding/json"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Labels and keys of the site record, the Secret in the registry namespace
// through which every resource finds its site.
const (
	// LabelSite carries the site's name on the record and on objects made for the site.
	LabelSite = "mc.mcplatform.dev/site"
	// LabelRegistry carries the registry namespace on objects made for a
	// site outside it (Cluster API Clusters), so that the sites of two
	// registries that share a name and a management cluster are told apart.
	LabelRegistry = "mc.mcplatform.dev/registry"
	// LabelRecord marks the Secret as a record; its value is the record kind.
	LabelRecord = "mc.mcplatform.dev/record"
	// LabelManagedBy is the standard label naming the tool that manages an object.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// ManagedBy is the value of LabelManagedBy on the objects this project makes.
	ManagedBy = "terraform-provider-mc"

	keySettings   = "site.json"
	keyToken      = "token"
	keyKubeconfig = "kubeconfig"
	keyGitPass    = "gitops-password"
	keyHarborPass = "harbor-password"
)

// Site is what a site record holds: the site as registered, secrets
// included. The site kind writes it (it is that kind's spec); every other
// kind reads it to reach the site's management cluster, Argo CD and Harbor.
type Site struct {
	// Name is the site's name, a DNS-1123 label; it is also the id.
	Name        string
	Description string
	Labels      map[string]string
	// Hub marks the platform's hub site, whose Harbor holds the projects'
	// images unless a project names another site (see Registry.Hub).
	Hub bool
	// ManagementCluster is the site's Cluster API management cluster; nil
	// means the platform plane's own cluster.
	ManagementCluster *ManagementCluster
	// ArgoCD tells where the site's Argo CD runs on the management cluster.
	ArgoCD ArgoCD
	// GitOps is the repository path the site's root application follows;
	// nil means no root application.
	GitOps *GitOps
	// Harbor is the site's Harbor; nil means the site has none.
	Harbor *Harbor
	// ClusterAddons are Helm charts every cluster registered at the site
	// gets, through the site's GitOps repository.
	ClusterAddons []ClusterAddon
}

// ClusterAddon is a Helm chart installed into every cluster registered at
// the site whose Argo CD labels match ClusterSelector: one Argo CD
// Application per cluster and add-on, under <gitops path>/clusters/<cluster>/.
type ClusterAddon struct {
	// Name is the add-on's name and Helm release name.
	Name string `json:"name"`
	// Namespace is the namespace the chart is installed into.
	Namespace string `json:"namespace"`
	// RepoURL, Chart, Version and Path name the chart as a Helm release
	// does (a Helm repository, oci:// or git).
	RepoURL string `json:"repoURL"`
	Chart   string `json:"chart,omitempty"`
	Version string `json:"version,omitempty"`
	Path    string `json:"path,omitempty"`
	// Values is a YAML mapping, in canonical form once applied.
	Values string `json:"values,omitempty"`
	// Set and SetString are Helm parameters; ValueFiles values files.
	Set        map[string]string `json:"set,omitempty"`
	SetString  map[string]string `json:"setString,omitempty"`
	ValueFiles []string          `json:"valueFiles,omitempty"`
	// ClusterSelector are labels a cluster must have in Argo CD to get the
	// add-on; empty selects every cluster of the site.
	ClusterSelector map[string]string `json:"clusterSelector,omitempty"`
}

// ManagementCluster is how to reach a site's management cluster: either Host
// with Token (and CACertificate), or Kubeconfig (with an optional Context).
type ManagementCluster struct {
	Host          string
	CACertificate string
	// Insecure skips TLS verification of Host.
	Insecure bool
	Context  string
	// Token is a bearer token (secret).
	Token string
	// TokenVersion changes when Token changes; it is stored, Token is not reported.
	TokenVersion int64
	// Kubeconfig is a kubeconfig document (secret).
	Kubeconfig string
	// KubeconfigVersion changes when Kubeconfig changes.
	KubeconfigVersion int64
}

// ArgoCD locates the site's Argo CD.
type ArgoCD struct {
	// Namespace is where Argo CD runs on the management cluster.
	Namespace string
	// Destination is the Argo CD cluster name the root application deploys
	// to (the management cluster as Argo CD knows it).
	Destination string
}

// GitOps is the site's GitOps repository path.
type GitOps struct {
	RepoURL  string
	Branch   string
	Path     string
	Username string
	// Password is the repository password or token (secret).
	Password string
	// PasswordVersion changes when Password changes.
	PasswordVersion int64
}

// Harbor is how to reach a site's Harbor.
type Harbor struct {
	URL      string
	Username string
	// Password is the password or robot secret (secret).
	Password string
	// PasswordVersion changes when Password changes.
	PasswordVersion int64
	// Insecure skips TLS verification.
	Insecure bool
}

// Record is a site record as read from the registry namespace.
type Record struct {
	// Spec is the site as registered, secrets included: never log it.
	Spec Site
}

// RecordName is the name of the Secret holding site name's record.
func RecordName(name string) string { return "site-" + name }

// ValidateName checks that name is a DNS-1123 label, as every site name is.
func ValidateName(name string) error {
	if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
		return fmt.Errorf("%q is not a valid site name: %s", name, strings.Join(errs, "; "))
	}
	return nil
}

// settings is the non-secret part of the record, as stored.
type settings struct {
	Description       string            `json:"description,omitempty"`
	Hub               bool              `json:"hub,omitempty"`
	Labels            map[string]string `json:"labels,omitempty"`
	ManagementCluster *clusterSettings  `json:"managementCluster,omitempty"`
	ArgoCD            ArgoCD            `json:"argocd"`
	GitOps            *gitOpsSettings   `json:"gitops,omitempty"`
	Harbor            *harborSettings   `json:"harbor,omitempty"`
	ClusterAddons     []ClusterAddon    `json:"clusterAddons,omitempty"`
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

// encodeRecord is the Secret in namespace that records s: the settings as
// JSON, each secret value under its own key.
func encodeRecord(namespace string, s Site) (*corev1.Secret, error) {
	st := settings{Description: s.Description, Hub: s.Hub, Labels: s.Labels, ArgoCD: s.ArgoCD, ClusterAddons: s.ClusterAddons}
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
			Labels:    map[string]string{LabelSite: s.Name, LabelRecord: "site", LabelManagedBy: ManagedBy},
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
	s := Site{Name: name, Description: st.Description, Hub: st.Hub, Labels: st.Labels, ArgoCD: st.ArgoCD, ClusterAddons: st.ClusterAddons}
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
