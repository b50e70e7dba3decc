// Package bitbucket is a small typed client for the parts of Bitbucket that
// the provider manages: workspaces, projects and their user and group
// permissions, repositories, and the accounts behind them.
//
// Client is the interface; NewCloud implements it on Bitbucket Cloud's REST
// API 2.0 (https://api.bitbucket.org/2.0). A Bitbucket Data Center backend
// is meant to be a second implementation of the same interface.
//
// The Cloud client is built on the retrying client of
// internal/backend/httpclient (429, 5xx and connection resets are retried
// with backoff, honouring Retry-After), follows Bitbucket's pagination
// (pagelen, page, next, values), surfaces the error body
// {"type":"error","error":{"message","detail","fields"}} as *Error, and never
// puts credentials into errors or logs.
//
// Retried writes and lost answers: every write is retried, so a write whose
// answer was lost is sent again. The permission writes (PUT) and deletes are
// idempotent by nature (a repeated delete answers 404: IsNotFound means
// gone). A repeated create answers 400 "... already exists"
// (IsAlreadyExists): Bitbucket keeps project keys and repository slugs
// unique, so a create can never make a second project or repository, and
// callers that choose the key themselves adopt the existing one:
// CreateOrGetProject and CreateOrGetRepository do that and say so.
package bitbucket

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/httpclient"
	"github.com/mcplatform/terraform-provider-mc/internal/redact"
)

// CloudURL is Bitbucket Cloud's API base URL.
const CloudURL = "https://api.bitbucket.org/2.0"

// APIPrefix is the path of the REST API 2.0 below the server URL.
const APIPrefix = "/2.0"

// DefaultPageLen is the page length the client asks for: Bitbucket's maximum.
const DefaultPageLen = 100

// maxPages bounds how many pages one list follows, as a guard against a
// server whose next links never end.
const maxPages = 10000

// Client is what the engine needs from a Bitbucket. Every method takes a
// context that bounds it, retries included. Errors from the server are
// *Error (see IsNotFound, IsAlreadyExists).
type Client interface {
	// GetWorkspace returns the workspace with this slug or {uuid}.
	GetWorkspace(ctx context.Context, workspace string) (*Workspace, error)
	// CurrentUser returns the account behind the credentials; it is the way
	// to check them.
	CurrentUser(ctx context.Context) (*User, error)
	// GetUser returns the account with this Atlassian account id (or {uuid});
	// IsNotFound when there is none.
	GetUser(ctx context.Context, accountID string) (*User, error)

	// ListProjects lists the projects of a workspace, all pages.
	ListProjects(ctx context.Context, workspace string) ([]Project, error)
	// GetProject returns the project with this key.
	GetProject(ctx context.Context, workspace, key string) (*Project, error)
	// CreateProject creates a project; a key that is taken answers
	// IsAlreadyExists.
	CreateProject(ctx context.Context, workspace string, in ProjectInput) (*Project, error)
	// UpdateProject updates the project with this key (name, description,
	// privacy; a different in.Key renames the key).
	UpdateProject(ctx context.Context, workspace, key string, in ProjectInput) (*Project, error)
	// DeleteProject deletes the project with this key. Bitbucket refuses
	// (403) while the project still holds repositories.
	DeleteProject(ctx context.Context, workspace, key string) error

	// ListProjectUserPermissions lists the explicit user permissions of a project.
	ListProjectUserPermissions(ctx context.Context, workspace, key string) ([]UserPermission, error)
	// GetProjectUserPermission returns one user's explicit permission;
	// IsNotFound when the user has none (or does not exist).
	GetProjectUserPermission(ctx context.Context, workspace, key, accountID string) (*UserPermission, error)
	// PutProjectUserPermission grants or changes one user's permission.
	PutProjectUserPermission(ctx context.Context, workspace, key, accountID string, p Permission) (*UserPermission, error)
	// DeleteProjectUserPermission removes one user's explicit permission.
	DeleteProjectUserPermission(ctx context.Context, workspace, key, accountID string) error

	// ListProjectGroupPermissions lists the group permissions of a project.
	ListProjectGroupPermissions(ctx context.Context, workspace, key string) ([]GroupPermission, error)
	// GetProjectGroupPermission returns one group's permission; IsNotFound
	// when the group has none (or does not exist).
	GetProjectGroupPermission(ctx context.Context, workspace, key, groupSlug string) (*GroupPermission, error)
	// PutProjectGroupPermission grants or changes one group's permission.
	PutProjectGroupPermission(ctx context.Context, workspace, key, groupSlug string, p Permission) (*GroupPermission, error)
	// DeleteProjectGroupPermission removes one group's permission.
	DeleteProjectGroupPermission(ctx context.Context, workspace, key, groupSlug string) error

	// ListRepositories lists the repositories of a project, all pages.
	ListRepositories(ctx context.Context, workspace, projectKey string) ([]Repository, error)
	// GetRepository returns the repository with this slug (or {uuid}).
	GetRepository(ctx context.Context, workspace, slug string) (*Repository, error)
	// CreateRepository creates the repository slug in in.ProjectKey; a slug
	// that is taken answers IsAlreadyExists.
	CreateRepository(ctx context.Context, workspace, slug string, in RepositoryInput) (*Repository, error)
	// DeleteRepository deletes the repository with this slug.
	DeleteRepository(ctx context.Context, workspace, slug string) error
}

