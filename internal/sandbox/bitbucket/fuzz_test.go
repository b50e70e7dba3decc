package bitbucketsim_test

import (
	"net/http"
	"testing"

	bitbucketsim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/bitbucket"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/simfuzz"
)

// FuzzRequests sends the Bitbucket simulator fuzzed requests, seeded from
// the API calls the provider makes: no panic, no 5xx, and a rejected
// request changes nothing.
func FuzzRequests(f *testing.F) {
	for _, seed := range []struct {
		method uint8
		target string
		body   string
	}{
		{1, "/2.0/workspaces/" + ws + "/projects", `{"key":"SHOP","name":"Shop","is_private":true}`},
		{1, "/2.0/workspaces/" + ws + "/projects", `{"key":"shop-1","name":""}`},
		{2, "/2.0/workspaces/" + ws + "/projects/WEB", `{"key":"WEB","name":"Web 2"}`},
		{4, "/2.0/workspaces/" + ws + "/projects/WEB", ``},
		{1, "/2.0/repositories/" + ws + "/shop", `{"scm":"git","is_private":true,"project":{"key":"WEB"}}`},
		{2, "/2.0/repositories/" + ws + "/shop", `{"description":"x"}`},
		{2, "/2.0/workspaces/" + ws + "/projects/WEB/permissions-config/users/" + alice, `{"permission":"write"}`},
		{2, "/2.0/workspaces/" + ws + "/projects/WEB/permissions-config/groups/devs", `{"permission":"owner"}`},
		{1, "/2.0/repositories/" + ws + "/shop/branch-restrictions", `{"kind":"push","pattern":"main","users":[]}`},
		{1, "/2.0/repositories/" + ws + "/shop/hooks", `{"url":"https://ci.example/hook","events":["repo:push"],"active":true}`},
		{0, "/2.0/repositories/" + ws + "?pagelen=0&page=-1&q=name%20~%20", ``},
		{1, "/2.0/workspaces/" + ws + "/projects", `{"key":`},
	} {
		f.Add(seed.method, seed.target, []byte(seed.body), false)
	}
	f.Fuzz(func(t *testing.T, method uint8, target string, body []byte, anonymous bool) {
		s := bitbucketsim.New(bitbucketsim.Options{Username: user, Password: pass, GitRoot: t.TempDir()})
		defer s.Close()
		sim := simfuzz.Sim{
			Handler: s,
			Auth:    func(r *http.Request) { r.SetBasicAuth(user, pass) },
			State: []string{"/2.0/workspaces/" + ws + "/projects?pagelen=100", "/2.0/repositories/" + ws + "?pagelen=100",
				"/2.0/workspaces/" + ws + "/projects/WEB/permissions-config/users?pagelen=100",
				"/2.0/workspaces/" + ws + "/projects/WEB/permissions-config/groups?pagelen=100",
				"/2.0/repositories/" + ws + "/shop/branch-restrictions?pagelen=100", "/2.0/repositories/" + ws + "/shop/hooks?pagelen=100"},
		}
		sim.Check(t, 1, "/2.0/workspaces/"+ws+"/projects", []byte(`{"key":"WEB","name":"Web","is_private":true}`), false)
		sim.Check(t, 1, "/2.0/repositories/"+ws+"/shop", []byte(`{"scm":"git","is_private":true,"project":{"key":"WEB"}}`), false)
		sim.Check(t, method, target, body, anonymous)
	})
}
