package harborsim

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// registryTypes are the adapters Harbor ships (replication/adapters).
var registryTypes = []string{"harbor", "docker-registry", "docker-hub", "aws-ecr", "azure-acr", "google-gcr",
	"gitlab", "quay", "jfrog-artifactory", "huawei-SWR", "tencent-tcr", "ali-acr", "github-ghcr", "volcengine-cr", "dtr"}

var credentialTypes = []string{"basic", "oauth", "secret"}

// Endpoint is one side of a replication as the Replicator sees it: the OCI
// registry behind this Harbor (Local) or a registry endpoint.
type Endpoint struct {
	// Name is the registry endpoint's name ("Local" for this Harbor).
	Name string
	// Type is the adapter: "harbor", "docker-registry", ...
	Type string
	// URL is the registry URL.
	URL string
	// Insecure turns off TLS verification.
	Insecure bool
	// Username and Password are the credentials (access key and secret);
	// never log them.
	Username, Password string
	// Local marks this Harbor's own registry.
	Local bool
}

type registry struct {
	id          int64
	name        string
	description string
	url         string
	typ         string
	insecure    bool
	credType    string
	accessKey   string
	secret      string
	status      string
	created     time.Time
	updated     time.Time
}

func (g *registry) endpoint() Endpoint {
	return Endpoint{Name: g.name, Type: g.typ, URL: g.url, Insecure: g.insecure, Username: g.accessKey, Password: g.secret}
}

type credentialJSON struct {
	Type         string `json:"type"`
	AccessKey    string `json:"access_key"`
	AccessSecret string `json:"access_secret"`
}

type registryJSON struct {
	ID           int64           `json:"id"`
	Name         string          `json:"name"`
	Description  string          `json:"description"`
	URL          string          `json:"url"`
	Type         string          `json:"type"`
	Insecure     bool            `json:"insecure"`
	Credential   *credentialJSON `json:"credential,omitempty"`
	Status       string          `json:"status"`
	CreationTime time.Time       `json:"creation_time"`
	UpdateTime   time.Time       `json:"update_time"`
}

// registryOut renders a registry with its secret masked, as Harbor does.
func registryOut(g *registry) registryJSON {
	out := registryJSON{ID: g.id, Name: g.name, Description: g.description, URL: g.url, Type: g.typ,
		Insecure: g.insecure, Status: g.status, CreationTime: g.created, UpdateTime: g.updated}
	if g.credType != "" || g.accessKey != "" {
		out.Credential = &credentialJSON{Type: g.credType, AccessKey: g.accessKey}
		if g.secret != "" {
			out.Credential.AccessSecret = "*****"
		}
	}
	return out
}

// localRegistryJSON is how Harbor shows itself on the local side of a policy.
func (s *Server) localRegistryJSON() registryJSON {
	return registryJSON{ID: 0, Name: "Local", Type: "harbor", URL: s.opts.ExternalURL, Status: "healthy"}
}

func validRegistryURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("invalid URL %q: want http(s)://host[:port]", raw)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

type registryReq struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	URL         string `json:"url"`
	Type        string `json:"type"`
	Insecure    bool   `json:"insecure"`
	Credential  *struct {
		Type         string `json:"type"`
		AccessKey    string `json:"access_key"`
		AccessSecret string `json:"access_secret"`
	} `json:"credential"`
}

func (s *Server) registryByName(name string) *registry {
	for _, g := range s.registries {
		if g.name == name {
			return g
		}
	}
	return nil
}

