package harborsim

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// The sandbox endpoints below /_sandbox are not Harbor's: they let tests in
// another process than the simulator's (the sandbox runs each site as a
// child process) set faults, add users and read what Harbor never shows
// again. Only the admin may call them, and faults never apply to them.
//
//	GET  /_sandbox/faults  the FaultStats so far                              200
//	POST /_sandbox/faults  a Faults (Go field names; {} turns off)            204; 400 rate outside 0..1
//	POST /_sandbox/users   {"username","password","sysadmin"}: a db_auth user 201; 400 invalid; 409 exists
//	GET  /_sandbox/robots  [{"name","secret"}] of every robot account         200
const sandboxPrefix = "/_sandbox/"

// sandboxUser is the body of POST /_sandbox/users.
type sandboxUser struct {
	Username string `json:"username"`
	Password string `json:"password"`
	// Sysadmin makes the user a system administrator, as Harbor's
	// sysadmin_flag does: the admin's rights, under another name.
	Sysadmin bool `json:"sysadmin"`
}

// sandboxRobot is one entry of GET /_sandbox/robots.
type sandboxRobot struct {
	Name   string `json:"name"`
	Secret string `json:"secret"`
}

// serveSandbox answers the sandbox endpoints.
func (s *Server) serveSandbox(w http.ResponseWriter, r *http.Request) {
	if p := s.authenticate(r); p == nil || p.userID != 1 {
		writeError(w, http.StatusUnauthorized, codeUnauthorized, "UnAuthorized")
		return
	}
	switch r.Method + " " + strings.TrimPrefix(r.URL.Path, sandboxPrefix) {
	case "GET faults":
		writeJSON(w, http.StatusOK, s.FaultStats())
	case "POST faults":
		var f Faults
		if !decodeSandbox(w, r, &f) {
			return
		}
		for _, rate := range []float64{f.ErrorRate, f.LostResponseRate, f.DelayRate} {
			if rate < 0 || rate > 1 {
				writeError(w, http.StatusBadRequest, codeBadRequest, "rates must be between 0 and 1")
				return
			}
		}
		s.SetFaults(f)
		w.WriteHeader(http.StatusNoContent)
	case "POST users":
		var u sandboxUser
		if !decodeSandbox(w, r, &u) {
			return
		}
		if u.Username == "" || strings.HasPrefix(u.Username, "robot$") || !validSecret(u.Password) {
			writeError(w, http.StatusBadRequest, codeBadRequest, "a username (not robot$...) and a password of 8-128 characters with an upper-case letter, a lower-case letter and a digit are required")
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, exists := s.users[u.Username]; exists {
			writeError(w, http.StatusConflict, codeConflict, "username %s is already used", u.Username)
			return
		}
		s.users[u.Username] = s.newID("user")
		s.passwords[u.Username] = u.Password
		if u.Sysadmin {
			s.sysadmins[u.Username] = true
		}
		w.WriteHeader(http.StatusCreated)
	case "GET robots":
		s.mu.Lock()
		out := []sandboxRobot{}
		for _, rb := range s.robots {
			out = append(out, sandboxRobot{Name: rb.fullName, Secret: rb.secret})
		}
		s.mu.Unlock()
		slices.SortFunc(out, func(a, b sandboxRobot) int { return strings.Compare(a.Name, b.Name) })
		writeJSON(w, http.StatusOK, out)
	default:
		writeError(w, http.StatusNotFound, codeNotFound, "the requested resource %s was not found", r.URL.Path)
	}
}

// decodeSandbox decodes a sandbox request's JSON body strictly, answering
// 400 when it cannot.
func decodeSandbox(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, "invalid request body: %v", err)
		return false
	}
	return true
}
