package bitbucketsim

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/githttp"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/simfault"
)

const apiPrefix = "/2.0"

// The fixed identities every simulator of the sandbox's Atlassian cloud is
// seeded with (the Jira simulator has the same ones).
var (
	// SeedUsers are alice, bob and carol.
	SeedUsers = []User{
		{AccountID: "557058:0000000a-0000-4000-8000-00000000a11c", DisplayName: "Alice", Email: "alice@mcplatform.example"},
		{AccountID: "557058:0000000b-0000-4000-8000-000000000b0b", DisplayName: "Bob", Email: "bob@mcplatform.example"},
		{AccountID: "557058:0000000c-0000-4000-8000-00000000ca01", DisplayName: "Carol", Email: "carol@mcplatform.example"},
	}
	// SeedGroups is platform-devs (alice and bob).
	SeedGroups = []Group{{Name: "platform-devs", Members: []string{SeedUsers[0].AccountID, SeedUsers[1].AccountID}}}
)

// DefaultWorkspace is the workspace a new simulator has.
const DefaultWorkspace = "mcplatform"

// AdminAccountID is the account id of the simulator's own user, the one
// whose credentials Options gives: the owner of the workspace.
const AdminAccountID = "557058:00000000-0000-4000-8000-0000000ad001"

// Options configure a simulated Bitbucket Cloud.
type Options struct {
	// Username and Password are the basic-auth credentials of the
	// workspace owner: a Bitbucket username and an app password or API
	// token; defaults "mc-admin" and "sandbox-app-password".
	Username, Password string
	// Email is the owner's Atlassian account email; with an API token
	// Bitbucket takes it as the username too. Default "mc-admin@mcplatform.example".
	Email string
	// AccessToken, when set, is a workspace access token: accepted as a
	// bearer token by the API, and with the username x-token-auth by git.
	AccessToken string
	// Workspace is the slug of the workspace; default DefaultWorkspace.
	Workspace string
	// GitRoot is the directory of the repositories' bare git repositories;
	// empty makes a temporary one that Close removes.
	GitRoot string
	// ExternalURL is this server's URL as clients see it (links, clone
	// URLs); empty takes the request's Host. Start fills it.
	ExternalURL string
	// NoSeed leaves out SeedUsers and SeedGroups.
	NoSeed bool
	// Now returns the time; nil uses time.Now.
	Now func() time.Time
}

// Server is the simulated Bitbucket Cloud; it implements http.Handler.
type Server struct {
	opts    Options
	mux     *http.ServeMux
	faults  *simfault.Injector
	git     http.Handler
	tempDir bool

	mu         sync.Mutex
	seq        int64
	users      map[string]*user // account id -> user
	workspaces map[string]*workspace
	// credentials are further app passwords of the owner, by lower-case
	// username (see Credential).
	credentials map[string]Credential
}

