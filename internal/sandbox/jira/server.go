package jirasim

import (
	"context"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/simfault"
)

const apiPrefix = "/rest/api/3"

// Defaults of Options.
const (
	DefaultAdminEmail     = "admin@mcplatform.example"
	DefaultAdminAccountID = "557058:00000000-0000-4000-8000-0000000ad001"
)

// DefaultRoles are the project roles of a fresh simulated site: Jira's
// Administrators, Developers and Users, the Viewers role the platform's
// mapping needs (a site admin creates it on a real site), and the role
// Jira keeps for apps.
var DefaultRoles = []string{"Administrators", "Developers", "Users", "Viewers", "atlassian-addons-project-access"}

// User is an Atlassian account known to the site.
type User struct {
	AccountID   string
	DisplayName string
	Email       string
	// Inactive marks a deactivated account: it cannot lead projects or be
	// added to roles.
	Inactive bool
}

// Group is a group of the site; Members are account ids.
type Group struct {
	Name    string
	Members []string
}

// Options configure a simulated Jira Cloud site.
type Options struct {
	// AdminEmail and APIToken are the credentials of the site admin (the
	// Administer Jira global permission); AdminEmail defaults to
	// DefaultAdminEmail, APIToken to a random token (read it back from
	// Server.APIToken).
	AdminEmail, APIToken string
	// AdminAccountID is the admin's account id; default DefaultAdminAccountID.
	AdminAccountID string
	// Users and Groups are further identities of the site (see also
	// AddUser and AddGroup).
	Users  []User
	Groups []Group
	// Roles are the names of the site's project roles, shared by all
	// projects; default DefaultRoles.
	Roles []string
	// RoleIDBase is the lowest role id; default a random one between 10000
	// and 19999, so that ids differ from site to site as on Jira Cloud. The
	// ids are not in the order of Roles.
	RoleIDBase int64
	// ExternalURL is the site URL as clients see it, for self links; Start
	// fills it.
	ExternalURL string
	// Seed makes the role ids repeatable when not zero.
	Seed uint64
	// Now returns the time; nil uses time.Now.
	Now func() time.Time
}

// Server is the simulated Jira Cloud site; it implements http.Handler.
type Server struct {
	opts   Options
	mux    *http.ServeMux
	faults *simfault.Injector

	mu    sync.Mutex
	users map[string]*user // account id -> user
	// credentials are further API tokens, by lower-case email (see Credential).
	credentials map[string]Credential
	groups      map[string]*group // lower-case name -> group
	roles       []*role           // by id
	projects    []*project        // live and in the trash, by creation
	nextID      int64             // next project id
	nextAct     int64             // next role actor id
}

type user struct {
	accountID, displayName, email string
	active                        bool
}

type group struct {
	name, id string
	members  []string // account ids
}

type role struct {
	id                int64
	name, description string
}

// New returns a simulated site with the admin, opts' users and groups, the
// project roles and no projects.
func New(o Options) *Server {
	if o.AdminEmail == "" {
		o.AdminEmail = DefaultAdminEmail
	}
	if o.AdminAccountID == "" {
		o.AdminAccountID = DefaultAdminAccountID
	}
	if o.APIToken == "" {
		var b [12]byte
		for i := range b {
			b[i] = byte(rand.IntN(256))
		}
		o.APIToken = fmt.Sprintf("ATATT3x%x", b)
	}
	if len(o.Roles) == 0 {
		o.Roles = DefaultRoles
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	rnd := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	if o.Seed != 0 {
		rnd = rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	}
	if o.RoleIDBase <= 0 {
		o.RoleIDBase = 10000 + rnd.Int64N(10000)
	}
	s := &Server{
		opts:    o,
		mux:     http.NewServeMux(),
		faults:  newFaultInjector(),
		users:   map[string]*user{},
		groups:  map[string]*group{},
		nextID:  10000,
		nextAct: 10000 + rnd.Int64N(50000),
	}
	// Shuffled offsets: role ids are not in name order, as on a real site.
	for i, off := range rnd.Perm(len(o.Roles)) {
		s.roles = append(s.roles, &role{id: o.RoleIDBase + int64(off), name: o.Roles[i], description: roleDescription(o.Roles[i])})
	}
	s.users[o.AdminAccountID] = &user{accountID: o.AdminAccountID, displayName: "Site Admin", email: o.AdminEmail, active: true}
	for _, u := range o.Users {
		s.AddUser(u)
	}
	for _, g := range o.Groups {
		if err := s.AddGroup(g); err != nil {
			panic(fmt.Sprintf("jirasim.New: %v", err))
		}
	}
	s.routes()
	return s
}

func roleDescription(name string) string {
	switch name {
	case "Administrators":
		return "A project role that represents administrators in a project"
	case "Developers":
		return "A project role that represents developers in a project"
	case "Users":
		return "A project role that represents users in a project"
	case "Viewers":
		return "A project role that represents viewers in a project"
	}
	return ""
}

// APIToken returns the admin's API token.
func (s *Server) APIToken() string { return s.opts.APIToken }

// AdminEmail returns the admin's email, the basic-auth user name.
func (s *Server) AdminEmail() string { return s.opts.AdminEmail }

// AddUser adds an account to the site, or replaces the one with its id.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name := u.DisplayName
	if name == "" {
		name = u.AccountID
	}
	s.users[u.AccountID] = &user{accountID: u.AccountID, displayName: name, email: u.Email, active: !u.Inactive}
}

