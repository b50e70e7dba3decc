package harborsim

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
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
	// CACertificate is PEM: CA certificates trusted besides the system's
	// (Harbor v2.15+); when set, Insecure is not used, as in Harbor's
	// GetHTTPTransport.
	CACertificate string
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
	caCert      string // v2.15+
	credType    string
	accessKey   string
	secret      string
	status      string
	created     time.Time
	updated     time.Time
}

func (g *registry) endpoint() Endpoint {
	return Endpoint{Name: g.name, Type: g.typ, URL: g.url, Insecure: g.insecure, CACertificate: g.caCert,
		Username: g.accessKey, Password: g.secret}
}

type credentialJSON struct {
	Type         string `json:"type,omitempty"`
	AccessKey    string `json:"access_key,omitempty"`
	AccessSecret string `json:"access_secret,omitempty"`
}

type registryJSON struct {
	ID           int64           `json:"id"`
	Name         string          `json:"name"`
	Description  string          `json:"description"`
	URL          string          `json:"url"`
	Type         string          `json:"type"`
	Insecure     bool            `json:"insecure"`
	CACert       string          `json:"ca_certificate,omitempty"`
	Credential   *credentialJSON `json:"credential,omitempty"`
	Status       string          `json:"status"`
	CreationTime time.Time       `json:"creation_time"`
	UpdateTime   time.Time       `json:"update_time"`
}

// storeCredential keeps the credential as Harbor's registry manager stores
// it (src/pkg/reg/manager.go, toDaoModel): only with an access key, the
// type "basic" when none is given (Harbor checks no type).
func (g *registry) storeCredential() {
	if g.accessKey == "" {
		g.credType, g.secret = "", ""
		return
	}
	if g.credType == "" {
		g.credType = "basic"
	}
}

// registryOut renders a registry with its secret masked, as Harbor's
// convertRegistry does; the credential is always there, empty when the
// registry has none.
func registryOut(g *registry) registryJSON {
	out := registryJSON{ID: g.id, Name: g.name, Description: g.description, URL: g.url, Type: g.typ,
		Insecure: g.insecure, CACert: g.caCert, Status: g.status, CreationTime: g.created, UpdateTime: g.updated,
		Credential: &credentialJSON{Type: g.credType, AccessKey: g.accessKey}}
	if g.secret != "" {
		out.Credential.AccessSecret = "*****"
	}
	return out
}

// localRegistryJSON is how Harbor shows itself on the local side of a policy.
func (s *Server) localRegistryJSON() registryJSON {
	return registryJSON{ID: 0, Name: "Local", Type: "harbor", URL: s.opts.ExternalURL, Status: "healthy"}
}

// validateHTTPURL is Harbor's lib.ValidateHTTPURL (src/lib/endpoint.go,
// unchanged v2.7 to v2.15): spaces and trailing slashes trimmed, "http://"
// prepended when there is no scheme, http or https only, and the URL cut
// down to scheme://host/path (no user info, query or fragment).
func validateHTTPURL(raw string) (string, error) {
	v := strings.TrimRight(strings.Trim(raw, " "), "/")
	if v == "" {
		return "", fmt.Errorf("empty string")
	}
	if !strings.Contains(v, "://") {
		v = "http://" + v
	}
	u, err := url.Parse(v)
	if err != nil {
		return "", fmt.Errorf("invalid URL: %s", err.Error())
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("invalid HTTP scheme: %s", u.Scheme)
	}
	return fmt.Sprintf("%s://%s%s", u.Scheme, u.Host, u.Path), nil
}

// maxRegistryNameLength is the controller's limit on registry names
// (src/controller/registry/controller.go, validate).
const maxRegistryNameLength = 64

