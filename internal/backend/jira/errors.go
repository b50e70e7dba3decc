package jira

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/mcplatform/terraform-provider-mc/internal/redact"
)

// ErrNotFound is wrapped by errors for things a lookup did not find where
// Jira answers with an empty list rather than a 404 (FindGroup,
// GetGroupByID). IsNotFound holds for it.
var ErrNotFound = errors.New("not found")

// Error is a non-2xx answer from Jira, with the status and Jira's error
// body {"errorMessages":[...],"errors":{"field":"message"}}.
type Error struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Method and Path name the request (no query, no credentials).
	Method, Path string
	// Messages are the body's errorMessages.
	Messages []string
	// Fields are the body's errors, by parameter (projectKey,
	// projectName, ...).
	Fields map[string]string
}

// Message returns the error messages and the field errors ("field: msg"),
// joined by "; ".
func (e *Error) Message() string {
	msgs := slices.Clone(e.Messages)
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		msgs = append(msgs, k+": "+e.Fields[k])
	}
	return strings.Join(msgs, "; ")
}

// Error implements error. Jira's messages may quote what the user sent; they
// are shown redacted.
func (e *Error) Error() string {
	s := fmt.Sprintf("jira: %s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if msg := e.Message(); msg != "" {
		s += ": " + redact.Text(msg)
	}
	return s
}

// StatusCode returns the HTTP status of a *Error inside err, or 0.
func StatusCode(err error) int {
	var je *Error
	if errors.As(err, &je) {
		return je.StatusCode
	}
	return 0
}

// IsNotFound reports whether err is Jira's 404 (the project, role, user or
// group does not exist, or the caller may not see it) or wraps ErrNotFound.
func IsNotFound(err error) bool {
	return StatusCode(err) == http.StatusNotFound || errors.Is(err, ErrNotFound)
}

// IsBadRequest reports whether err is Jira's 400 (invalid input).
func IsBadRequest(err error) bool { return StatusCode(err) == http.StatusBadRequest }

// IsUnauthorized reports whether err is Jira's 401 (wrong or missing
// credentials).
func IsUnauthorized(err error) bool { return StatusCode(err) == http.StatusUnauthorized }

// IsForbidden reports whether err is Jira's 403 (the account lacks a
// permission, such as Administer Jira for creating projects).
func IsForbidden(err error) bool { return StatusCode(err) == http.StatusForbidden }

// IsProjectKeyInUse reports whether err is Jira refusing a project create
// or key change because the key is taken: by a live project, by a project in
// the trash (the key stays reserved until the trash is emptied), or as an
// earlier key of a project.
func IsProjectKeyInUse(err error) bool {
	var je *Error
	if !errors.As(err, &je) || je.StatusCode != http.StatusBadRequest {
		return false
	}
	msg := je.Fields["projectKey"]
	return strings.Contains(msg, "uses this project key") || strings.Contains(msg, "already exists")
}

// IsProjectNameInUse reports whether err is Jira refusing a project create
// or update because another project has the name.
func IsProjectNameInUse(err error) bool {
	var je *Error
	if !errors.As(err, &je) || je.StatusCode != http.StatusBadRequest {
		return false
	}
	return strings.Contains(je.Fields["projectName"], "already exists")
}