// Auth holds the credentials. With a Username they go as basic auth: an
// Atlassian account email with an API token (app passwords, with the
// Bitbucket username, are retired by Atlassian but still work where they
// exist). Without a Username the Token goes as a bearer token: a workspace,
// project or repository access token.
type Auth struct {
	Username string
	Token    string
}

// Option tunes a client.
type Option func(*options)

type options struct {
	http     *http.Client
	httpOpts httpclient.Options
}

// WithHTTPClient makes the client send its requests through hc.
func WithHTTPClient(hc *http.Client) Option { return func(o *options) { o.http = hc } }

// WithHTTPOptions tunes the retrying client the client builds (ignored with
// WithHTTPClient).
func WithHTTPOptions(ho httpclient.Options) Option { return func(o *options) { o.httpOpts = ho } }

// cloud implements Client on Bitbucket Cloud's REST API 2.0.
type cloud struct {
	base *url.URL // scheme://host[/path]/2.0
	err  error    // why the base URL cannot be used; every call returns it
	auth Auth
	http *http.Client
}

// NewCloud returns a Client for Bitbucket Cloud's REST API 2.0 at baseURL:
// CloudURL, or a server URL to which /2.0 is appended unless it ends in it.
// An unusable URL makes every call fail with the reason.
func NewCloud(baseURL string, auth Auth, opts ...Option) Client {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	hc := o.http
	if hc == nil {
		hc = httpclient.New(o.httpOpts)
	}
	c := &cloud{auth: auth, http: hc}
	c.base, c.err = parseBaseURL(baseURL)
	return c
}

func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("cannot use Bitbucket URL %q: want scheme://host[:port][/2.0]", redact.URL(raw))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("cannot use Bitbucket URL %q: scheme must be http or https", redact.URL(raw))
	}
	if u.User != nil {
		return nil, fmt.Errorf("cannot use Bitbucket URL %q: pass credentials as username and token, not in the URL", redact.URL(raw))
	}
	u.RawQuery, u.Fragment, u.RawPath = "", "", ""
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), APIPrefix) + APIPrefix
	return u, nil
}

// Error is a non-2xx answer from Bitbucket, with the status and the error
// body's message, detail and field errors.
type Error struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Method and Path name the request (no query, no credentials).
	Method, Path string
	// Message and Detail are the error body's error.message and error.detail.
	Message, Detail string
	// Fields are the error body's per-field messages (error.fields), as
	// Bitbucket sends them for invalid input; "__all__" holds those about
	// the whole object.
	Fields map[string][]string
}

// Messages returns the message, the detail and every field message.
func (e *Error) Messages() []string {
	var msgs []string
	for _, m := range []string{e.Message, e.Detail} {
		if m != "" {
			msgs = append(msgs, m)
		}
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, m := range e.Fields[k] {
			if k == "__all__" {
				msgs = append(msgs, m)
			} else {
				msgs = append(msgs, k+": "+m)
			}
		}
	}
	return msgs
}

// Error implements error. Bitbucket's messages may quote what the user
// sent; they are shown redacted.
func (e *Error) Error() string {
	s := fmt.Sprintf("bitbucket: %s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if msgs := e.Messages(); len(msgs) > 0 {
		s += ": " + redact.Text(strings.Join(msgs, "; "))
	}
	return s
}

// StatusCode returns the HTTP status of a *Error inside err, or 0.
func StatusCode(err error) int {
	var be *Error
	if errors.As(err, &be) {
		return be.StatusCode
	}
	return 0
}

// IsNotFound reports whether err is Bitbucket's 404.
func IsNotFound(err error) bool { return StatusCode(err) == http.StatusNotFound }

// IsUnauthorized reports whether err is Bitbucket's 401 (wrong or missing credentials).
func IsUnauthorized(err error) bool { return StatusCode(err) == http.StatusUnauthorized }

// IsForbidden reports whether err is Bitbucket's 403 (not allowed, or, for
// a project delete, the project still holds repositories).
func IsForbidden(err error) bool { return StatusCode(err) == http.StatusForbidden }

// IsBadRequest reports whether err is Bitbucket's 400 (invalid input).
func IsBadRequest(err error) bool { return StatusCode(err) == http.StatusBadRequest }

