package cluster

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

// TestObserveRegistration checks how Observe reports the Argo CD
// registration: a registration that waits for the cluster is pending (as
// wanted, not drift); one that could be made but is not, or one that is
// not wanted but exists, is drift.
func TestObserveRegistration(t *testing.T) {
	s := Spec{Site: "site-b", Namespace: "clusters", Name: "edge-1", Labels: map[string]string{"env": "prod"}}
	desired, err := ArgoCDSecret(s, "argocd", Kubeconfig{Host: "https://10.0.0.10:6443", Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	stale := desired.DeepCopy()
	stale.Data[argoKeyServer] = []byte("https://127.0.0.1:1")
	base := registration{secretName: ArgoCDSecretName(s.Namespace, s.Name), argoCDNamespace: "argocd"}
	with := func(f func(*registration)) registration {
		r := base
		f(&r)
		return r
	}
	type result struct {
		Registered, Pending, UpToDate bool
		ArgoCDClusterName             string
		Message                       string
	}
	tests := []struct {
		name   string
		wanted bool
		ready  bool
		reg    registration
		want   result
	}{
		{"not ready, no kubeconfig yet", true, false, base,
			result{Registered: true, Pending: true, UpToDate: true, Message: "m"}},
		{"ready, no kubeconfig yet", true, true, base,
			result{Registered: true, Pending: true, UpToDate: true, Message: "m"}},
		{"not ready, kubeconfig written", true, false, with(func(r *registration) { r.desired = desired }),
			result{Registered: true, Pending: true, UpToDate: true, Message: "m"}},
		{"not ready, unusable kubeconfig", true, false, with(func(r *registration) { r.kubeconfigProblem = "cannot register in Argo CD: bad" }),
			result{Registered: true, Pending: true, UpToDate: true, Message: "m"}},
		{"ready, unusable kubeconfig", true, true, with(func(r *registration) { r.kubeconfigProblem = "cannot register in Argo CD: bad" }),
			result{Message: "m; cannot register in Argo CD: bad"}},
		{"ready, not registered", true, true, with(func(r *registration) { r.desired = desired }),
			result{Message: "m; not registered in Argo CD yet"}},
		{"ready, registered", true, true, with(func(r *registration) { r.desired, r.current = desired, desired }),
			result{Registered: true, UpToDate: true, ArgoCDClusterName: "edge-1", Message: "m"}},
		{"not ready, registered but stale", true, false, with(func(r *registration) { r.desired, r.current = desired, stale }),
			result{Registered: true, ArgoCDClusterName: "edge-1", Message: "m; Argo CD cluster Secret argocd/mc-cluster.clusters.edge-1 is stale (server)"}},
		{"not ready, name taken", true, false, with(func(r *registration) { r.taken = true }),
			result{Message: "m; cannot register in Argo CD: Secret argocd/mc-cluster.clusters.edge-1 exists and was not made for this cluster"}},
		{"not ready, site without Argo CD", true, false, registration{secretName: base.secretName},
			result{Message: "m; cannot register in Argo CD: the site names no Argo CD namespace"}},
		{"not wanted, registered", false, true, with(func(r *registration) { r.current = desired }),
			result{Registered: true, ArgoCDClusterName: "edge-1", Message: "m; registered in Argo CD (Secret argocd/mc-cluster.clusters.edge-1) but registration is off"}},
		{"not wanted, not registered", false, false, base,
			result{UpToDate: true, Message: "m"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := s
			want.ArgoCDRegistration = tt.wanted
			obs := engine.Observation[Spec, Status]{Exists: true, Ready: tt.ready, UpToDate: true, Message: "m", Actual: Spec{Name: s.Name}}
			observeRegistration(&obs, want, tt.reg)
			got := result{obs.Actual.ArgoCDRegistration, obs.Status.ArgoCDRegistrationPending, obs.UpToDate, obs.Status.ArgoCDClusterName, obs.Message}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("observeRegistration (-want +got):\n%s", diff)
			}
		})
	}
}
