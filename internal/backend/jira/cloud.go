package jira

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/httpclient"
	"github.com/mcplatform/terraform-provider-mc/internal/redact"
)

// APIPrefix is the path of Jira Cloud's REST v3 API below the site URL.
const APIPrefix = "/rest/api/3"

// DefaultPageSize is the maxResults the client asks for when listing; it is
// the largest page Jira Cloud answers for projects.
const DefaultPageSize = 100

// maxPages bounds how many pages one list follows, as a guard against a
// server that never says isLast.
const maxPages = 10000

// cloud is the Jira Cloud implementation of Client. It is safe for
// concurrent use.
type cloud struct {
	base     *url.URL // scheme://host/<path>/rest/api/3
	auth     Auth
	http     *http.Client
	pageSize int
}

var _ Client = (*cloud)(nil)

// NewCloud returns a client for the Jira Cloud site at baseURL (such as
// https://your-domain.atlassian.net; a trailing /rest/api/3 is accepted),
// authenticating with auth. The URL must not carry credentials.
func NewCloud(baseURL string, auth Auth, opts ...Option) (Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("cannot use Jira URL %q: want scheme://host[:port]", redact.URL(baseURL))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("cannot use Jira URL %q: scheme must be http or https", redact.URL(baseURL))
	}
	if u.User != nil {
		return nil, fmt.Errorf("cannot use Jira URL %q: pass credentials as email and API token, not in the URL", redact.URL(baseURL))
	}
	o := options{pageSize: DefaultPageSize}
	for _, opt := range opts {
		opt(&o)
	}
	u.RawQuery, u.Fragment = "", ""
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.Path = strings.TrimSuffix(u.Path, APIPrefix) + APIPrefix
	u.RawPath = ""
	hc := o.http
	if hc == nil {
		hc = httpclient.New(o.httpOpts)
	}
	return &cloud{base: u, auth: auth, http: hc, pageSize: o.pageSize}, nil
}

// request describes one API call.
type request struct {
	method string
	// path is below /rest/api/3, already escaped.
	path  string
	query url.Values
	body  any
	out   any
}

func (c *cloud) endpoint(escapedPath string, q url.Values) *url.URL {
	u := *c.base
	raw := u.EscapedPath() + escapedPath
	if p, err := url.PathUnescape(raw); err == nil {
		u.Path, u.RawPath = p, raw
	} else {
		u.Path, u.RawPath = raw, ""
	}
	u.RawQuery = q.Encode()
	return &u
}

// do performs r and decodes a 2xx answer into r.out; any other answer is a
// *Error.
func (c *cloud) do(ctx context.Context, r request) (err error) {
	defer func() { err = redact.Error(err, c.auth.APIToken) }()
	u := c.endpoint(r.path, r.query)
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
	if c.auth.Email != "" || c.auth.APIToken != "" {
		req.SetBasicAuth(c.auth.Email, c.auth.APIToken)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return fmt.Errorf("jira: %s %s: %w", r.method, redact.URL(ue.URL), ue.Err)
		}
		return fmt.Errorf("jira: %s %s: %w", r.method, u.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("jira: %s %s: cannot read the answer: %w", r.method, u.Path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		je := &Error{StatusCode: resp.StatusCode, Method: r.method, Path: u.Path}
		var eb struct {
			ErrorMessages []string          `json:"errorMessages"`
			Errors        map[string]string `json:"errors"`
		}
		if json.Unmarshal(data, &eb) == nil {
			je.Messages, je.Fields = eb.ErrorMessages, eb.Errors
		}
		return je
	}
	if r.out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, r.out); err != nil {
			return fmt.Errorf("jira: %s %s: cannot decode the answer: %w", r.method, u.Path, err)
		}
	}
	return nil
}

// listPages GETs an offset-paginated list (Jira's PageBean) from startAt 0
// until isLast, an empty page or total is reached.
func listPages[T any](ctx context.Context, c *cloud, escapedPath string, q url.Values) ([]T, error) {
	q = cloneValues(q)
	q.Set("maxResults", strconv.Itoa(c.pageSize))
	var all []T
	var start int64
	for range maxPages {
		q.Set("startAt", strconv.FormatInt(start, 10))
		var p page[T]
		if err := c.do(ctx, request{method: http.MethodGet, path: escapedPath, query: q, out: &p}); err != nil {
			return nil, err
		}
		all = append(all, p.Values...)
		start = p.StartAt + int64(len(p.Values))
		if p.IsLast || len(p.Values) == 0 || (p.Total > 0 && start >= p.Total) {
			return all, nil
		}
	}
	return nil, fmt.Errorf("jira: GET %s: more than %d pages", escapedPath, maxPages)
}

// listArray GETs a list that Jira pages with startAt and maxResults but
// answers as a bare array (user search): pages are read until an empty
// one, since Jira may answer fewer than maxResults before the end.
func listArray[T any](ctx context.Context, c *cloud, escapedPath string, q url.Values) ([]T, error) {
	q = cloneValues(q)
	q.Set("maxResults", strconv.Itoa(c.pageSize))
	var all []T
	for range maxPages {
		q.Set("startAt", strconv.Itoa(len(all)))
		var p []T
		if err := c.do(ctx, request{method: http.MethodGet, path: escapedPath, query: q, out: &p}); err != nil {
			return nil, err
		}
		if len(p) == 0 {
			return all, nil
		}
		all = append(all, p...)
	}
	return nil, fmt.Errorf("jira: GET %s: more than %d pages", escapedPath, maxPages)
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, vs := range q {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func projectPath(keyOrID string) string { return "/project/" + url.PathEscape(keyOrID) }

func rolePath(keyOrID string, roleID int64) string {
	return projectPath(keyOrID) + "/role/" + strconv.FormatInt(roleID, 10)
}
