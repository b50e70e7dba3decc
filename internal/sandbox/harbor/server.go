package harborsim

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/simfault"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

const apiPrefix = "/api/v2.0"

// Harbor's error codes (lib/errors).
const (
	codeBadRequest    = "BAD_REQUEST"
	codeUnauthorized  = "UNAUTHORIZED"
	codeForbidden     = "FORBIDDEN"
	codeNotFound      = "NOT_FOUND"
	codeConflict      = "CONFLICT"
	codePrecondition  = "PRECONDITION"
	codeUnprocessable = "UNPROCESSABLE_ENTITY"
	codeUnknown       = "UNKNOWN"
)

// DefaultVersion is the Harbor version simulated when Options.Version is
// empty.
const DefaultVersion = "v2.14.3-sim"

// Options configure a simulated Harbor.
type Options struct {
	// AdminUsername and AdminPassword are the system administrator's
	// credentials; defaults "admin" and "Harbor12345" (Harbor's defaults).
	AdminUsername, AdminPassword string
	// Users are further user names known to the database (for project
	// members); the admin is always known.
	Users []string
	// Passwords are the further users' passwords (db_auth) or CLI secrets
	// (oidc_auth), by user name; a user without one cannot log in.
	Passwords map[string]string
	// AuthMode is AuthModeDB (default) or AuthModeOIDC, which changes where
	// the users' credentials are accepted (see authenticate).
	AuthMode string
	// Version is the Harbor version simulated, reported as harbor_version
	// in /systeminfo ("v2.14.3-sim" by default; Harbor reports
	// v<major>.<minor>.<patch>-<commit>). Behaviours that changed between
	// Harbor releases follow it (see the package documentation).
	Version string
	// ExternalURL is this Harbor's URL as clients see it; Start fills it.
	ExternalURL string
	// Registry is the OCI registry behind this Harbor: the local side of
	// replications.
	Registry Endpoint
	// Replicator copies images for replication executions; nil makes every
	// execution with something to copy fail with "no replicator configured".
	// OCIReplicator is the real one.
	Replicator Replicator
	// SyncRegistry lists Registry (through the Replicator) before answering
	// artifact requests and before replicating from this Harbor, so that
	// images pushed straight into the registry are known (see SyncRegistry).
	SyncRegistry bool
	// Pinger health-checks a registry endpoint on POST /registries,
	// PUT /registries/{id} and POST /registries/ping, as Harbor core does;
	// nil uses HealthCheck (the real check over the network). An error
	// wrapping ErrUnreachable is answered 500, any other 400 "the registry
	// is unhealthy".
	Pinger func(ctx context.Context, ep Endpoint) error
	// Vulnerabilities is the scanner's vulnerability list (see scan.go):
	// no vulnerability database can be downloaded here.
	Vulnerabilities []Vulnerability
	// VulnerabilityFile is a JSON list of further Vulnerability entries,
	// re-read at every scan (AddVulnerabilities writes it); entries there
	// replace those of Vulnerabilities with the same id.
	VulnerabilityFile string
	// Now returns the time; nil uses time.Now. Scheduled policies fire by
	// it (see RunSchedules).
	Now func() time.Time
}

// Server is the simulated Harbor; it implements http.Handler.
type Server struct {
	opts   Options
	mux    *http.ServeMux
	faults *simfault.Injector
	proxy  *httputil.ReverseProxy // to Options.Registry, below /v2/

	mu         sync.Mutex
	nextID     map[string]int64
	users      map[string]int64 // username -> user id
	passwords  map[string]string
	projects   map[int64]*project
	registries map[int64]*registry
	policies   map[int64]*policy
	executions map[int64]*execution
	tasks      map[int64]*task
	artifacts  map[int64]*artifact
	repos      map[string]*repository // by full name, project/...
	robots     map[int64]*robot
	scans      map[int64]*scanReport // by artifact id: the latest vulnerability report
	stuck      map[int64]bool        // StickExecutions: policy id (0 all) -> stuck
	wg         sync.WaitGroup
	closing    chan struct{}
	closeOnce  sync.Once
}

