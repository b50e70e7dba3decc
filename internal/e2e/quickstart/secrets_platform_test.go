//go:build platform

package quickstart

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
)

// secretSet is every secret a run was given or made, in every form it could
// leak in: as is, base64-encoded, and as a basic-auth header's credentials.
type secretSet struct {
	mu     sync.Mutex
	labels map[string]string // needle -> what it is
	names  map[string]bool   // what was added
}

func newSecretSet() *secretSet {
	return &secretSet{labels: map[string]string{}, names: map[string]bool{}}
}

// minSecretLen keeps short values, which would match by chance, out.
const minSecretLen = 8

// add adds a secret value and its base64 form.
func (s *secretSet) add(label, value string) {
	if len(value) < minSecretLen {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.names[label] = true
	s.labels[value] = label
	s.labels[base64.StdEncoding.EncodeToString([]byte(value))] = label + " (base64)"
}

// addBasic adds the basic-auth form of a user's secret.
func (s *secretSet) addBasic(label, user, secret string) {
	s.add(label, secret)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.labels[base64.StdEncoding.EncodeToString([]byte(user+":"+secret))] = label + " (basic auth)"
}

// addKubeconfigKeys adds the client keys and tokens of a kubeconfig: each
// key's base64 form as a kubeconfig holds it, and the first line of its PEM
// body, which any copy of the key contains.
func (s *secretSet) addKubeconfigKeys(t *testing.T, label, path string) {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatalf("cannot read %s: %v", path, err)
	}
	for name, ai := range cfg.AuthInfos {
		l := fmt.Sprintf("%s key of %s", label, name)
		if len(ai.ClientKeyData) > 0 {
			s.add(l, string(ai.ClientKeyData))
			for _, line := range strings.Split(string(ai.ClientKeyData), "\n") {
				if !strings.HasPrefix(line, "-----") && len(line) >= 32 {
					s.add(l+" (PEM line)", line)
					break
				}
			}
		}
		if ai.ClientKey != "" {
			if b, err := os.ReadFile(ai.ClientKey); err == nil {
				s.add(l, string(b))
			}
		}
		s.add(label+" token of "+name, ai.Token)
	}
}

// count returns how many secrets are in the set (not counting their forms).
func (s *secretSet) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.names)
}

// kinds returns the names of the secrets in the set.
func (s *secretSet) kinds() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.names))
	for n := range s.names {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// leak is one secret found where it must not be.
type leak struct {
	where, what string
}

// scanText returns the secrets that occur in text.
func (s *secretSet) scanText(where, text string) []leak {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []leak
	for needle, label := range s.labels {
		if strings.Contains(text, needle) {
			out = append(out, leak{where: where, what: label})
		}
	}
	return out
}

// redact returns text with every secret replaced by what it is, for a
// test's failure message.
func (s *secretSet) redact(text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for needle, label := range s.labels {
		text = strings.ReplaceAll(text, needle, "<"+label+">")
	}
	return text
}

// scanDir scans every file below dir and returns the leaks and how many
// bytes it read.
func (s *secretSet) scanDir(t *testing.T, dir string) ([]leak, int64) {
	t.Helper()
	var leaks []leak
	var size int64
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		size += int64(len(b))
		leaks = append(leaks, s.scanText(filepath.Base(path), string(b))...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return leaks, size
}