// validateRegistry is the registry controller's validate (v2.7 to v2.15):
// the name, the URL, then the health check. It answers itself when the
// registry is refused; it must not be called with s.mu held, as the health
// check goes over the network.
func (s *Server) validateRegistry(w http.ResponseWriter, r *http.Request, g *registry) bool {
	if g.name == "" {
		writeError(w, http.StatusBadRequest, codeBadRequest, "name cannot be empty")
		return false
	}
	if len(g.name) > maxRegistryNameLength {
		writeError(w, http.StatusBadRequest, codeBadRequest, "the max length of name is %d", maxRegistryNameLength)
		return false
	}
	u, err := validateHTTPURL(g.url)
	if err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, "%v", err)
		return false
	}
	g.url = u
	return s.checkHealth(w, r, g.endpoint())
}

// ErrUnreachable marks a health-check failure that happens before the check
// proper: Harbor cannot create the adapter, because the type is unknown or,
// for a Harbor, GET <url>/api/version failed (the remote is unreachable, or
// its TLS certificate is not trusted). Harbor answers these with 500; any
// other health-check failure is a 400 "the registry is unhealthy".
var ErrUnreachable = errors.New("cannot create the registry adapter")

// checkHealth is the registry controller's IsHealthy: create the adapter,
// then its HealthCheck. It answers 500 (Harbor's "internal server error")
// when the adapter cannot be made, 400 "the registry is unhealthy" when the
// check fails, and reports whether the registry is healthy.
func (s *Server) checkHealth(w http.ResponseWriter, r *http.Request, ep Endpoint) bool {
	if !slices.Contains(registryTypes, ep.Type) {
		// adapter.GetFactory answers a plain error, which Harbor hides
		// behind a 500.
		writeError(w, http.StatusInternalServerError, codeUnknown, "internal server error")
		return false
	}
	check := s.opts.Pinger
	if check == nil {
		check = HealthCheck
	}
	if err := check(r.Context(), ep); err != nil {
		if errors.Is(err, ErrUnreachable) {
			writeError(w, http.StatusInternalServerError, codeUnknown, "internal server error")
			return false
		}
		writeError(w, http.StatusBadRequest, codeBadRequest, "the registry is unhealthy")
		return false
	}
	return true
}

type registryReq struct {
	Name        string  `json:"name"`
	Description string  `json:"description"`
	URL         string  `json:"url"`
	Type        string  `json:"type"`
	Insecure    bool    `json:"insecure"`
	CACert      *string `json:"ca_certificate"`
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
	g := &registry{name: req.Name, description: req.Description, url: req.URL, typ: req.Type, insecure: req.Insecure, status: "healthy"}
	if !s.takeCACert(w, req.CACert, &g.caCert) {
		return
	}
	if c := req.Credential; c != nil {
		g.credType, g.accessKey, g.secret = c.Type, c.AccessKey, c.AccessSecret
	}
	if !s.validateRegistry(w, r, g) {
		return
	}
	g.storeCredential()
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
	CACert         *string `json:"ca_certificate"`
}

// updateRegistry applies the fields sent onto the stored registry, then
// validates and health-checks the result as on create (the handler's
// UpdateRegistry and the controller's Update).
func (s *Server) updateRegistry(w http.ResponseWriter, r *http.Request) {
	if !requireSystem(w, r, "registry", "update") {
		return
	}
	var req registryUpdate
	if !decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	g := s.lookupRegistry(w, r)
	if g == nil {
		s.mu.Unlock()
		return
	}
	next := *g
	s.mu.Unlock()
	if req.Name != nil {
		next.name = *req.Name
	}
	if req.Description != nil {
		next.description = *req.Description
	}
	if req.URL != nil {
		next.url = *req.URL
	}
	if req.Insecure != nil {
		next.insecure = *req.Insecure
	}
	if !s.takeCACert(w, req.CACert, &next.caCert) {
		return
	}
	if req.CredentialType != nil {
		next.credType = *req.CredentialType
	}
	if req.AccessKey != nil {
		next.accessKey = *req.AccessKey
	}
	if req.AccessSecret != nil {
		next.secret = *req.AccessSecret
	}
	if !s.validateRegistry(w, r, &next) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.registries[g.id] != g {
		writeError(w, http.StatusNotFound, codeNotFound, "registry %d not found", g.id)
		return
	}
	if other := s.registryByName(next.name); other != nil && other.id != g.id {
		writeError(w, http.StatusConflict, codeConflict, "registry %s already exists", next.name)
		return
	}
	next.storeCredential()
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
	CACert         *string `json:"ca_certificate"`
}

