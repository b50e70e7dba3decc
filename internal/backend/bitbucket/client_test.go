package bitbucket_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/bitbucket"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/httpclient"
)

var fastRetries = bitbucket.WithHTTPOptions(httpclient.Options{RetryMax: 12, WaitMin: time.Millisecond, WaitMax: 10 * time.Millisecond})

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestNewCloudBaseURL(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.Path)
		fmt.Fprint(w, `{"slug":"ws"}`)
	}))
	defer srv.Close()
	for _, base := range []string{srv.URL, srv.URL + "/", srv.URL + "/2.0", srv.URL + "/2.0/"} {
		if _, err := bitbucket.NewCloud(base, bitbucket.Auth{}).GetWorkspace(ctx(t), "ws"); err != nil {
			t.Fatalf("base %q: GetWorkspace() error = %v", base, err)
		}
	}
	if diff := cmp.Diff([]string{"/2.0/workspaces/ws", "/2.0/workspaces/ws", "/2.0/workspaces/ws", "/2.0/workspaces/ws"}, got); diff != "" {
		t.Fatalf("paths (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"", "api.bitbucket.org", "ftp://x", "https://u:p@api.bitbucket.org"} {
		_, err := bitbucket.NewCloud(bad, bitbucket.Auth{}).GetWorkspace(ctx(t), "ws")
		if err == nil || strings.Contains(err.Error(), ":p@") {
			t.Errorf("base %q: error = %v, want a URL error without the password", bad, err)
		}
	}
}

// TestListFollowsNext checks that a list asks for pagelen=100 and follows
// next links, whatever their form, to the last page.
func TestListFollowsNext(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("pagelen") != "100" {
			t.Errorf("pagelen = %q, want 100", r.URL.Query().Get("pagelen"))
		}
		p, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if p == 0 {
			p = 1
		}
		next := ""
		if p < 3 {
			next = fmt.Sprintf(`,"next":"%s/2.0/workspaces/ws/projects?pagelen=100&page=%d"`, srv.URL, p+1)
		}
		fmt.Fprintf(w, `{"pagelen":100,"page":%d,"size":3,"values":[{"key":"P%d"}]%s}`, p, p, next)
	}))
	defer srv.Close()
	ps, err := bitbucket.NewCloud(srv.URL, bitbucket.Auth{}).ListProjects(ctx(t), "ws")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, p := range ps {
		keys = append(keys, p.Key)
	}
	if diff := cmp.Diff([]string{"P1", "P2", "P3"}, keys); diff != "" {
		t.Fatalf("keys (-want +got):\n%s", diff)
	}
}

func TestErrorBody(t *testing.T) {
	tests := []struct {
		name          string
		status        int
		body          string
		wantMessages  []string
		notFound      bool
		alreadyExists bool
	}{
		{"not found", 404, `{"type":"error","error":{"message":"Project not found"}}`, []string{"Project not found"}, true, false},
		{"duplicate project", 400, `{"type":"error","error":{"message":"Bad request","fields":{"__all__":["Project with this Owner and Key already exists."]}}}`,
			[]string{"Bad request", "Project with this Owner and Key already exists."}, false, true},
		{"duplicate repository", 400, `{"type":"error","error":{"message":"Repository with this Slug and Owner already exists.","fields":{"name":["You already have a repository with this name."]}}}`,
			[]string{"Repository with this Slug and Owner already exists.", "name: You already have a repository with this name."}, false, true},
		{"invalid key", 400, `{"type":"error","error":{"message":"Bad request","fields":{"key":"Project keys must start with a letter"}}}`,
			[]string{"Bad request", "key: Project keys must start with a letter"}, false, false},
		{"detail object", 403, `{"type":"error","error":{"message":"Forbidden","detail":{"required":["admin"]}}}`,
			[]string{"Forbidden", `{"required":["admin"]}`}, false, false},
		{"no body", 502, ``, nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			}))
			defer srv.Close()
			c := bitbucket.NewCloud(srv.URL, bitbucket.Auth{}, bitbucket.WithHTTPOptions(httpclient.Options{RetryMax: 1, WaitMin: time.Millisecond, WaitMax: time.Millisecond}))
			_, err := c.GetProject(ctx(t), "ws", "KEY")
			var be *bitbucket.Error
			if !errors.As(err, &be) {
				t.Fatalf("error = %v, want *bitbucket.Error", err)
			}
			if be.StatusCode != tt.status || be.Method != http.MethodGet || be.Path != "/2.0/workspaces/ws/projects/KEY" {
				t.Errorf("error = %d %s %s, want %d GET /2.0/workspaces/ws/projects/KEY", be.StatusCode, be.Method, be.Path, tt.status)
			}
			if diff := cmp.Diff(tt.wantMessages, be.Messages()); diff != "" {
				t.Errorf("messages (-want +got):\n%s", diff)
			}
			if bitbucket.IsNotFound(err) != tt.notFound || bitbucket.IsAlreadyExists(err) != tt.alreadyExists {
				t.Errorf("IsNotFound = %v, IsAlreadyExists = %v; want %v, %v", bitbucket.IsNotFound(err), bitbucket.IsAlreadyExists(err), tt.notFound, tt.alreadyExists)
			}
		})
	}
}

// TestRetriesHonourRetryAfterAndHideTheToken checks that a 429 is retried
// and that neither errors nor the request URL carry the token.
func TestRetriesHonourRetryAfterAndHideTheToken(t *testing.T) {
	const token = "ATBB-very-secret-token"
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, _ := r.BasicAuth()
		if u != "bot" || p != token || strings.Contains(r.URL.String(), token) {
			t.Errorf("request %s has credentials %q/%q, want basic auth bot/<token> only", r.URL, u, p)
		}
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"type":"error","error":{"message":"Rate limit for this resource has been exceeded"}}`)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"type":"error","error":{"message":"you sent %s"}}`, token)
	}))
	defer srv.Close()
	c := bitbucket.NewCloud(srv.URL, bitbucket.Auth{Username: "bot", Token: token}, fastRetries)
	_, err := c.CreateProject(ctx(t), "ws", bitbucket.ProjectInput{Key: "ABC", Name: "abc"})
	if err == nil || strings.Contains(err.Error(), token) || !bitbucket.IsBadRequest(err) {
		t.Fatalf("error = %v, want a 400 without the token", err)
	}
	if calls.Load() != 2 {
		t.Fatalf("%d calls, want 2 (one 429, one retry)", calls.Load())
	}
}
