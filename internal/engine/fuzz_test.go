package engine_test

import (
	"net/url"
	"strings"
	"testing"
	"unicode"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/application"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/applicationdeployment"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/cluster"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/clusterregistration"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/helmrelease"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/imagereplication"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/projectmember"
	"github.com/mcplatform/terraform-provider-mc/internal/redact"
)

// FuzzImportIDs feeds every kind's import id parser: none panics, and an
// id that parses is the id of what it parsed to, so that an import finds
// the object the id names and nothing else.
func FuzzImportIDs(f *testing.F) {
	for _, seed := range []string{
		"site-b/default/web", "site-b/edge-1", "site-b/edge-to-hub", "WEB/shop", "site-b/WEB/shop/edge-1",
		"site-b/edge-1/ingress/ingress", "SHOP/557058:0000000a-0000-4000-8000-00000000a11c",
		"SHOP/group:platform-devs#harbor_group=devs", "SHOP/alice#harbor_user=alice", "a//b", "/", "", "SHOP/#",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if s, ns, n, err := cluster.ParseID(id); err == nil {
			if got := cluster.ID(cluster.Spec{Site: s, Namespace: ns, Name: n}); got != id {
				t.Errorf("cluster: ParseID(%q) gives id %q", id, got)
			}
		}
		check2 := func(kind string, parse func(string) (string, string, error)) {
			if a, b, err := parse(id); err == nil && a+"/"+b != id {
				t.Errorf("%s: ParseID(%q) = %q, %q", kind, id, a, b)
			}
		}
		check2("cluster registration", clusterregistration.ParseID)
		check2("image replication", imagereplication.ParseID)
		check2("application", application.ParseID)
		check2("application (deployment)", applicationdeployment.SplitApplication)
		if s, a, c, err := applicationdeployment.ParseID(id); err == nil {
			if got := (applicationdeployment.Spec{Site: s, Application: a, Cluster: c}).ID(); got != id {
				t.Errorf("application deployment: ParseID(%q) gives id %q", id, got)
			}
		}
		if s, err := helmrelease.ParseID(id); err == nil && s.ID() != id {
			t.Errorf("helm release: ParseID(%q) gives id %q", id, s.ID())
		}
		if s, err := projectmember.ParseID(id); err == nil {
			// A Harbor identity after '#' that is neither kind is refused;
			// what parses must name the same member again.
			again, err := projectmember.ParseID(s.ID())
			if err != nil || again != s {
				t.Errorf("project member: ParseID(%q) = %+v, whose id %q parses to %+v, %v", id, s, s.ID(), again, err)
			}
		}
	})
}

// FuzzCheckURL checks that CheckURL never panics and that a URL it accepts
// has no white space, no credentials (redacting it changes nothing) and a
// scheme it allows; its errors never carry a password of the URL.
func FuzzCheckURL(f *testing.F) {
	for _, seed := range []string{
		"https://harbor.site-b.example", "https://u:secret@h.example", "https://h.example:0", "https://h.example:70000",
		"https://bitbucket.org/a/b/src/main", "oci://harbor.example/charts/x", "https://h.example/index.yaml",
		"https://h.example?token=abc", " https://h.example", "https://h.example/%zz", "http://[::1]:6443", "https://h:",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		err := engine.CheckURL(raw, engine.ChartRepositoryURL)
		if err == nil {
			if strings.IndexFunc(raw, unicode.IsSpace) >= 0 {
				t.Errorf("CheckURL(%q) accepts white space", raw)
			}
			if redact.URL(raw) != raw {
				t.Errorf("CheckURL(%q) accepts a URL with credentials", raw)
			}
			return
		}
		if u, perr := url.Parse(raw); perr == nil && u.User != nil {
			if pw, ok := u.User.Password(); ok && len(pw) >= 4 && strings.Contains(err.Error(), pw) {
				t.Errorf("CheckURL(%q) = %v: the error carries the password", raw, err)
			}
		}
	})
}

// FuzzCheckBranchName checks that CheckBranchName never panics and that
// what it accepts keeps git's simplest rules.
func FuzzCheckBranchName(f *testing.F) {
	for _, seed := range []string{"main", "feature/x", "a..b", "x.lock", "-x", "a b", "a@{1}", "refs/.x", "v1.", "HEAD", "@"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if engine.CheckBranchName(name) != nil {
			return
		}
		if name == "" || strings.Contains(name, "..") || strings.ContainsAny(name, " ~^:?*[\\\x00\x7f") ||
			strings.HasSuffix(name, ".") || strings.HasSuffix(name, "/") || strings.HasPrefix(name, "-") {
			t.Errorf("CheckBranchName(%q) accepts a name git refuses", name)
		}
	})
}
