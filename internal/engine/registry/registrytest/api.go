// Package registrytest serves a small stand-in of the platform plane's API
// for unit tests of the site registry and the kinds that use it: Secrets
// (the site records) and discovery, with every request counted. It is no
// substitute for the real platform: the platform tests use that.
package registrytest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/rest"
)

// API is the stand-in API server.
type API struct {
	server *httptest.Server

	mu       sync.Mutex
	secrets  map[string]corev1.Secret // by namespace/name
	requests []string
	version  int
}

// New starts an API that serves Kubernetes version v1.36.0 with Cluster
// API's group installed, and stops it when the test ends.
func New(t testing.TB) *API {
	t.Helper()
	a := &API{secrets: map[string]corev1.Secret{}}
	a.server = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.server.Close)
	return a
}

// Config is a client configuration of the API, which speaks JSON only.
func (a *API) Config() *rest.Config {
	return &rest.Config{Host: a.server.URL, ContentConfig: rest.ContentConfig{ContentType: "application/json"}}
}

// Requests returns the requests served since the last Reset, as "METHOD
// path".
func (a *API) Requests() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.requests...)
}

// Reset forgets the requests served so far.
func (a *API) Reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.requests = nil
}

// DeleteSecret deletes a Secret behind the clients' back.
func (a *API) DeleteSecret(namespace, name string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.secrets, namespace+"/"+name)
}

func (a *API) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.requests = append(a.requests, r.Method+" "+r.URL.Path)
	switch r.URL.Path {
	case "/version":
		writeJSON(w, http.StatusOK, map[string]string{"major": "1", "minor": "36", "gitVersion": "v1.36.0"})
		return
	case "/api":
		writeJSON(w, http.StatusOK, metav1.APIVersions{TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: []string{"v1"}})
		return
	case "/apis":
		gv := metav1.GroupVersionForDiscovery{GroupVersion: "cluster.x-k8s.io/v1beta2", Version: "v1beta2"}
		writeJSON(w, http.StatusOK, metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"},
			Groups: []metav1.APIGroup{{Name: "cluster.x-k8s.io", Versions: []metav1.GroupVersionForDiscovery{gv}, PreferredVersion: gv}}})
		return
	}
	// /api/v1/namespaces/<namespace>/secrets[/<name>]
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/api/v1/namespaces/"), "/")
	if !strings.HasPrefix(r.URL.Path, "/api/v1/namespaces/") || len(parts) < 2 || parts[1] != "secrets" {
		notFound(w, r.URL.Path)
		return
	}
	ns := parts[0]
	if len(parts) == 2 {
		switch r.Method {
		case http.MethodGet:
			a.list(w, r, ns)
		case http.MethodPost:
			a.write(w, r, ns, true)
		default:
			notFound(w, r.URL.Path)
		}
		return
	}
	key := ns + "/" + parts[2]
	switch r.Method {
	case http.MethodGet:
		sec, ok := a.secrets[key]
		if !ok {
			notFound(w, parts[2])
			return
		}
		writeJSON(w, http.StatusOK, sec)
	case http.MethodPut:
		a.write(w, r, ns, false)
	case http.MethodDelete:
		if _, ok := a.secrets[key]; !ok {
			notFound(w, parts[2])
			return
		}
		delete(a.secrets, key)
		writeJSON(w, http.StatusOK, metav1.Status{Status: metav1.StatusSuccess})
	default:
		notFound(w, r.URL.Path)
	}
}

func (a *API) list(w http.ResponseWriter, r *http.Request, ns string) {
	sel, err := labels.Parse(r.URL.Query().Get("labelSelector"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, metav1.Status{Status: metav1.StatusFailure, Message: err.Error(), Code: http.StatusBadRequest})
		return
	}
	l := corev1.SecretList{TypeMeta: metav1.TypeMeta{Kind: "SecretList", APIVersion: "v1"}}
	for _, sec := range a.secrets {
		if sec.Namespace == ns && sel.Matches(labels.Set(sec.Labels)) {
			l.Items = append(l.Items, sec)
		}
	}
	writeJSON(w, http.StatusOK, l)
}

func (a *API) write(w http.ResponseWriter, r *http.Request, ns string, create bool) {
	var sec corev1.Secret
	if err := json.NewDecoder(r.Body).Decode(&sec); err != nil {
		writeJSON(w, http.StatusBadRequest, metav1.Status{Status: metav1.StatusFailure, Message: err.Error(), Code: http.StatusBadRequest})
		return
	}
	key := ns + "/" + sec.Name
	if _, exists := a.secrets[key]; create && exists {
		writeJSON(w, http.StatusConflict, metav1.Status{Status: metav1.StatusFailure, Reason: metav1.StatusReasonAlreadyExists, Code: http.StatusConflict,
			Message: fmt.Sprintf("secrets %q already exists", sec.Name)})
		return
	}
	a.version++
	sec.Namespace, sec.ResourceVersion = ns, fmt.Sprint(a.version)
	sec.TypeMeta = metav1.TypeMeta{Kind: "Secret", APIVersion: "v1"}
	a.secrets[key] = sec
	writeJSON(w, http.StatusOK, sec)
}

func notFound(w http.ResponseWriter, name string) {
	writeJSON(w, http.StatusNotFound, metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure, Reason: metav1.StatusReasonNotFound, Code: http.StatusNotFound,
		Message: fmt.Sprintf("%q not found", name),
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