// pingRegistry is the handler's PingRegistry: the stored registry (by id)
// with the fields sent laid over it, health-checked as on create.
func (s *Server) pingRegistry(w http.ResponseWriter, r *http.Request) {
	if !requireSystem(w, r, "registry", "read") {
		return
	}
	var req registryPing
	if !decode(w, r, &req) {
		return
	}
	var ep Endpoint
	if req.ID != nil {
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
		u, err := validateHTTPURL(*req.URL)
		if err != nil {
			writeError(w, http.StatusBadRequest, codeBadRequest, "%v", err)
			return
		}
		ep.URL = u
	}
	if req.Insecure != nil {
		ep.Insecure = *req.Insecure
	}
	if req.AccessKey != nil {
		ep.Username = *req.AccessKey
	}
	if req.AccessSecret != nil {
		ep.Password = *req.AccessSecret
	}
	if !s.takeCACert(w, req.CACert, &ep.CACertificate) {
		return
	}
	if ep.Type == "" || ep.URL == "" {
		writeError(w, http.StatusBadRequest, codeBadRequest, "type or url cannot be empty")
		return
	}
	if s.checkHealth(w, r, ep) {
		writeOK(w)
	}
}

// HealthCheck checks a registry endpoint as Harbor core does when it
// creates, updates or pings one, from this process's point of view, with
// the endpoint's credentials and its insecure flag for TLS:
//   - for a Harbor (type "harbor"), the adapter factory first asks
//     GET <url>/api/version (src/pkg/reg/adapter/harbor/base/client.go,
//     GetAPIVersion); a 404 means Harbor 1.x, any other failure (no answer,
//     an untrusted certificate, another status) fails the adapter's
//     creation, reported as ErrUnreachable (Harbor's 500);
//   - then the adapter's HealthCheck pings GET <url>/v2/
//     (src/pkg/reg/adapter/native/adapter.go): with credentials it must
//     answer 2xx, without any a 401 or 403 is healthy too (PingSimple).
//     Any failure there is unhealthy (Harbor's 400).
func HealthCheck(ctx context.Context, ep Endpoint) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	tr := endpointTransport(ep)
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	get := func(path string) (int, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep.URL+path, nil)
		if err != nil {
			return 0, err
		}
		if ep.Username != "" || ep.Password != "" {
			req.SetBasicAuth(ep.Username, ep.Password)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	if ep.Type == "harbor" {
		code, err := get("/api/version")
		switch {
		case err != nil:
			return fmt.Errorf("%w: GET /api/version: %v", ErrUnreachable, err)
		case code != http.StatusNotFound && (code < 200 || code > 299):
			return fmt.Errorf("%w: GET /api/version answered %d", ErrUnreachable, code)
		}
	}
	code, err := get("/v2/")
	if err != nil {
		return fmt.Errorf("GET /v2/: %v", err)
	}
	withCredentials := ep.Username != "" || ep.Password != ""
	if code >= 200 && code <= 299 || (!withCredentials && (code == http.StatusUnauthorized || code == http.StatusForbidden)) {
		return nil
	}
	return fmt.Errorf("GET /v2/ answered %d", code)
}

type filterStyleJSON struct {
	Type   string   `json:"type"`
	Style  string   `json:"style"`
	Values []string `json:"values,omitempty"`
}

