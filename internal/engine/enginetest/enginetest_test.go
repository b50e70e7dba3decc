package enginetest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"testing"
)

// envBug names the bug of the widget client TestWidgetConformance runs with;
// TestConformanceFailsBrokenClients sets it in a child test process.
const envBug = "ENGINETEST_WIDGET_BUG"

// TestWidgetConformance runs the suite against the fake widget kind: a
// correct client passes it.
func TestWidgetConformance(t *testing.T) {
	Conformance(t, widgetKind(t, os.Getenv(envBug)))
}

// TestConformanceFailsBrokenClients runs the suite against broken widget
// clients, each in a child test process, and checks that exactly the
// subtests that check the broken property fail.
func TestConformanceFailsBrokenClients(t *testing.T) {
	if os.Getenv(envBug) != "" {
		t.Skip("in a child process")
	}
	tests := []struct {
		bug      string
		wantFail []string
	}{
		{bugNone, nil},
		{bugCreatesBlindly, []string{"CreateAdoptsAfterLostAnswer", "CreateIsIdempotent"}},
		{bugCreateRefusesExisting, []string{"CreateAdoptsAfterLostAnswer", "CreateIsIdempotent"}},
		{bugCreateIgnoresErrors, []string{"CreateAdoptsAfterLostAnswer"}},
		{bugObserveDropsColor, []string{"ObserveEqualsSpec"}},
		{bugObserveIgnoresDefaults, []string{"CreateAdoptsAfterLostAnswer", "ObserveEqualsSpec", "UpdateImmutableRefused"}},
		{bugDeleteOfMissingFails, []string{"DeleteIsIdempotent"}},
		{bugUpdateResizes, []string{"UpdateImmutableRefused"}},
		{bugUpdateRenames, []string{"UpdateImmutableRefused"}},
		{bugUpdateRefusesUnnamed, []string{"UpdateImmutableRefused"}},
	}
	failed := regexp.MustCompile(`(?m)^\s*--- FAIL: TestWidgetConformance/(\w+) `)
	for _, tc := range tests {
		name := tc.bug
		if name == "" {
			name = "correct"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestWidgetConformance$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), envBug+"="+tc.bug)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if err != nil && !errors.As(err, &exit) {
				t.Fatalf("cannot run the child test process: %v", err)
			}
			var got []string
			for _, m := range failed.FindAllStringSubmatch(string(out), -1) {
				got = append(got, m[1])
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.wantFail) || (err == nil) != (len(tc.wantFail) == 0) {
				t.Errorf("with bug %q the failing subtests are %v (exit %v), want %v; output:\n%s", tc.bug, got, err, tc.wantFail, out)
			}
		})
	}
}

func TestLoseAnswer(t *testing.T) {
	var writes []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			writes = append(writes, r.Method+" "+r.URL.Path)
		}
		if r.URL.Path == "/refused" {
			http.Error(w, "no", http.StatusConflict)
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lose := &LoseAnswer{Cancel: cancel}
	hc := &http.Client{Transport: lose.Wrap(nil)}
	send := func(method, path string) error {
		req, _ := http.NewRequestWithContext(context.Background(), method, srv.URL+path, nil)
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := send(http.MethodGet, "/a"); err != nil || lose.Lost() {
		t.Fatalf("GET: err = %v, lost = %v; want it to pass", err, lose.Lost())
	}
	if err := send(http.MethodPost, "/refused"); err != nil || lose.Lost() {
		t.Fatalf("refused POST: err = %v, lost = %v; want its answer (a failure) to pass", err, lose.Lost())
	}
	err := send(http.MethodPut, "/b")
	if !errors.Is(err, context.Canceled) || lose.LostRequest() != "PUT /b" || ctx.Err() == nil {
		t.Fatalf("first successful write: err = %v, lost %q, ctx %v; want its answer lost and the context cancelled", err, lose.LostRequest(), ctx.Err())
	}
	if err := send(http.MethodPost, "/c"); err != nil {
		t.Fatalf("second write: %v, want it to pass", err)
	}
	if want := []string{"POST /refused", "PUT /b", "POST /c"}; !slices.Equal(writes, want) {
		t.Fatalf("the backend received %v, want %v: a lost answer is lost after the backend acted", writes, want)
	}
}

func TestLoseAnswerMatch(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	lose := &LoseAnswer{Match: func(r *http.Request) bool { return r.URL.Path == "/policies" }}
	hc := &http.Client{Transport: lose.Wrap(nil)}
	for _, path := range []string{"/registries", "/policies"} {
		resp, err := hc.Post(srv.URL+path, "text/plain", nil)
		if err == nil {
			resp.Body.Close()
		}
		if lost := err != nil; lost != (path == "/policies") {
			t.Errorf("POST %s: err = %v", path, err)
		}
	}
}
