// Package harbor is a small typed client for the subset of Harbor's v2.0 REST
// API (base <url>/api/v2.0) that the provider uses: system info and health,
// projects and their members, registry endpoints, replication policies,
// executions and tasks, artifacts and robot accounts.
//
// It is built on the retrying client of internal/backend/httpclient, follows
// Harbor's pagination (X-Total-Count and Link rel="next"), surfaces Harbor's
// error body {"errors":[{"code","message"}]} as *Error, and never puts
// credentials into errors or logs.
package harbor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/httpclient"
	"github.com/mcplatform/terraform-provider-mc/internal/redact"
)

// APIPrefix is the path of Harbor's v2.0 API below the server URL.
const APIPrefix = "/api/v2.0"

// DefaultPageSize is the page size the client asks for when listing; it is
// Harbor's maximum.
const DefaultPageSize = 100

// maxPages bounds how many pages one list follows, as a guard against a
// server whose Link header never ends.
const maxPages = 10000

// Config holds what a Client needs to reach one Harbor.
type Config struct {
	// URL is the Harbor server, e.g. https://harbor.example.com. It must not
	// carry user information; use Username and Password.
	URL string
	// Username and Password are basic-auth credentials: a user or a robot
	// account (robot$name, robot$project+name). Empty means anonymous.
	Username, Password string
	// HTTP is the client to use; nil builds one with httpclient.New(HTTPOptions).
	HTTP *http.Client
	// HTTPOptions tune the client built when HTTP is nil.
	HTTPOptions httpclient.Options
}

// Client talks to one Harbor. It is safe for concurrent use.
type Client struct {
	base     *url.URL // scheme://host/<path>/api/v2.0
	username string
	password string
	http     *http.Client
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(cfg.URL))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("cannot use Harbor URL %q: want scheme://host[:port]", redact.URL(cfg.URL))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("cannot use Harbor URL %q: scheme must be http or https", redact.URL(cfg.URL))
	}
	if u.User != nil {
		return nil, fmt.Errorf("cannot use Harbor URL %q: pass credentials as username and password, not in the URL", redact.URL(cfg.URL))
	}
	u.RawQuery, u.Fragment = "", ""
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.Path = strings.TrimSuffix(u.Path, APIPrefix) + APIPrefix
	u.RawPath = ""
	hc := cfg.HTTP
	if hc == nil {
		hc = httpclient.New(cfg.HTTPOptions)
	}
	return &Client{base: u, username: cfg.Username, password: cfg.Password, http: hc}, nil
}

// URL returns the API base URL, <url>/api/v2.0.
func (c *Client) URL() string { return c.base.String() }

// ErrorItem is one entry of Harbor's error body.
type ErrorItem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error is a non-2xx answer from Harbor, with the status and the error body.
type Error struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Method and Path name the request (no query, no credentials).
	Method, Path string
	// Errors is the body's errors array; empty when the body had none.
	Errors []ErrorItem
}

// Code returns the first error code ("NOT_FOUND", "CONFLICT", ...), or "".
func (e *Error) Code() string {
	if len(e.Errors) == 0 {
		return ""
	}
	return e.Errors[0].Code
}

// Message returns the error messages joined by "; ".
func (e *Error) Message() string {
	var msgs []string
	for _, it := range e.Errors {
		if it.Message != "" {
			msgs = append(msgs, it.Message)
		}
	}
	return strings.Join(msgs, "; ")
}

// Error implements error. Harbor's messages may quote a URL the user gave;
// it is shown redacted.
func (e *Error) Error() string {
	s := fmt.Sprintf("harbor: %s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if code := e.Code(); code != "" {
		s += " " + code
	}
	if msg := e.Message(); msg != "" {
		s += ": " + redact.Text(msg)
	}
	return s
}

// StatusCode returns the HTTP status of a *Error inside err, or 0.
func StatusCode(err error) int {
	var he *Error
	if errors.As(err, &he) {
		return he.StatusCode
	}
	return 0
}

// IsNotFound reports whether err is Harbor's 404.
func IsNotFound(err error) bool { return StatusCode(err) == http.StatusNotFound }

// IsConflict reports whether err is Harbor's 409 (the name is taken).
func IsConflict(err error) bool { return StatusCode(err) == http.StatusConflict }

// IsBadRequest reports whether err is Harbor's 400 (invalid input).
func IsBadRequest(err error) bool { return StatusCode(err) == http.StatusBadRequest }

// IsUnauthorized reports whether err is Harbor's 401 (wrong or missing credentials).
func IsUnauthorized(err error) bool { return StatusCode(err) == http.StatusUnauthorized }

// IsForbidden reports whether err is Harbor's 403.
func IsForbidden(err error) bool { return StatusCode(err) == http.StatusForbidden }

// IsPreconditionFailed reports whether err is Harbor's 412 (e.g. the object is still in use).
func IsPreconditionFailed(err error) bool { return StatusCode(err) == http.StatusPreconditionFailed }

// request describes one API call.
type request struct {
	method string
	// path is below /api/v2.0, already escaped (see PathEscapeRepository).
	path    string
	query   url.Values
	header  http.Header
	body    any
	out     any
	raw     *[]byte // receives the body as is, for text answers
	noAuth  bool
	wantAny bool // accept any 2xx
	// secrets are values in body (such as a registry's access secret) that
	// an error must not show; the client's password is always masked.
	secrets []string
}