type registryInfoJSON struct {
	Type                     string            `json:"type"`
	Description              string            `json:"description"`
	SupportedResourceFilters []filterStyleJSON `json:"supported_resource_filters"`
	SupportedTriggers        []string          `json:"supported_triggers"`
	SupportedCopyByChunk     *bool             `json:"supported_copy_by_chunk,omitempty"`
}

// registryInfo answers GET /registries/{id}/info as the registry controller's
// GetInfo and the adapters' Info do (src/controller/registry/controller.go,
// src/pkg/reg/adapter/harbor/base/adapter.go and v2/adapter.go,
// src/pkg/reg/adapter/native/adapter.go): every remote adapter supports the
// manual and scheduled triggers only; the event-based trigger is this
// Harbor's alone (id 0). Harbor would ask the remote Harbor for its version
// and labels; the simulator answers from the type alone.
func (s *Server) registryInfo(w http.ResponseWriter, r *http.Request) {
	if !requireSystem(w, r, "registry", "read") {
		return
	}
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	typ := "harbor"
	if id != 0 {
		s.mu.Lock()
		g := s.registries[id]
		s.mu.Unlock()
		if g == nil {
			writeError(w, http.StatusNotFound, codeNotFound, "registry %d not found", id)
			return
		}
		typ = g.typ
	}
	info := registryInfoJSON{Type: typ, SupportedTriggers: []string{"manual", "scheduled"},
		SupportedResourceFilters: []filterStyleJSON{{Type: "name", Style: "input"}, {Type: "tag", Style: "input"}}}
	resources := []string{"image"}
	if typ == "harbor" {
		info.SupportedResourceFilters = append(info.SupportedResourceFilters, filterStyleJSON{Type: "label", Style: "list"})
		resources = append(resources, "artifact")
		chunk := true
		info.SupportedCopyByChunk = &chunk
	}
	info.SupportedResourceFilters = append(info.SupportedResourceFilters, filterStyleJSON{Type: "resource", Style: "radio", Values: resources})
	if id == 0 {
		info.SupportedTriggers = append(info.SupportedTriggers, "event_based")
	}
	writeJSON(w, http.StatusOK, info)
}

// endpointTransport is Harbor's GetHTTPTransport for an endpoint
// (src/common/http/transport.go): its CA certificates added to the
// system's when it has any (v2.15+), else no verification when insecure,
// else the system's CAs.
func endpointTransport(ep Endpoint) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	switch {
	case ep.CACertificate != "":
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if certs, err := parseCertificates(ep.CACertificate); err == nil {
			for _, c := range certs {
				pool.AddCert(c)
			}
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	case ep.Insecure:
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for by the endpoint's insecure flag
	}
	return tr
}

// parseCertificates parses the CERTIFICATE blocks of PEM data, as Harbor's
// parseCertificatesFromPEM does.
func parseCertificates(data string) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := []byte(strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(data, "\r\n", "\n"), "\r", "\n")))
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("failed to parse certificate: %v", err)
		}
		certs = append(certs, c)
	}
	return certs, nil
}

// takeCACert sets *dst from a ca_certificate sent, validated as Harbor's
// ValidateCACertificate does (400 when it holds no certificate). Harbor
// before v2.15 has no such field and ignores it. It answers itself and
// reports false when the certificate is refused.
func (s *Server) takeCACert(w http.ResponseWriter, v *string, dst *string) bool {
	if v == nil || !s.atLeast(2, 15) {
		return true
	}
	if strings.TrimSpace(*v) != "" {
		certs, err := parseCertificates(*v)
		if err != nil {
			writeError(w, http.StatusBadRequest, codeBadRequest, "invalid CA certificate: %v", err)
			return false
		}
		if len(certs) == 0 {
			writeError(w, http.StatusBadRequest, codeBadRequest, "invalid CA certificate: no valid certificates found in PEM data")
			return false
		}
	}
	*dst = *v
	return true
}