// New returns a simulated Harbor as freshly installed: the admin user and the
// public project "library".
func New(o Options) *Server {
	if o.AdminUsername == "" {
		o.AdminUsername = "admin"
	}
	if o.AdminPassword == "" {
		o.AdminPassword = "Harbor12345"
	}
	if o.Version == "" {
		o.Version = DefaultVersion
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.AuthMode == "" {
		o.AuthMode = AuthModeDB
	}
	s := &Server{
		opts:       o,
		mux:        http.NewServeMux(),
		faults:     newFaultInjector(),
		nextID:     map[string]int64{},
		users:      map[string]int64{o.AdminUsername: 1},
		passwords:  map[string]string{o.AdminUsername: o.AdminPassword},
		projects:   map[int64]*project{},
		registries: map[int64]*registry{},
		policies:   map[int64]*policy{},
		executions: map[int64]*execution{},
		tasks:      map[int64]*task{},
		artifacts:  map[int64]*artifact{},
		repos:      map[string]*repository{},
		robots:     map[int64]*robot{},
		scans:      map[int64]*scanReport{},
		stuck:      map[int64]bool{},
		closing:    make(chan struct{}),
	}
	s.nextID["user"] = 1
	// A fresh Harbor has the public project "library", owned by the admin.
	lib := &project{id: s.newID("project"), name: "library", ownerID: 1, ownerName: o.AdminUsername, storageLimit: -1,
		metadata: map[string]string{"public": "true"}, created: s.now(), updated: s.now()}
	lib.members = []*member{{id: s.newID("member"), entityID: 1, entityName: o.AdminUsername, entityType: "u", roleID: 1}}
	s.projects[lib.id] = lib
	for _, u := range o.Users {
		if _, ok := s.users[u]; !ok {
			s.users[u] = s.newID("user")
		}
	}
	for _, u := range slices.Sorted(maps.Keys(o.Passwords)) {
		if _, ok := s.users[u]; !ok {
			s.users[u] = s.newID("user")
		}
		if u != o.AdminUsername {
			s.passwords[u] = o.Passwords[u]
		}
	}
	if o.Registry.URL != "" {
		s.proxy = s.newRegistryProxy()
	}
	s.routes()
	s.wg.Add(1)
	go s.runScheduler()
	return s
}

// Instance is a simulated Harbor listening on a TCP address.
type Instance struct {
	// URL is the server URL, e.g. http://127.0.0.1:34567 (append /api/v2.0
	// for the API).
	URL string
	// Server is the simulator, for seeding artifacts and injecting faults.
	Server *Server
	srv    *http.Server
}

// Start listens on addr (e.g. "127.0.0.1:0") and serves a new simulated Harbor.
func Start(addr string, o Options) (*Instance, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s for the Harbor simulator: %w", addr, err)
	}
	u := "http://" + ln.Addr().String()
	if o.ExternalURL == "" {
		o.ExternalURL = u
	}
	s := New(o)
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	return &Instance{URL: u, Server: s, srv: hs}, nil
}

// Close stops the listener and the running executions.
func (i *Instance) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := i.srv.Shutdown(ctx)
	i.Server.Close()
	return err
}

// Close stops running executions (they end Stopped) and waits for them.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closing) })
	s.wg.Wait()
}

func (s *Server) newID(kind string) int64 {
	s.nextID[kind]++
	return s.nextID[kind]
}

func (s *Server) now() time.Time { return s.opts.Now().UTC() }