func (c *Client) endpoint(escapedPath string, q url.Values) (*url.URL, error) {
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

// do performs r against the API and returns the response (body consumed and
// decoded into r.out when set).
func (c *Client) do(ctx context.Context, r request) (*http.Response, error) {
	u, err := c.endpoint(r.path, r.query)
	if err != nil {
		return nil, err
	}
	return c.doURL(ctx, r, u)
}

func (c *Client) doURL(ctx context.Context, r request, u *url.URL) (resp *http.Response, err error) {
	defer func() { err = redact.Error(err, slices.Concat(r.secrets, []string{c.password})...) }()
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, fmt.Errorf("cannot encode request body: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("cannot build request %s %s: %w", r.method, u.Path, err)
	}
	for k, vs := range r.header {
		req.Header[k] = vs
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if !r.noAuth && (c.username != "" || c.password != "") {
		req.SetBasicAuth(c.username, c.password)
	}
	resp, err = c.http.Do(req)
	if err != nil {
		// The url.Error names the URL, which has no credentials (they go in
		// the Authorization header); redact secret-looking query values anyway.
		var ue *url.Error
		if errors.As(err, &ue) {
			return nil, fmt.Errorf("harbor: %s %s: %w", r.method, redact.URL(ue.URL), ue.Err)
		}
		return nil, fmt.Errorf("harbor: %s %s: %w", r.method, u.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, fmt.Errorf("harbor: %s %s: cannot read the answer: %w", r.method, u.Path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		he := &Error{StatusCode: resp.StatusCode, Method: r.method, Path: u.Path}
		var eb struct {
			Errors []ErrorItem `json:"errors"`
		}
		if json.Unmarshal(data, &eb) == nil {
			he.Errors = eb.Errors
		}
		return resp, he
	}
	if r.raw != nil {
		*r.raw = data
	}
	if r.out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, r.out); err != nil {
			return resp, fmt.Errorf("harbor: %s %s: cannot decode the answer: %w", r.method, u.Path, err)
		}
	}
	return resp, nil
}

// listAll GETs path with page_size and follows Link rel="next" until the end,
// decoding each page (a JSON array) into the result.
func listAll[T any](ctx context.Context, c *Client, escapedPath string, q url.Values, h http.Header) ([]T, error) {
	if q == nil {
		q = url.Values{}
	}
	if q.Get("page_size") == "" {
		q.Set("page_size", strconv.Itoa(DefaultPageSize))
	}
	if q.Get("page") == "" {
		q.Set("page", "1")
	}
	u, err := c.endpoint(escapedPath, q)
	if err != nil {
		return nil, err
	}
	var all []T
	for range maxPages {
		var page []T
		resp, err := c.doURL(ctx, request{method: http.MethodGet, path: escapedPath, header: h, out: &page}, u)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		next := nextLink(resp.Header.Values("Link"))
		if next == "" || len(page) == 0 {
			return all, nil
		}
		nu, err := u.Parse(next)
		if err != nil {
			return nil, fmt.Errorf("harbor: GET %s: invalid Link header %q: %w", u.Path, next, err)
		}
		// Harbor writes the query of its links unescaped (q=name=~x);
		// encode it again before sending.
		nu.RawQuery = nu.Query().Encode()
		if nu.Host != c.base.Host {
			return nil, fmt.Errorf("harbor: GET %s: Link header points to another host %q", u.Path, nu.Host)
		}
		u = nu
	}
	return nil, fmt.Errorf("harbor: GET %s: more than %d pages", escapedPath, maxPages)
}

// nextLink returns the target of rel="next" in RFC 8288 Link header values,
// as Harbor writes them: `<url>; rel="prev" , <url>; rel="next"`.
func nextLink(values []string) string {
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			start, end := strings.Index(part, "<"), strings.Index(part, ">")
			if start != 0 || end < 0 {
				continue
			}
			for _, param := range strings.Split(part[end+1:], ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(param), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "rel") {
					for _, rel := range strings.Fields(strings.Trim(strings.TrimSpace(val), `"`)) {
						if strings.EqualFold(rel, "next") {
							return part[start+1 : end]
						}
					}
				}
			}
		}
	}
	return ""
}

// idFromLocation parses the numeric id at the end of a 201's Location header.
func idFromLocation(resp *http.Response) (int64, error) {
	loc := resp.Header.Get("Location")
	if loc == "" {
		return 0, errors.New("the answer has no Location header")
	}
	u, err := url.Parse(loc)
	if err != nil {
		return 0, fmt.Errorf("invalid Location header %q: %w", loc, err)
	}
	id, err := strconv.ParseInt(path.Base(strings.TrimSuffix(u.Path, "/")), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("the Location header %q does not end in an id", loc)
	}
	return id, nil
}

// PathEscapeRepository escapes a repository name for a path segment the way
// Harbor asks: twice over, so "a/b" becomes "a%252Fb".
func PathEscapeRepository(name string) string {
	return url.PathEscape(url.PathEscape(name))
}

func idPath(prefix string, id int64) string {
	return prefix + "/" + strconv.FormatInt(id, 10)
}
