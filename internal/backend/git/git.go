// Package git talks to git servers over the smart HTTP protocol.
package git

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/mcplatform/terraform-provider-mc/internal/redact"
)

// Errors CheckRepository returns, wrapped with detail.
var (
	ErrRepositoryNotFound = errors.New("repository not found")
	ErrUnauthorized       = errors.New("credentials rejected")
	ErrBranchNotFound     = errors.New("branch not found")
)

// CheckRepository asks the server for the repository's refs (what `git
// ls-remote` does) and checks that branch exists. username and password may
// be empty for a public repository. Its errors name the repository by its
// redacted URL and never show the password.
func CheckRepository(ctx context.Context, hc *http.Client, repoURL, username, password, branch string) error {
	err := checkRepository(ctx, hc, repoURL, redact.URL(repoURL), username, password, branch)
	return redact.Error(err, password)
}

// checkRepository does CheckRepository's work; shown is the URL as errors
// may name it.
func checkRepository(ctx context.Context, hc *http.Client, repoURL, shown, username, password, branch string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(repoURL, "/")+"/info/refs?service=git-upload-pack", nil)
	if err != nil {
		return fmt.Errorf("cannot build a request for %q: %w", shown, err)
	}
	if username != "" || password != "" {
		req.SetBasicAuth(username, password)
	}
	req.Header.Set("Git-Protocol", "version=1")
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach git server for %s: %w", shown, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("%w: %s answered %d", ErrUnauthorized, shown, resp.StatusCode)
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%w: %s answered 404", ErrRepositoryNotFound, shown)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("git server answered %d for %s", resp.StatusCode, shown)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-git-upload-pack-advertisement" {
		return fmt.Errorf("%w: %s is not a smart HTTP git repository (content type %q)", ErrRepositoryNotFound, shown, ct)
	}
	refs, err := readRefs(resp.Body)
	if err != nil {
		return fmt.Errorf("cannot read refs of %s: %w", shown, err)
	}
	if branch == "" {
		return nil
	}
	if _, ok := refs["refs/heads/"+branch]; !ok {
		return fmt.Errorf("%w: %s has no branch %q", ErrBranchNotFound, shown, branch)
	}
	return nil
}

// readRefs parses a pkt-line ref advertisement into ref name → object id.
func readRefs(r io.Reader) (map[string]string, error) {
	br := bufio.NewReader(r)
	refs := map[string]string{}
	for {
		var lenHex [4]byte
		if _, err := io.ReadFull(br, lenHex[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return refs, nil
			}
			return nil, err
		}
		n, err := strconv.ParseUint(string(lenHex[:]), 16, 16)
		if err != nil {
			return nil, fmt.Errorf("bad pkt-line length %q", lenHex)
		}
		if n == 0 {
			continue // flush packet
		}
		if n < 4 {
			return nil, fmt.Errorf("bad pkt-line length %d", n)
		}
		line := make([]byte, n-4)
		if _, err := io.ReadFull(br, line); err != nil {
			return nil, err
		}
		s := strings.TrimSuffix(string(line), "\n")
		if strings.HasPrefix(s, "# service=") {
			continue
		}
		if i := strings.IndexByte(s, 0); i >= 0 {
			s = s[:i] // capabilities follow the first ref
		}
		if oid, name, ok := strings.Cut(s, " "); ok {
			refs[name] = oid
		}
	}
}