// ServeHTTP implements http.Handler: faults first, then authentication, then
// the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.faults.Wrap(http.HandlerFunc(s.serve)).ServeHTTP(w, r)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/v2" || strings.HasPrefix(r.URL.Path, "/v2/") {
		s.serveRegistry(w, r)
		return
	}
	if r.URL.Path == "/api/version" && r.Method == http.MethodGet {
		// src/server/route.go GetAPIVersion: the API version, for anyone.
		writeJSON(w, http.StatusOK, map[string]string{"version": "v2.0"})
		return
	}
	_, pattern := s.mux.Handler(r)
	if pattern == "" {
		writeError(w, http.StatusNotFound, codeNotFound, "the requested resource %s was not found", r.URL.Path)
		return
	}
	p := s.authenticate(r)
	// The mux sets the path values while it dispatches.
	s.mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
}

// ---- authentication and authorization

type principalKey struct{}

// principal is who makes a request: the admin, a user, a robot or
// anonymous (nil).
type principal struct {
	admin  bool
	name   string
	userID int64 // users only
	robot  *robot
	roles  map[string]int // users: project name -> role id
}

func principalOf(r *http.Request) *principal {
	p, _ := r.Context().Value(principalKey{}).(*principal)
	return p
}

// Authentication modes (Options.AuthMode), as /systeminfo names them.
const (
	AuthModeDB   = "db_auth"
	AuthModeOIDC = "oidc_auth"
)

// authenticate checks basic credentials as Harbor's security middleware
// does: when no generator accepts them (none given, or wrong ones) the
// request goes on as anonymous (nil), so it fails with 401 wherever
// authentication is required and sees only public projects elsewhere.
//
// The admin (user id 1) logs in with the password in every mode. Robots
// ("robot$...") log in with their secret. Further users log in with their
// password in db_auth mode; in oidc_auth mode with their CLI secret, which
// Harbor's OIDC CLI generator (src/server/middleware/security/oidc_cli.go)
// accepts only on the registry (/v2/, /service/token) and the few API
// requests replication needs (oidcCLIPath): anywhere else, such as the
// registry and replication APIs, the request is anonymous (401).
func (s *Server) authenticate(r *http.Request) *principal {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.HasPrefix(user, "robot$") {
		for _, rb := range s.robots {
			if rb.fullName == user && eq(pass, rb.secret) && !rb.disable && !rb.expired(s.now()) {
				return &principal{name: user, robot: rb}
			}
		}
		return nil
	}
	id, known := s.users[user]
	if !known || s.passwords[user] == "" || !eq(pass, s.passwords[user]) {
		return nil
	}
	if id == 1 {
		return &principal{admin: true, name: user, userID: id}
	}
	if s.opts.AuthMode == AuthModeOIDC && !oidcCLIPath(r) {
		return nil
	}
	p := &principal{name: user, userID: id, roles: map[string]int{}}
	for _, proj := range s.projects {
		for _, m := range proj.members {
			if m.entityType == "u" && m.entityID == id {
				p.roles[proj.name] = m.roleID
			}
		}
	}
	return p
}

// oidcCLIPath is the OIDC CLI generator's valid: the requests on which a
// CLI secret is accepted.
func oidcCLIPath(r *http.Request) bool {
	path := strings.TrimSuffix(r.URL.Path, "/")
	if path == "/service/token" || strings.HasPrefix(path, "/v2") {
		return true
	}
	projects := apiPrefix + "/projects"
	if r.Method == http.MethodPost && path == projects {
		return true
	}
	if r.Method == http.MethodGet {
		switch path {
		case projects, apiPrefix + "/systeminfo", "/api/version", apiPrefix + "/labels":
			return true
		}
		if strings.HasPrefix(path, projects+"/") && (strings.HasSuffix(path, "/repositories") || strings.HasSuffix(path, "/artifacts")) {
			return true
		}
	}
	if r.Method == http.MethodDelete && strings.HasPrefix(path, projects+"/") && strings.Contains(path, "/artifacts/") && strings.Contains(path, "/tags/") {
		return true
	}
	return false
}

