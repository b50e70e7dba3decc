// Package githttp serves bare git repositories over the smart HTTP protocol
// through git http-backend (as a CGI program), for the sandbox's git server
// and the Bitbucket simulator.
package githttp

import (
	"net/http"
	"net/http/cgi"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Backend is the CGI program that serves the git smart HTTP protocol.
const Backend = "/usr/lib/git-core/git-http-backend"

// Config configures a Handler.
type Config struct {
	// Root is the directory holding the bare repositories (GIT_PROJECT_ROOT);
	// a request's URL path names a repository below it.
	Root string
	// Authenticate checks a request's credentials; false answers 401 with
	// WWW-Authenticate: Basic realm=Realm.
	Authenticate func(r *http.Request) bool
	// Realm is the basic-auth realm of the 401 answers.
	Realm string
	// RemoteUser is the user name git http-backend records for pushes.
	RemoteUser string
}

// Handler returns an http.Handler serving the bare repositories below
// cfg.Root, with clone, fetch and push enabled for requests that
// cfg.Authenticate accepts. Other requests get 401, a path that is no
// repository 404.
func Handler(cfg Config) http.Handler {
	backend := &cgi.Handler{
		Path: Backend,
		Dir:  cfg.Root,
		Env: []string{
			"GIT_PROJECT_ROOT=" + cfg.Root,
			"GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_COUNT=1",
			"GIT_CONFIG_KEY_0=http.receivepack",
			"GIT_CONFIG_VALUE_0=true",
			"REMOTE_USER=" + cfg.RemoteUser,
		},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cfg.Authenticate == nil || !cfg.Authenticate(r) {
			w.Header().Set("WWW-Authenticate", `Basic realm="`+cfg.Realm+`"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if !RepoExists(cfg.Root, r.URL.Path) {
			http.NotFound(w, r)
			return
		}
		backend.ServeHTTP(w, r)
	})
}

// RepoExists reports whether some prefix of urlPath names a bare repository
// under root.
func RepoExists(root, urlPath string) bool {
	clean := path.Clean("/" + urlPath)
	parts := strings.Split(strings.TrimPrefix(clean, "/"), "/")
	for i := 1; i <= len(parts); i++ {
		rel := filepath.Join(parts[:i]...)
		if strings.HasPrefix(rel, "..") {
			return false
		}
		if st, err := os.Stat(filepath.Join(root, rel, "HEAD")); err == nil && st.Mode().IsRegular() {
			return true
		}
	}
	return false
}
