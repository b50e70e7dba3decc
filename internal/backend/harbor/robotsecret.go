package harbor

import (
	"crypto/rand"
	"errors"
	"net/http"
	"strings"
)

// secretAlphabet is the characters of the secrets NewRobotSecret makes.
const secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// NewRobotSecret returns a random 32-character secret that Harbor accepts
// for a robot account (8 to 128 characters with at least one upper-case
// letter, one lower-case letter and one digit).
func NewRobotSecret() Secret {
	for {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		for i := range b {
			b[i] = secretAlphabet[int(b[i])%len(secretAlphabet)]
		}
		s := string(b)
		if strings.ContainsAny(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") && strings.ContainsAny(s, "abcdefghijklmnopqrstuvwxyz") && strings.ContainsAny(s, "0123456789") {
			return Secret(s)
		}
	}
}

// UnhealthyMessage is Harbor's message when it refuses to save a registry
// endpoint whose health check failed: the remote answered, but not to the
// endpoint's credentials, or its TLS certificate is not trusted
// (src/controller/registry/controller.go, validate).
const UnhealthyMessage = "the registry is unhealthy"

// IsRegistryUnhealthy reports whether err is Harbor's 400 for a registry
// endpoint that failed its health check on create or update.
func IsRegistryUnhealthy(err error) bool {
	var he *Error
	return errors.As(err, &he) && he.StatusCode == http.StatusBadRequest && strings.Contains(he.Message(), UnhealthyMessage)
}

// IsServerError reports whether err is one of Harbor's 5xx answers; on
// registry create and update a 500 means that Harbor core could not reach
// the remote at all (its /api/version did not answer).
func IsServerError(err error) bool { return StatusCode(err) >= 500 }