// New returns a simulated Bitbucket Cloud with one workspace, its owner,
// and (unless Options.NoSeed) the seeded users and group.
func New(o Options) *Server {
	if o.Username == "" {
		o.Username = "mc-admin"
	}
	if o.Password == "" {
		o.Password = "sandbox-app-password"
	}
	if o.Email == "" {
		o.Email = "mc-admin@mcplatform.example"
	}
	if o.Workspace == "" {
		o.Workspace = DefaultWorkspace
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{opts: o, mux: http.NewServeMux(), users: map[string]*user{}, workspaces: map[string]*workspace{}}
	if s.opts.GitRoot == "" {
		dir, err := os.MkdirTemp("", "bitbucketsim-git-")
		if err != nil {
			panic(fmt.Sprintf("bitbucketsim: cannot make a directory for the repositories: %v", err))
		}
		s.opts.GitRoot, s.tempDir = dir, true
	}
	s.faults = simfault.New(func(w http.ResponseWriter, status int, message string) {
		writeError(w, status, "%s", message)
	})
	s.git = githttp.Handler(githttp.Config{
		Root: s.opts.GitRoot, Realm: "Bitbucket.org HTTP", RemoteUser: o.Username,
		Authenticate: s.authenticated,
	})
	admin := &user{AccountID: AdminAccountID, UUID: s.newUUID(), DisplayName: "MC Admin", Email: o.Email, Nickname: o.Username}
	s.users[admin.AccountID] = admin
	ws := &workspace{uuid: s.newUUID(), slug: o.Workspace, name: o.Workspace, owner: admin.AccountID,
		groups: map[string]*group{}, projects: map[string]*project{}, repos: map[string]*repo{}, hooks: map[string]*hook{},
		created: s.now()}
	s.workspaces[ws.slug] = ws
	if !o.NoSeed {
		for _, u := range SeedUsers {
			_ = s.AddUser(u)
		}
		for _, g := range SeedGroups {
			if err := s.AddGroup(g); err != nil {
				panic(err)
			}
		}
	}
	s.routes()
	return s
}

// Instance is a simulated Bitbucket Cloud listening on a TCP address.
type Instance struct {
	// URL is the server URL, e.g. http://127.0.0.1:34567; the API is below
	// URL + "/2.0", repositories at URL/<workspace>/<slug>.git.
	URL string
	// Server is the simulator, for seeding and injecting faults.
	Server *Server
	srv    *http.Server
}

// APIURL returns the API base URL, URL + "/2.0".
func (i *Instance) APIURL() string { return i.URL + apiPrefix }

// Start listens on addr (e.g. "127.0.0.1:0") and serves a new simulator.
func Start(addr string, o Options) (*Instance, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s for the Bitbucket simulator: %w", addr, err)
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

// Close stops the listener and removes a temporary repository directory.
func (i *Instance) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := i.srv.Shutdown(ctx)
	i.Server.Close()
	return err
}

// Close removes the repositories' directory when the simulator made it.
func (s *Server) Close() {
	if s.tempDir {
		_ = os.RemoveAll(s.opts.GitRoot)
	}
}

// GitRoot returns the directory of the bare repositories
// (<root>/<workspace>/<slug>.git).
func (s *Server) GitRoot() string { return s.opts.GitRoot }

// Faults configure the simulator's fault injector (see simfault.Faults). They
// apply to the REST API below /2.0 only: git clients do not retry, and the
// sandbox endpoints seed the simulator.
type Faults = simfault.Faults

// FaultStats count what the injector did.
type FaultStats = simfault.Stats

// SetFaults replaces the fault configuration; the zero Faults turns
// injection off.
func (s *Server) SetFaults(f Faults) { s.faults.Set(f) }

// FaultStats returns what the injector did so far.
func (s *Server) FaultStats() FaultStats { return s.faults.Stats() }

func (s *Server) now() time.Time { return s.opts.Now().UTC().Truncate(time.Microsecond) }

func (s *Server) nextSeq() int64 {
	s.seq++
	return s.seq
}

// newUUID returns a random UUID in braces, as Bitbucket writes them.
func (s *Server) newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("{%x-%x-%x-%x-%x}", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ServeHTTP implements http.Handler: the REST API below /2.0 (faults,
// then authentication), the sandbox endpoints below /_sandbox, and the git
// repositories everywhere else.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == apiPrefix || strings.HasPrefix(r.URL.Path, apiPrefix+"/"):
		s.faults.Wrap(http.HandlerFunc(s.serveAPI)).ServeHTTP(w, r)
	case strings.HasPrefix(r.URL.Path, "/_sandbox/"):
		s.serveAPI(w, r)
	default:
		s.serveGit(w, r)
	}
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	if !s.authenticated(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="Bitbucket.org HTTP"`)
		writeError(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	if s.refuseReadOnlyWrite(w, r) {
		return
	}
	// Bitbucket answers collection paths with and without a trailing slash.
	if len(r.URL.Path) > 1 && strings.HasSuffix(r.URL.Path, "/") {
		r2 := r.Clone(r.Context())
		r2.URL.Path = strings.TrimSuffix(r.URL.Path, "/")
		r2.URL.RawPath = ""
		r = r2
	}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		if allowed := s.allowedMethods(r); len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			writeError(w, http.StatusMethodNotAllowed, "Method %s not allowed", r.Method)
			return
		}
		writeError(w, http.StatusNotFound, "Resource not found")
		return
	}
	s.mux.ServeHTTP(w, r)
}

// allowedMethods returns the methods the path is served with, for a 405.
func (s *Server) allowedMethods(r *http.Request) []string {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		r2 := r.Clone(r.Context())
		r2.Method = m
		if _, pattern := s.mux.Handler(r2); pattern != "" {
			allowed = append(allowed, m)
		}
	}
	return allowed
}

// authenticated checks the credentials: basic auth with the owner's
// username or email and the password (app password or API token), or the
// access token (Options.AccessToken) as a bearer token or, for git, with
// the username x-token-auth.
func (s *Server) authenticated(r *http.Request) bool {
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return s.opts.AccessToken != "" && eq(tok, s.opts.AccessToken)
	}
	u, p, ok := r.BasicAuth()
	if !ok {
		return false
	}
	if u == "x-token-auth" {
		return s.opts.AccessToken != "" && eq(p, s.opts.AccessToken)
	}
	userOK := eq(u, s.opts.Username) || strings.EqualFold(u, s.opts.Email)
	if userOK && eq(p, s.opts.Password) {
		return true
	}
	_, ok = s.extraCredential(r)
	return ok
}

func eq(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// ---- answers

type errorDetail struct {
	Message string              `json:"message"`
	Detail  string              `json:"detail,omitempty"`
	Fields  map[string][]string `json:"fields,omitempty"`
}

type errorBody struct {
	Type  string      `json:"type"`
	Error errorDetail `json:"error"`
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, errorBody{Type: "error", Error: errorDetail{Message: fmt.Sprintf(format, args...)}})
}

// writeFieldError answers 400 "Bad request" with messages per field, as
// Bitbucket's validation does ("__all__" for the whole object).
func writeFieldError(w http.ResponseWriter, message string, fields map[string][]string) {
	writeJSON(w, http.StatusBadRequest, errorBody{Type: "error", Error: errorDetail{Message: message, Fields: fields}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decode reads a JSON body into v, answering 400 when it is not JSON.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "Invalid JSON: %v", err)
		return false
	}
	return true
}

// baseURL is the server URL for links: ExternalURL or the request's host.
func (s *Server) baseURL(r *http.Request) string {
	if s.opts.ExternalURL != "" {
		return strings.TrimSuffix(s.opts.ExternalURL, "/")
	}
	return "http://" + r.Host
}

func link(href string) map[string]string { return map[string]string{"href": href} }

// ---- pagination

// paginate answers one page of values as Bitbucket does: pagelen (default
// 10, 1 to 100), page (from 1), size, and next/previous links that keep
// the request's other query parameters.
func (s *Server) paginate(w http.ResponseWriter, r *http.Request, values []any) {
	q := r.URL.Query()
	pagelen, page := 10, 1
	if v := q.Get("pagelen"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			writeError(w, http.StatusBadRequest, "Invalid pagelen: must be between 1 and 100")
			return
		}
		pagelen = n
	}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "Invalid page")
			return
		}
		page = n
	}
	start := min((page-1)*pagelen, len(values))
	end := min(start+pagelen, len(values))
	out := map[string]any{"pagelen": pagelen, "page": page, "size": len(values), "values": values[start:end]}
	if values[start:end] == nil {
		out["values"] = []any{}
	}
	pageURL := func(n int) string {
		q2 := url.Values{}
		for k, v := range q {
			q2[k] = v
		}
		q2.Set("page", strconv.Itoa(n))
		return s.baseURL(r) + r.URL.EscapedPath() + "?" + q2.Encode()
	}
	if end < len(values) {
		out["next"] = pageURL(page + 1)
	}
	if page > 1 {
		out["previous"] = pageURL(page - 1)
	}
	writeJSON(w, http.StatusOK, out)
}

// sortedBySeq returns the values of m in creation order.
func sortedBySeq[T interface{ order() int64 }](m map[string]T) []T {
	out := make([]T, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].order() < out[j].order() })
	return out
}
