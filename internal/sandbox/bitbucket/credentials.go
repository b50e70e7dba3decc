package bitbucketsim

import (
	"net/http"
	"strings"
)

// Credential is a further app password of the workspace owner, added with
// POST /_sandbox/credentials: it logs in as the owner under its own
// username (so that a test can tell its requests apart, for example to aim
// faults at them with Faults.Users). A read-only one stands for an app
// password with only read scopes: Bitbucket answers its writes 403.
type Credential struct {
	Username string `json:"username"`
	Password string `json:"password"`
	ReadOnly bool   `json:"read_only"`
}

// AddCredential adds c, replacing a credential of the same username.
func (s *Server) AddCredential(c Credential) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.credentials == nil {
		s.credentials = map[string]Credential{}
	}
	s.credentials[strings.ToLower(c.Username)] = c
}

// postSandboxCredential answers POST /_sandbox/credentials: 201, or 400
// without a username or password or for the owner's username.
func (s *Server) postSandboxCredential(w http.ResponseWriter, r *http.Request) {
	var c Credential
	if !decode(w, r, &c) {
		return
	}
	if c.Username == "" || c.Password == "" || c.Username == "x-token-auth" ||
		strings.EqualFold(c.Username, s.opts.Username) || strings.EqualFold(c.Username, s.opts.Email) {
		writeError(w, http.StatusBadRequest, "a username other than the owner's and a password are required")
		return
	}
	s.AddCredential(c)
	w.WriteHeader(http.StatusCreated)
}

// extraCredential returns the further credential r logs in with, if any.
func (s *Server) extraCredential(r *http.Request) (Credential, bool) {
	u, p, ok := r.BasicAuth()
	if !ok {
		return Credential{}, false
	}
	s.mu.Lock()
	c, found := s.credentials[strings.ToLower(u)]
	s.mu.Unlock()
	if !found || !eq(p, c.Password) {
		return Credential{}, false
	}
	return c, true
}

// refuseReadOnlyWrite answers 403 to a write made with a read-only
// credential, as Bitbucket does to an app password that lacks the scope,
// and reports whether it did.
func (s *Server) refuseReadOnlyWrite(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return false
	}
	c, ok := s.extraCredential(r)
	if !ok || !c.ReadOnly {
		return false
	}
	required := "account:write"
	switch {
	case strings.Contains(r.URL.Path, "/repositories/"):
		required = "repository:admin"
	case strings.Contains(r.URL.Path, "/projects"):
		required = "project:admin"
	}
	writeJSON(w, http.StatusForbidden, map[string]any{
		"type": "error",
		"error": map[string]any{
			"message": "Your credentials lack one or more required privilege scopes.",
			"detail":  map[string][]string{"granted": {"account", "project", "repository", "pullrequest"}, "required": {required}},
		},
	})
	return true
}