func eq(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// can reports whether p may do action on resource in a namespace: kind
// "system" (namespace "/") or "project" (namespace the project name). The
// admin may do everything; a robot what its permissions grant.
func (p *principal) can(kind, namespace, resource, action string) bool {
	if p == nil {
		return false
	}
	if p.admin {
		return true
	}
	if p.robot == nil {
		// A user: projects by role; everyone may create and list projects
		// (project_creation_restriction "everyone").
		if kind == "system" {
			return resource == "project" && (action == "create" || action == "list")
		}
		role, member := p.roles[namespace]
		return member && roleAllows(role, resource, action)
	}
	for _, perm := range p.robot.permissions {
		if perm.Kind != kind || (perm.Namespace != namespace && perm.Namespace != "*") {
			continue
		}
		for _, a := range perm.Access {
			if (a.Resource == resource || a.Resource == "*") && (a.Action == action || a.Action == "*") && a.Effect != "deny" {
				return true
			}
		}
	}
	return false
}

// deny answers 401 for anonymous callers and 403 for authenticated ones.
func deny(w http.ResponseWriter, p *principal) {
	if p == nil {
		writeError(w, http.StatusUnauthorized, codeUnauthorized, "UnAuthorized")
		return
	}
	writeError(w, http.StatusForbidden, codeForbidden, "forbidden")
}

// requireSystem checks a system-level permission and answers when denied.
func requireSystem(w http.ResponseWriter, r *http.Request, resource, action string) bool {
	p := principalOf(r)
	if p.can("system", "/", resource, action) {
		return true
	}
	deny(w, p)
	return false
}

// ---- answers

type errorItem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type errorBody struct {
	Errors []errorItem `json:"errors"`
}

func writeError(w http.ResponseWriter, status int, code, format string, args ...any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", requestID())
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorBody{Errors: []errorItem{{Code: code, Message: fmt.Sprintf(format, args...)}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", requestID())
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeOK(w http.ResponseWriter) {
	w.Header().Set("X-Request-Id", requestID())
	w.WriteHeader(http.StatusOK)
}

// writeCreated answers 201 with Location = request path + "/" + id, as
// Harbor's handlers build it.
func writeCreated(w http.ResponseWriter, r *http.Request, id string) {
	w.Header().Set("Location", strings.TrimSuffix(r.URL.Path, "/")+"/"+id)
	w.Header().Set("X-Request-Id", requestID())
	w.WriteHeader(http.StatusCreated)
}

func requestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// decode reads a JSON body as go-swagger's generated binders do: a missing
// body or one that does not parse (a wrong type, an int8 out of range) is a
// binding error, which go-openapi reports as a CompositeValidationError and
// Harbor's error handler answers with its code, 422 (src/lib/http/error.go,
// apiError).
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.Body == nil || r.Body == http.NoBody {
		writeError(w, http.StatusUnprocessableEntity, codeUnprocessable, "validation failure list:\nbody in body is required")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			writeError(w, http.StatusUnprocessableEntity, codeUnprocessable, "validation failure list:\nbody in body is required")
			return false
		}
		writeError(w, http.StatusUnprocessableEntity, codeUnprocessable, "validation failure list:\nparsing body body from \"\" failed, because %v", err)
		return false
	}
	return true
}

// pathID parses a numeric path value; a non-number is a binding error, 422
// (see decode).
func pathID(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, codeUnprocessable, "validation failure list:\n%s in path must be of type int64: %q", name, r.PathValue(name))
		return 0, false
	}
	return id, true
}

// lookupPathID finds the object named by the path's "id" in m, answering
// 400 for a malformed id and 404 naming kind for an unknown one; callers
// hold s.mu.
func lookupPathID[T any](w http.ResponseWriter, r *http.Request, m map[int64]*T, kind string) *T {
	id, ok := pathID(w, r, "id")
	if !ok {
		return nil
	}
	v := m[id]
	if v == nil {
		writeError(w, http.StatusNotFound, codeNotFound, "%s %d not found", kind, id)
	}
	return v
}

// ---- pagination

