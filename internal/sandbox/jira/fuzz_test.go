package jirasim_test

import (
	"net/http"
	"testing"

	jirasim "github.com/mcplatform/terraform-provider-mc/internal/sandbox/jira"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/simfuzz"
)

// FuzzRequests sends the Jira simulator fuzzed requests, seeded from the
// API calls the provider makes: no panic, no 5xx, and a rejected request
// changes nothing.
func FuzzRequests(f *testing.F) {
	for _, seed := range []struct {
		method uint8
		target string
		body   string
	}{
		{1, "/rest/api/3/project", createPAY},
		{1, "/rest/api/3/project", `{"key":"pay","name":"P","leadAccountId":"x","projectTypeKey":"software"}`},
		{2, "/rest/api/3/project/SHOP", `{"name":"Shop 2","description":"d"}`},
		{4, "/rest/api/3/project/SHOP", ``},
		{1, "/rest/api/3/project/SHOP/restore", ``},
		{1, "/rest/api/3/project/SHOP/role/10002", `{"user":["` + jirasim.AliceAccountID + `"]}`},
		{4, "/rest/api/3/project/SHOP/role/10002?user=" + jirasim.AliceAccountID, ``},
		{0, "/rest/api/3/project/search?startAt=-1&maxResults=0", ``},
		{0, "/rest/api/3/group/member?groupname=&startAt=x", ``},
		{1, "/rest/api/3/project", `{"key":`},
	} {
		f.Add(seed.method, seed.target, []byte(seed.body), false)
	}
	f.Fuzz(func(t *testing.T, method uint8, target string, body []byte, anonymous bool) {
		sim := simfuzz.Sim{
			Handler: newSim(t),
			Auth:    func(r *http.Request) { r.SetBasicAuth(email, token) },
			State:   []string{"/rest/api/3/project/search?maxResults=100&status=live&status=archived&status=deleted", "/rest/api/3/project/SHOP/role/10002"},
		}
		sim.Check(t, 1, "/rest/api/3/project", []byte(`{"key":"SHOP","name":"Shop","leadAccountId":"`+jirasim.AliceAccountID+`","projectTypeKey":"software"}`), false)
		sim.Check(t, method, target, body, anonymous)
	})
}