// IsAlreadyExists reports whether err is Bitbucket's answer to a create
// whose key or slug is taken: 400 with "... already exists." (Bitbucket
// Cloud has no 409 for this).
func IsAlreadyExists(err error) bool {
	var be *Error
	if !errors.As(err, &be) || (be.StatusCode != http.StatusBadRequest && be.StatusCode != http.StatusConflict) {
		return false
	}
	if be.StatusCode == http.StatusConflict {
		return true
	}
	for _, m := range be.Messages() {
		if strings.Contains(strings.ToLower(m), "already exists") {
			return true
		}
	}
	return false
}

// IsConflict is IsAlreadyExists, under the name the other backends use.
func IsConflict(err error) bool { return IsAlreadyExists(err) }

// request describes one API call.
type request struct {
	method string
	path   string // below /2.0, already escaped
	query  url.Values
	body   any
	out    any
}

func (c *cloud) endpoint(escapedPath string, q url.Values) (*url.URL, error) {
	if c.err != nil {
		return nil, c.err
	}
	u := *c.base
	raw := u.EscapedPath() + escapedPath
	p, err := url.PathUnescape(raw)
	if err != nil {
		return nil, fmt.Errorf("invalid path %q: %w", escapedPath, err)
	}
	u.Path, u.RawPath = p, raw
	u.RawQuery = q.Encode()
	return &u, nil
}

func (c *cloud) do(ctx context.Context, r request) error {
	u, err := c.endpoint(r.path, r.query)
	if err != nil {
		return err
	}
	return c.doURL(ctx, r, u)
}

func (c *cloud) doURL(ctx context.Context, r request, u *url.URL) (err error) {
	defer func() { err = redact.Error(err, c.auth.Token) }()
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return fmt.Errorf("cannot encode request body: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), body)
	if err != nil {
		return fmt.Errorf("cannot build request %s %s: %w", r.method, u.Path, err)
	}
	req.Header.Set("Accept", "application/json")
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case c.auth.Username != "":
		req.SetBasicAuth(c.auth.Username, c.auth.Token)
	case c.auth.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.auth.Token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return fmt.Errorf("bitbucket: %s %s: %w", r.method, redact.URL(ue.URL), ue.Err)
		}
		return fmt.Errorf("bitbucket: %s %s: %w", r.method, u.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("bitbucket: %s %s: cannot read the answer: %w", r.method, u.Path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		be := &Error{StatusCode: resp.StatusCode, Method: r.method, Path: u.Path}
		var eb struct {
			Error struct {
				Message string          `json:"message"`
				Detail  json.RawMessage `json:"detail"`
				Fields  map[string]any  `json:"fields"`
			} `json:"error"`
		}
		if json.Unmarshal(data, &eb) == nil {
			be.Message = eb.Error.Message
			be.Detail = textOf(eb.Error.Detail)
			be.Fields = fieldMessages(eb.Error.Fields)
		}
		return be
	}
	if r.out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, r.out); err != nil {
			return fmt.Errorf("bitbucket: %s %s: cannot decode the answer: %w", r.method, u.Path, err)
		}
	}
	return nil
}

// textOf returns a JSON string as is and any other JSON value as its text:
// error.detail is a string in most answers and an object in a few.
func textOf(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// fieldMessages flattens error.fields, whose values are a message or a list
// of messages.
func fieldMessages(fields map[string]any) map[string][]string {
	if len(fields) == 0 {
		return nil
	}
	out := map[string][]string{}
	for k, v := range fields {
		switch v := v.(type) {
		case string:
			out[k] = append(out[k], v)
		case []any:
			for _, m := range v {
				out[k] = append(out[k], fmt.Sprint(m))
			}
		default:
			b, _ := json.Marshal(v)
			out[k] = append(out[k], string(b))
		}
	}
	return out
}

// listAll GETs a paginated collection with pagelen=DefaultPageLen and
// follows next until the last page.
func listAll[T any](ctx context.Context, c *cloud, escapedPath string, q url.Values) ([]T, error) {
	if q == nil {
		q = url.Values{}
	}
	if q.Get("pagelen") == "" {
		q.Set("pagelen", strconv.Itoa(DefaultPageLen))
	}
	u, err := c.endpoint(escapedPath, q)
	if err != nil {
		return nil, err
	}
	var all []T
	for range maxPages {
		var p page[T]
		if err := c.doURL(ctx, request{method: http.MethodGet, path: escapedPath, out: &p}, u); err != nil {
			return nil, err
		}
		all = append(all, p.Values...)
		if p.Next == "" || len(p.Values) == 0 {
			return all, nil
		}
		nu, err := u.Parse(p.Next)
		if err != nil {
			return nil, fmt.Errorf("bitbucket: GET %s: invalid next link %q: %w", u.Path, redact.URL(p.Next), err)
		}
		if nu.Host != c.base.Host {
			return nil, fmt.Errorf("bitbucket: GET %s: the next link points to another host %q", u.Path, nu.Host)
		}
		u = nu
	}
	return nil, fmt.Errorf("bitbucket: GET %s: more than %d pages", escapedPath, maxPages)
}

// seg escapes one path segment.
func seg(s string) string { return url.PathEscape(s) }