// AddGroup adds a group to the site, or replaces the members of the group
// with its name. Every member must be a known account.
func (s *Server) AddGroup(g Group) error {
	if strings.TrimSpace(g.Name) == "" {
		return errors.New("a group needs a name")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range g.Members {
		if s.users[m] == nil {
			return fmt.Errorf("cannot add group %q: member %q is no account of the site", g.Name, m)
		}
	}
	s.groups[strings.ToLower(g.Name)] = &group{name: g.Name, id: groupID(g.Name), members: append([]string(nil), g.Members...)}
	return nil
}

// groupID derives a stable UUID-shaped group id from the name, so that a
// group keeps its id when the site is seeded again.
func groupID(name string) string {
	h := sha1.Sum([]byte("jirasim-group:" + strings.ToLower(name)))
	h[6] = (h[6] & 0x0f) | 0x50
	h[8] = (h[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// ProjectCount returns the number of projects, live and in the trash (for
// tests that check nothing was created twice).
func (s *Server) ProjectCount() (live, trashed int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.projects {
		if p.deleted {
			trashed++
		} else {
			live++
		}
	}
	return live, trashed
}

// RoleID returns the id of the role with this name on this site.
func (s *Server) RoleID(name string) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.roleByName(name); r != nil {
		return r.id, true
	}
	return 0, false
}

func (s *Server) roleByName(name string) *role {
	for _, r := range s.roles {
		if r.name == name {
			return r
		}
	}
	return nil
}

func (s *Server) roleByID(id int64) *role {
	for _, r := range s.roles {
		if r.id == id {
			return r
		}
	}
	return nil
}

func (s *Server) now() time.Time { return s.opts.Now().UTC() }

// Instance is a simulated site listening on a TCP address.
type Instance struct {
	// URL is the site URL, e.g. http://127.0.0.1:34567 (the API is below
	// /rest/api/3).
	URL string
	// Server is the simulator, for seeding and injecting faults.
	Server *Server
	srv    *http.Server
}

// Start listens on addr (e.g. "127.0.0.1:0") and serves a new simulated site.
func Start(addr string, o Options) (*Instance, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s for the Jira simulator: %w", addr, err)
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

// Close stops the listener.
func (i *Instance) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return i.srv.Shutdown(ctx)
}

// ServeHTTP implements http.Handler: the sandbox endpoints, or faults, then
// authentication, then the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sandbox/") {
		s.mux.ServeHTTP(w, r)
		return
	}
	s.faults.Wrap(http.HandlerFunc(s.serve)).ServeHTTP(w, r)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern == "" {
		if allowed := s.allowedMethods(r); len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			writeError(w, http.StatusMethodNotAllowed, []string{"Method Not Allowed"}, nil)
			return
		}
		writeError(w, http.StatusNotFound, []string{"null for uri: " + s.base() + r.URL.RequestURI()}, nil)
		return
	}
	if r.URL.Path == apiPrefix+"/serverInfo" && !hasCredentials(r) {
		// The one operation anonymous callers may use.
		s.mux.ServeHTTP(w, r)
		return
	}
	if !s.authenticated(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="protected-area"`)
		writeError(w, http.StatusUnauthorized, []string{"Client must be authenticated to access this resource."}, nil)
		return
	}
	if s.refuseReadOnlyWrite(w, r) {
		return
	}
	s.mux.ServeHTTP(w, r)
}

// allowedMethods returns the methods the API serves at r's path.
func (s *Server) allowedMethods(r *http.Request) []string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" {
			out = append(out, m)
		}
	}
	return out
}

// authenticated checks the admin's basic credentials (email and API token).
func (s *Server) authenticated(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if ok && eq(user, s.opts.AdminEmail) && eq(pass, s.opts.APIToken) {
		return true
	}
	_, ok = s.extraCredential(r)
	return ok
}

func hasCredentials(r *http.Request) bool {
	_, _, ok := r.BasicAuth()
	return ok
}

func eq(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// base is the site URL for self links.
func (s *Server) base() string {
	if s.opts.ExternalURL != "" {
		return strings.TrimSuffix(s.opts.ExternalURL, "/")
	}
	return "http://jira.sandbox.invalid"
}

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET "+apiPrefix+"/serverInfo", s.serverInfo)
	m.HandleFunc("GET "+apiPrefix+"/myself", s.getMyself)
	m.HandleFunc("GET "+apiPrefix+"/project", s.listProjects)
	m.HandleFunc("POST "+apiPrefix+"/project", s.createProject)
	m.HandleFunc("GET "+apiPrefix+"/project/search", s.searchProjects)
	m.HandleFunc("GET "+apiPrefix+"/project/{key}", s.getProject)
	m.HandleFunc("PUT "+apiPrefix+"/project/{key}", s.updateProject)
	m.HandleFunc("DELETE "+apiPrefix+"/project/{key}", s.deleteProject)
	m.HandleFunc("POST "+apiPrefix+"/project/{key}/restore", s.restoreProject)
	m.HandleFunc("GET "+apiPrefix+"/project/{key}/role", s.listProjectRoles)
	m.HandleFunc("GET "+apiPrefix+"/project/{key}/role/{id}", s.getProjectRole)
	m.HandleFunc("POST "+apiPrefix+"/project/{key}/role/{id}", s.addRoleActors)
	m.HandleFunc("DELETE "+apiPrefix+"/project/{key}/role/{id}", s.removeRoleActor)
	m.HandleFunc("GET "+apiPrefix+"/role", s.listRoles)
	m.HandleFunc("GET "+apiPrefix+"/user", s.getUser)
	m.HandleFunc("GET "+apiPrefix+"/user/search", s.searchUsers)
	m.HandleFunc("GET "+apiPrefix+"/group/bulk", s.bulkGetGroups)
	m.HandleFunc("GET "+apiPrefix+"/group/member", s.groupMembers)
	m.HandleFunc("POST /_sandbox/users", s.sandboxAddUser)
	m.HandleFunc("POST /_sandbox/credentials", s.sandboxAddCredential)
	m.HandleFunc("POST /_sandbox/groups", s.sandboxAddGroup)
	m.HandleFunc("GET /_sandbox/faults", s.sandboxFaultStats)
	m.HandleFunc("POST /_sandbox/faults", s.sandboxSetFaults)
}

// serverInfo answers GET /serverInfo, also to anonymous callers (wrong
// credentials are 401).
func (s *Server) serverInfo(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"baseUrl":        s.base(),
		"version":        "1001.0.0-SNAPSHOT",
		"versionNumbers": []int{1001, 0, 0},
		"deploymentType": "Cloud",
		"buildNumber":    100280,
		"serverTime":     s.now().Format(jiraTime),
		"serverTitle":    "Jira (mc sandbox)",
	})
}

// ---- answers

// errorBody is Jira's ErrorCollection.
type errorBody struct {
	ErrorMessages []string          `json:"errorMessages"`
	Errors        map[string]string `json:"errors"`
}

func writeError(w http.ResponseWriter, status int, messages []string, fields map[string]string) {
	if messages == nil {
		messages = []string{}
	}
	if fields == nil {
		fields = map[string]string{}
	}
	writeJSON(w, status, errorBody{ErrorMessages: messages, Errors: fields})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decode reads a JSON body strictly: Jira refuses fields it does not know
// and malformed JSON with 400.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		msg := "Invalid request payload. Refer to the REST API documentation and try again."
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			msg = "Unrecognized field " + f + " , not marked as ignorable"
		}
		writeError(w, http.StatusBadRequest, []string{msg}, nil)
		return false
	}
	return true
}

// ---- pagination

// pageParams reads startAt and maxResults: defaults 0 and def, maxResults
// capped at limit as Jira caps it (the answer's maxResults says so).
func pageParams(w http.ResponseWriter, r *http.Request, def, limit int) (start, max int, ok bool) {
	q := r.URL.Query()
	start, max = 0, def
	if v := q.Get("startAt"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, []string{fmt.Sprintf("The value '%s' is invalid for startAt.", v)}, nil)
			return 0, 0, false
		}
		start = n
	}
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, []string{fmt.Sprintf("The value '%s' is invalid for maxResults.", v)}, nil)
			return 0, 0, false
		}
		max = n
	}
	if max > limit {
		max = limit
	}
	return start, max, true
}

// pageBean is Jira's PageBean.
type pageBean[T any] struct {
	Self       string `json:"self"`
	NextPage   string `json:"nextPage,omitempty"`
	MaxResults int    `json:"maxResults"`
	StartAt    int    `json:"startAt"`
	Total      int    `json:"total"`
	IsLast     bool   `json:"isLast"`
	Values     []T    `json:"values"`
}

// writePage answers items[start:start+max] as a PageBean with self and
// nextPage links.
func writePage[T any](s *Server, w http.ResponseWriter, r *http.Request, items []T, start, max int) {
	total := len(items)
	from := min(start, total)
	to := min(from+max, total)
	link := func(at int) string {
		u := *r.URL
		q := u.Query()
		q.Set("startAt", strconv.Itoa(at))
		q.Set("maxResults", strconv.Itoa(max))
		u.RawQuery = q.Encode()
		return s.base() + u.RequestURI()
	}
	out := pageBean[T]{Self: link(start), MaxResults: max, StartAt: start, Total: total, IsLast: to >= total, Values: items[from:to]}
	if out.Values == nil {
		out.Values = []T{}
	}
	if !out.IsLast && max > 0 {
		out.NextPage = link(to)
	}
	writeJSON(w, http.StatusOK, out)
}

// pageSlice returns items[start:start+max] for the lists Jira answers as
// bare arrays.
func pageSlice[T any](items []T, start, max int) []T {
	from := min(start, len(items))
	to := min(from+max, len(items))
	out := items[from:to]
	if out == nil {
		out = []T{}
	}
	return out
}

// selfURL is a self link below the API.
func (s *Server) selfURL(path string, q url.Values) string {
	u := s.base() + apiPrefix + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// The Atlassian identities the sandbox seeds into both the Jira and the
// Bitbucket simulator (the same account ids in both, as on Atlassian Cloud).
const (
	AliceAccountID = "557058:0000000a-0000-4000-8000-00000000a11c"
	BobAccountID   = "557058:0000000b-0000-4000-8000-000000000b0b"
	CarolAccountID = "557058:0000000c-0000-4000-8000-00000000ca01"
	// PlatformDevs is the seeded group, with alice and bob.
	PlatformDevs = "platform-devs"
)

// SandboxUsers returns the seeded users: alice, bob and carol.
func SandboxUsers() []User {
	return []User{
		{AccountID: AliceAccountID, DisplayName: "Alice Example", Email: "alice@mcplatform.example"},
		{AccountID: BobAccountID, DisplayName: "Bob Example", Email: "bob@mcplatform.example"},
		{AccountID: CarolAccountID, DisplayName: "Carol Example", Email: "carol@mcplatform.example"},
	}
}

// SandboxGroups returns the seeded groups: platform-devs (alice and bob).
func SandboxGroups() []Group {
	return []Group{{Name: PlatformDevs, Members: []string{AliceAccountID, BobAccountID}}}
}

// SandboxOptions returns the options of the sandbox's site: the seeded
// users and groups, the default roles and the given admin credentials.
func SandboxOptions(adminEmail, apiToken string) Options {
	return Options{AdminEmail: adminEmail, APIToken: apiToken, Users: SandboxUsers(), Groups: SandboxGroups()}
}
