package jirasim

import (
	"net/http"
	"strings"
)

// Credential is a further API token added with POST /_sandbox/credentials:
// an email and token that log in with the admin's rights, so that a test
// can tell its requests apart (for example to aim faults at them with
// Faults.Users), or, read-only, with only the Browse projects permission:
// Jira answers its writes 403.
type Credential struct {
	Email    string `json:"email"`
	APIToken string `json:"apiToken"`
	ReadOnly bool   `json:"readOnly"`
}

// AddCredential adds c, replacing a credential of the same email.
func (s *Server) AddCredential(c Credential) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.credentials == nil {
		s.credentials = map[string]Credential{}
	}
	s.credentials[strings.ToLower(c.Email)] = c
}

// sandboxAddCredential answers POST /_sandbox/credentials: 201, or 400
// without an email or token or for the admin's email.
func (s *Server) sandboxAddCredential(w http.ResponseWriter, r *http.Request) {
	var c Credential
	if !decode(w, r, &c) {
		return
	}
	if !strings.Contains(c.Email, "@") || c.APIToken == "" || strings.EqualFold(c.Email, s.opts.AdminEmail) {
		writeError(w, http.StatusBadRequest, []string{"An email other than the admin's and an API token are required."}, nil)
		return
	}
	s.AddCredential(c)
	w.WriteHeader(http.StatusCreated)
}

// extraCredential returns the further credential r logs in with, if any.
func (s *Server) extraCredential(r *http.Request) (Credential, bool) {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return Credential{}, false
	}
	s.mu.Lock()
	c, found := s.credentials[strings.ToLower(user)]
	s.mu.Unlock()
	if !found || !eq(pass, c.APIToken) {
		return Credential{}, false
	}
	return c, true
}

// refuseReadOnlyWrite answers 403 to a write made with a read-only
// credential, as Jira does to a user without the permission, and reports
// whether it did.
func (s *Server) refuseReadOnlyWrite(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return false
	}
	c, ok := s.extraCredential(r)
	if !ok || !c.ReadOnly {
		return false
	}
	writeError(w, http.StatusForbidden, []string{"You do not have permission to perform this operation."}, nil)
	return true
}
