package registry

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/bitbucket"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/httpclient"
	"github.com/mcplatform/terraform-provider-mc/internal/backend/jira"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

// The platform plane's services: one Bitbucket and one Jira for the whole
// platform, beside the sites. Front-ends configure how to reach them
// (Platform.Bitbucket and Platform.Jira, or UseServices); kinds get their
// clients here, never from the front-ends.

// Errors a *engine.DependencyError of a service that is not configured wraps.
var (
	// ErrNoBitbucket means no Bitbucket is configured.
	ErrNoBitbucket = errors.New("no Bitbucket configured")
	// ErrNoJira means no Jira is configured.
	ErrNoJira = errors.New("no Jira configured")
)

// BitbucketAccess is how to reach the platform's Bitbucket Cloud: its API
// URL (https://api.bitbucket.org/2.0 for Bitbucket Cloud itself) and its
// credentials: an account email (or username) with an API token (or app
// password), or no username and an access token, sent as a bearer token.
type BitbucketAccess struct {
	URL      string
	Username string
	// Token is the app password or API token (secret).
	Token string
}

// JiraAccess is how to reach the platform's Jira Cloud: its site URL and an
// Atlassian account's email with one of its API tokens.
type JiraAccess struct {
	URL   string
	Email string
	// APIToken is the API token (secret).
	APIToken string
}

// Services says how to reach the platform's services; nil fields mean the
// service is not configured.
type Services struct {
	Bitbucket *BitbucketAccess
	Jira      *JiraAccess
}

// services holds the clients of a registry's services, built on first use.
type services struct {
	mu        sync.Mutex
	access    Services
	bitbucket bitbucket.Client
	jira      jira.Client
}

// servicesOf keeps the services of each registry. A side table rather than
// fields keeps the Registry struct as the site registry defines it.
var servicesOf sync.Map // *Registry → *services

func (r *Registry) services() *services {
	s, _ := servicesOf.LoadOrStore(r, &services{})
	return s.(*services)
}

// serviceHTTPOptions are the retrying HTTP client's settings for the
// services: Retry-After of a 429 is honoured up to WaitMax.
var serviceHTTPOptions = httpclient.Options{WaitMax: 5 * time.Second}

// UseServices configures how the registry reaches the platform's services.
// A configuration different from the current one replaces the clients
// built for it; the same one keeps them.
func (r *Registry) UseServices(access Services) {
	s := r.services()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !reflect.DeepEqual(s.access.Bitbucket, access.Bitbucket) {
		s.bitbucket = nil
	}
	if !reflect.DeepEqual(s.access.Jira, access.Jira) {
		s.jira = nil
	}
	s.access = access
}

// Bitbucket returns the client of the platform's Bitbucket. When none is
// configured the error is a *engine.DependencyError wrapping ErrNoBitbucket.
func (r *Registry) Bitbucket() (bitbucket.Client, error) {
	s := r.services()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bitbucket != nil {
		return s.bitbucket, nil
	}
	a := s.access.Bitbucket
	if a == nil || a.URL == "" {
		return nil, &engine.DependencyError{
			Kind: "service", Name: "bitbucket", Reason: "is not configured",
			Hint: "configure the platform's Bitbucket (URL, username and token) in the provider or the ProviderConfig",
			Err:  ErrNoBitbucket,
		}
	}
	s.bitbucket = bitbucket.NewCloud(a.URL, bitbucket.Auth{Username: a.Username, Token: a.Token}, bitbucket.WithHTTPOptions(serviceHTTPOptions))
	return s.bitbucket, nil
}

// Jira returns the client of the platform's Jira. When none is configured
// the error is a *engine.DependencyError wrapping ErrNoJira.
func (r *Registry) Jira() (jira.Client, error) {
	s := r.services()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.jira != nil {
		return s.jira, nil
	}
	a := s.access.Jira
	if a == nil || a.URL == "" {
		return nil, &engine.DependencyError{
			Kind: "service", Name: "jira", Reason: "is not configured",
			Hint: "configure the platform's Jira (URL, email and API token) in the provider or the ProviderConfig",
			Err:  ErrNoJira,
		}
	}
	c, err := jira.NewCloud(a.URL, jira.Auth{Email: a.Email, APIToken: a.APIToken}, jira.WithHTTPOptions(serviceHTTPOptions))
	if err != nil {
		return nil, fmt.Errorf("cannot use Jira at %s: %w", a.URL, err)
	}
	s.jira = c
	return c, nil
}