// pageParams reads page and page_size as Harbor does: defaults 1 and 10,
// page_size at most 100 (422 beyond, from the spec's maximum).
func pageParams(w http.ResponseWriter, r *http.Request) (page, size int, ok bool) {
	page, size = 1, 10
	q := r.URL.Query()
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			writeError(w, http.StatusUnprocessableEntity, codeUnprocessable, "page in query must be of type int64: %q", v)
			return 0, 0, false
		}
		if n > 0 {
			page = n
		}
	}
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			writeError(w, http.StatusUnprocessableEntity, codeUnprocessable, "page_size in query must be of type int64: %q", v)
			return 0, 0, false
		}
		if n > 100 {
			writeError(w, http.StatusUnprocessableEntity, codeUnprocessable, "page_size in query should be less than or equal to 100")
			return 0, 0, false
		}
		if n > 0 {
			size = n
		}
	}
	return page, size, true
}

// writePage answers one page of items with X-Total-Count and Link headers
// shaped as Harbor writes them: `<path?query>; rel="prev" , <...>; rel="next"`.
func writePage[T any](w http.ResponseWriter, r *http.Request, items []T) {
	page, size, ok := pageParams(w, r)
	if !ok {
		return
	}
	total := len(items)
	var links []string
	link := func(p int, rel string) {
		u := *r.URL
		q := u.Query()
		q.Set("page", strconv.Itoa(p))
		q.Set("page_size", strconv.Itoa(size))
		u.RawQuery = q.Encode()
		// Harbor unescapes the query of its links (q=name=~x stays readable).
		if raw, err := url.QueryUnescape(u.RawQuery); err == nil {
			u.RawQuery = raw
		}
		u.Scheme, u.Host = "", ""
		links = append(links, fmt.Sprintf("<%s>; rel=%q", u.String(), rel))
	}
	if page > 1 && (page-1)*size < total {
		link(page-1, "prev")
	}
	if page*size < total {
		link(page+1, "next")
	}
	w.Header().Set("X-Total-Count", strconv.Itoa(total))
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, " , "))
	}
	start := min((page-1)*size, total)
	end := min(start+size, total)
	out := items[start:end]
	if out == nil {
		out = []T{}
	}
	writeJSON(w, http.StatusOK, out)
}

// query is Harbor's q parameter: comma-separated k=v (exact) and k=~v (fuzzy).
type query map[string]struct {
	value string
	fuzzy bool
}

func parseQuery(w http.ResponseWriter, r *http.Request) (query, bool) {
	q := query{}
	raw := r.URL.Query().Get("q")
	if raw == "" {
		return q, true
	}
	for _, part := range strings.Split(raw, ",") {
		k, v, ok := strings.Cut(part, "=")
		if !ok || strings.TrimSpace(k) == "" {
			writeError(w, http.StatusBadRequest, codeBadRequest, "invalid query string %q", raw)
			return nil, false
		}
		fuzzy := strings.HasPrefix(v, "~")
		v = strings.TrimPrefix(v, "~")
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		q[strings.TrimSpace(k)] = struct {
			value string
			fuzzy bool
		}{strings.Trim(v, `"'`), fuzzy}
	}
	return q, true
}

// match reports whether value passes the query's condition on key (no
// condition passes).
func (q query) match(key, value string) bool {
	c, ok := q[key]
	if !ok {
		return true
	}
	if c.fuzzy {
		return strings.Contains(value, c.value)
	}
	return value == c.value
}

// parseVersion reads "v2.14.3-sim" (or "2.14") as major 2, minor 14.
func parseVersion(v string) (major, minor int, ok bool) {
	v = strings.TrimPrefix(v, "v")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	maj, err1 := strconv.Atoi(parts[0])
	mnr, err2 := strconv.Atoi(strings.SplitN(parts[1], "-", 2)[0])
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return maj, mnr, true
}

// atLeast reports whether the simulated Harbor is version major.minor or
// newer; a version that does not parse counts as the newest.
func (s *Server) atLeast(major, minor int) bool {
	maj, mnr, ok := parseVersion(s.opts.Version)
	if !ok {
		return true
	}
	return maj > major || (maj == major && mnr >= minor)
}
