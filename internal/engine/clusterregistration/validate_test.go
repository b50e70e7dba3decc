package clusterregistration

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

func validSpec() Spec {
	return Spec{Site: "site-b", Name: "legacy-1", Server: "https://10.0.0.1:6443", Token: "t", TokenVersion: 1,
		Namespaces: []string{"apps"}, Labels: map[string]string{"env": "prod"}}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name      string
		change    func(*Spec)
		wantPaths []string
	}{
		{name: "valid", change: func(*Spec) {}},
		{name: "bad site and name", change: func(s *Spec) { s.Site, s.Name = "Site_B", "legacy.1" }, wantPaths: []string{"site", "name"}},
		{name: "server not a URL", change: func(s *Spec) { s.Server = "10.0.0.1:6443" }, wantPaths: []string{"server"}},
		{name: "ca not PEM", change: func(s *Spec) { s.CACertificate = "not a certificate" }, wantPaths: []string{"ca_certificate"}},
		{name: "ca a key", change: func(s *Spec) {
			s.CACertificate = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"
		}, wantPaths: []string{"ca_certificate"}},
		{name: "negative token version", change: func(s *Spec) { s.TokenVersion = -1 }, wantPaths: []string{"token_version"}},
		{name: "bad namespace", change: func(s *Spec) { s.Namespaces = []string{"Apps"} }, wantPaths: []string{"namespaces[0]"}},
		{name: "reserved and bad labels", change: func(s *Spec) {
			s.Labels = map[string]string{"argocd.argoproj.io/secret-type": "cluster", "mc.mcplatform.dev/site": "x", "env": "bad value"}
		}, wantPaths: []string{"labels", "labels", "labels"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := validSpec()
			tc.change(&s)
			var got []string
			for _, in := range engine.InvalidInputs(Validate(s)) {
				got = append(got, in.Path)
			}
			if diff := cmp.Diff(tc.wantPaths, got); diff != "" {
				t.Errorf("Validate() paths (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidatePartialSkipsUnknown(t *testing.T) {
	s := validSpec()
	s.Server = ""
	if err := ValidatePartial(s, func(p string) bool { return p == "server" }); err != nil {
		t.Errorf("ValidatePartial() with server unknown = %v, want nil", err)
	}
}

func TestParseID(t *testing.T) {
	for _, tc := range []struct {
		id, site, name string
		ok             bool
	}{
		{id: "site-b/legacy-1", site: "site-b", name: "legacy-1", ok: true},
		{id: "site-b"}, {id: "/legacy-1"}, {id: "site-b/"}, {id: "a/b/c"},
	} {
		site, name, err := ParseID(tc.id)
		if (err == nil) != tc.ok || site != tc.site || name != tc.name {
			t.Errorf("ParseID(%q) = %q, %q, %v; want %q, %q, ok=%v", tc.id, site, name, err, tc.site, tc.name, tc.ok)
		}
	}
}

// TestSecretRoundTrip checks that the Secret written for a spec reads back
// as that spec without its token, which only the config key holds, and
// that it is up to date with the spec but not with a new token version.
func TestSecretRoundTrip(t *testing.T) {
	want := validSpec()
	sec, err := desiredSecret(want, "argocd", want.Token)
	if err != nil {
		t.Fatal(err)
	}
	if sec.Name != "mc-registration.legacy-1" || sec.Namespace != "argocd" || !owns(sec, "site-b", "legacy-1") || owns(sec, "site-a", "legacy-1") {
		t.Errorf("Secret %s/%s labels %v: not the registration's", sec.Namespace, sec.Name, sec.Labels)
	}
	got := specOf(sec, "site-b")
	wantObserved := want
	wantObserved.Token = ""
	if diff := cmp.Diff(wantObserved, got); diff != "" {
		t.Errorf("specOf(desiredSecret()) (-want +got):\n%s", diff)
	}
	if !upToDate(want, got) {
		t.Error("upToDate(spec, its own Secret) = false")
	}
	if !upToDate(Spec{}, got) {
		t.Error("upToDate(zero spec, Secret) = false: an import is up to date")
	}
	for name, change := range map[string]func(*Spec){
		"token version": func(s *Spec) { s.TokenVersion++ },
		"server":        func(s *Spec) { s.Server = "https://10.0.0.2:6443" },
		"ca":            func(s *Spec) { s.CACertificate = "another CA bundle" },
		"namespaces":    func(s *Spec) { s.Namespaces = nil },
		"labels":        func(s *Spec) { s.Labels = map[string]string{"env": "dev"} },
	} {
		next := want
		change(&next)
		if upToDate(next, got) {
			t.Errorf("upToDate() after a change of %s = true", name)
		}
	}
	for _, v := range sec.Data {
		if string(v) == want.Token {
			t.Error("the token is a key of its own; want it only inside config")
		}
	}
}