func (s *Server) createRegistry(w http.ResponseWriter, r *http.Request) {
	if !requireSystem(w, r, "registry", "create") {
		return
	}
	var req registryReq
	if !decode(w, r, &req) {
		return
	}
	if strings.TrimSpace(req.Name) == "" {
		writeError(w, http.StatusBadRequest, codeBadRequest, "name is required")
		return
	}
	u, err := validRegistryURL(req.URL)
	if err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, "%v", err)
		return
	}
	if !slices.Contains(registryTypes, req.Type) {
		writeError(w, http.StatusBadRequest, codeBadRequest, "adapter factory for %s not found", req.Type)
		return
	}
	g := &registry{name: req.Name, description: req.Description, url: u, typ: req.Type, insecure: req.Insecure, status: "healthy"}
	if c := req.Credential; c != nil {
		if c.Type != "" && !slices.Contains(credentialTypes, c.Type) {
			writeError(w, http.StatusBadRequest, codeBadRequest, "invalid credential type %q", c.Type)
			return
		}
		g.credType, g.accessKey, g.secret = c.Type, c.AccessKey, c.AccessSecret
		if g.credType == "" && (g.accessKey != "" || g.secret != "") {
			g.credType = "basic"
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.registryByName(g.name) != nil {
		writeError(w, http.StatusConflict, codeConflict, "registry %s already exists", g.name)
		return
	}
	g.id = s.newID("registry")
	g.created, g.updated = s.now(), s.now()
	s.registries[g.id] = g
	writeCreated(w, r, strconv.FormatInt(g.id, 10))
}

func (s *Server) listRegistries(w http.ResponseWriter, r *http.Request) {
	if !requireSystem(w, r, "registry", "list") {
		return
	}
	q, ok := parseQuery(w, r)
	if !ok {
		return
	}
	name := r.URL.Query().Get("name")
	s.mu.Lock()
	ids := make([]int64, 0, len(s.registries))
	for id := range s.registries {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var out []registryJSON
	for _, id := range ids {
		g := s.registries[id]
		if q.match("name", g.name) && q.match("type", g.typ) && q.match("url", g.url) && (name == "" || strings.Contains(g.name, name)) {
			out = append(out, registryOut(g))
		}
	}
	s.mu.Unlock()
	writePage(w, r, out)
}

// lookupRegistry finds the registry of the path; callers hold s.mu.
func (s *Server) lookupRegistry(w http.ResponseWriter, r *http.Request) *registry {
	return lookupPathID(w, r, s.registries, "registry")
}

func (s *Server) getRegistry(w http.ResponseWriter, r *http.Request) {
	if !requireSystem(w, r, "registry", "read") {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.lookupRegistry(w, r); g != nil {
		writeJSON(w, http.StatusOK, registryOut(g))
	}
}

type registryUpdate struct {
	Name           *string `json:"name"`
	Description    *string `json:"description"`
	URL            *string `json:"url"`
	CredentialType *string `json:"credential_type"`
	AccessKey      *string `json:"access_key"`
	AccessSecret   *string `json:"access_secret"`
	Insecure       *bool   `json:"insecure"`
}

func (s *Server) updateRegistry(w http.ResponseWriter, r *http.Request) {
	if !requireSystem(w, r, "registry", "update") {
		return
	}
	var req registryUpdate
	if !decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.lookupRegistry(w, r)
	if g == nil {
		return
	}
	next := *g
	if req.Name != nil {
		if strings.TrimSpace(*req.Name) == "" {
			writeError(w, http.StatusBadRequest, codeBadRequest, "name is required")
			return
		}
		if other := s.registryByName(*req.Name); other != nil && other.id != g.id {
			writeError(w, http.StatusConflict, codeConflict, "registry %s already exists", *req.Name)
			return
		}
		next.name = *req.Name
	}
	if req.Description != nil {
		next.description = *req.Description
	}
	if req.URL != nil {
		u, err := validRegistryURL(*req.URL)
		if err != nil {
			writeError(w, http.StatusBadRequest, codeBadRequest, "%v", err)
			return
		}
		next.url = u
	}
	if req.CredentialType != nil {
		if !slices.Contains(credentialTypes, *req.CredentialType) {
			writeError(w, http.StatusBadRequest, codeBadRequest, "invalid credential type %q", *req.CredentialType)
			return
		}
		next.credType = *req.CredentialType
	}
	if req.AccessKey != nil {
		next.accessKey = *req.AccessKey
	}
	if req.AccessSecret != nil {
		next.secret = *req.AccessSecret
	}
	if req.Insecure != nil {
		next.insecure = *req.Insecure
	}
	next.updated = s.now()
	*g = next
	writeOK(w)
}

func (s *Server) deleteRegistry(w http.ResponseWriter, r *http.Request) {
	if !requireSystem(w, r, "registry", "delete") {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.lookupRegistry(w, r)
	if g == nil {
		return
	}
	n := 0
	for _, p := range s.policies {
		if p.srcRegistryID == g.id || p.destRegistryID == g.id {
			n++
		}
	}
	if n > 0 {
		writeError(w, http.StatusPreconditionFailed, codePrecondition, "Can't delete registry %d, %d replication policies use it", g.id, n)
		return
	}
	for _, p := range s.projects {
		if p.registryID == g.id {
			writeError(w, http.StatusPreconditionFailed, codePrecondition, "Can't delete registry %d, the proxy cache project %s uses it", g.id, p.name)
			return
		}
	}
	delete(s.registries, g.id)
	writeOK(w)
}

type registryPing struct {
	ID             *int64  `json:"id"`
	Type           *string `json:"type"`
	URL            *string `json:"url"`
	CredentialType *string `json:"credential_type"`
	AccessKey      *string `json:"access_key"`
	AccessSecret   *string `json:"access_secret"`
	Insecure       *bool   `json:"insecure"`
}

func (s *Server) pingRegistry(w http.ResponseWriter, r *http.Request) {
	if !requireSystem(w, r, "registry", "create") {
		return
	}
	var req registryPing
	if !decode(w, r, &req) {
		return
	}
	var ep Endpoint
	if req.ID != nil && *req.ID != 0 {
		s.mu.Lock()
		g := s.registries[*req.ID]
		s.mu.Unlock()
		if g == nil {
			writeError(w, http.StatusNotFound, codeNotFound, "registry %d not found", *req.ID)
			return
		}
		ep = g.endpoint()
	}
	if req.Type != nil {
		ep.Type = *req.Type
	}
	if req.URL != nil {
		u, err := validRegistryURL(*req.URL)
		if err != nil {
			writeError(w, http.StatusBadRequest, codeBadRequest, "%v", err)
			return
		}
		ep.URL = u
	}
	if req.AccessKey != nil {
		ep.Username = *req.AccessKey
	}
	if req.AccessSecret != nil {
		ep.Password = *req.AccessSecret
	}
	if req.Insecure != nil {
		ep.Insecure = *req.Insecure
	}
	if ep.URL == "" {
		writeError(w, http.StatusBadRequest, codeBadRequest, "url is required")
		return
	}
	if !slices.Contains(registryTypes, ep.Type) {
		writeError(w, http.StatusBadRequest, codeBadRequest, "adapter factory for %s not found", ep.Type)
		return
	}
	ping := s.opts.Pinger
	if ping == nil {
		ping = httpPing
	}
	if err := ping(r.Context(), ep); err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, "failed to ping endpoint %s: %v", ep.URL, err)
		return
	}
	writeOK(w)
}

// httpPing checks the OCI distribution base endpoint, GET <url>/v2/: 200, or
// 401 asking for credentials, means a registry answers there.
func httpPing(ctx context.Context, ep Endpoint) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep.URL+"/v2/", nil)
	if err != nil {
		return err
	}
	if ep.Username != "" || ep.Password != "" {
		req.SetBasicAuth(ep.Username, ep.Password)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if ep.Insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for by the endpoint's insecure flag
	}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return fmt.Errorf("unreachable")
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	if resp.StatusCode == http.StatusUnauthorized && ep.Username == "" {
		return nil
	}
	return fmt.Errorf("GET /v2/ answered %d", resp.StatusCode)
}
