package enginetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
)

// A fake kind, "widget", over an in-memory HTTP backend, to prove the suite
// passes a correct client and fails broken ones.

// widget is the fake kind's spec: Name is the id, Size forces a
// replacement, Color changes in place and Finish is filled in by the
// backend ("matte") when left empty.
type widget struct {
	Name   string `json:"name"`
	Size   int    `json:"size"`
	Color  string `json:"color"`
	Finish string `json:"finish,omitempty"`
}

// storedWidget is a widget as the backend stores it, under an id it chooses.
type storedWidget struct {
	widget
	ID int `json:"id"`
}

// widgetBackend stores widgets like many REST APIs do: it does not enforce
// unique names, so a client that creates twice makes two widgets.
type widgetBackend struct {
	mu      sync.Mutex
	next    int
	widgets map[int]widget
}

func newWidgetBackend(t *testing.T) *httptest.Server {
	b := &widgetBackend{widgets: map[int]widget{}}
	srv := httptest.NewServer(b)
	t.Cleanup(srv.Close)
	return srv
}

func (b *widgetBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	id, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/widgets/"))
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/widgets":
		var out []storedWidget
		for i, wd := range b.widgets {
			if wd.Name == r.URL.Query().Get("name") {
				out = append(out, storedWidget{wd, i})
			}
		}
		_ = json.NewEncoder(w).Encode(out)
	case r.Method == http.MethodPost && r.URL.Path == "/widgets":
		var wd widget
		if err := json.NewDecoder(r.Body).Decode(&wd); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if wd.Finish == "" {
			wd.Finish = "matte"
		}
		b.next++
		b.widgets[b.next] = wd
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(storedWidget{wd, b.next})
	case r.Method == http.MethodPut:
		var wd widget
		if err := json.NewDecoder(r.Body).Decode(&wd); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if _, ok := b.widgets[id]; !ok {
			http.NotFound(w, r)
			return
		}
		if wd.Finish == "" {
			wd.Finish = "matte"
		}
		b.widgets[id] = wd
	case r.Method == http.MethodDelete:
		if _, ok := b.widgets[id]; !ok {
			http.NotFound(w, r)
			return
		}
		delete(b.widgets, id)
		w.WriteHeader(http.StatusNoContent)
	default:
		http.Error(w, "unsupported", http.StatusMethodNotAllowed)
	}
}

// Bugs a widget client can have; each must make the suite fail.
const (
	bugNone = ""
	// bugCreatesBlindly: Create posts without looking for the widget first.
	bugCreatesBlindly = "creates-blindly"
	// bugCreateRefusesExisting: Create fails when the widget exists.
	bugCreateRefusesExisting = "create-refuses-existing"
	// bugCreateIgnoresErrors: Create reports success whatever the backend said.
	bugCreateIgnoresErrors = "create-ignores-errors"
	// bugObserveDropsColor: Observe does not report the color (but
	// compares it).
	bugObserveDropsColor = "observe-drops-color"
	// bugObserveIgnoresDefaults: Observe says UpToDate only when the
	// backend's defaults are in the desired spec.
	bugObserveIgnoresDefaults = "observe-ignores-defaults"
	// bugDeleteOfMissingFails: Delete fails when the widget is gone.
	bugDeleteOfMissingFails = "delete-of-missing-fails"
	// bugUpdateResizes: Update changes the size in place.
	bugUpdateResizes = "update-resizes"
	// bugUpdateRenames: Update of another name makes a second widget.
	bugUpdateRenames = "update-renames"
	// bugUpdateRefusesUnnamed: Update refuses changes without naming the field.
	bugUpdateRefusesUnnamed = "update-refuses-unnamed"
)

type widgetClient struct {
	base string
	http *http.Client
	bug  string
}

var _ engine.Client[widget, struct{}] = (*widgetClient)(nil)

func (c *widgetClient) do(ctx context.Context, method, path string, body, out any) error {
	var rd *bytes.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(raw)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot %s widget: %w", method, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return fmt.Errorf("widget: %w", engine.ErrNotFound)
	}
	if resp.StatusCode > 299 {
		return fmt.Errorf("cannot %s widget: %s", method, resp.Status)
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	return nil
}

func (c *widgetClient) find(ctx context.Context, name string) ([]storedWidget, error) {
	var found []storedWidget
	err := c.do(ctx, http.MethodGet, "/widgets?name="+url.QueryEscape(name), nil, &found)
	return found, err
}

func (c *widgetClient) Observe(ctx context.Context, id string, want widget) (engine.Observation[widget, struct{}], error) {
	var obs engine.Observation[widget, struct{}]
	found, err := c.find(ctx, id)
	if err != nil || len(found) == 0 {
		return obs, err
	}
	obs.Exists, obs.Ready, obs.Actual = true, true, found[0].widget
	withDefaults := want
	if withDefaults.Finish == "" && c.bug != bugObserveIgnoresDefaults {
		withDefaults.Finish = "matte"
	}
	obs.UpToDate = want.Name == "" || withDefaults == obs.Actual
	if c.bug == bugObserveDropsColor {
		obs.Actual.Color = ""
	}
	return obs, nil
}

func (c *widgetClient) Create(ctx context.Context, want widget) (string, error) {
	if c.bug != bugCreatesBlindly {
		found, err := c.find(ctx, want.Name)
		if err != nil {
			return "", err
		}
		if len(found) > 0 {
			if c.bug == bugCreateRefusesExisting {
				return "", fmt.Errorf("widget %q already exists", want.Name)
			}
			return want.Name, c.do(ctx, http.MethodPut, fmt.Sprintf("/widgets/%d", found[0].ID), want, nil)
		}
	}
	err := c.do(ctx, http.MethodPost, "/widgets", want, nil)
	if c.bug == bugCreateIgnoresErrors {
		err = nil
	}
	return want.Name, err
}

func (c *widgetClient) Update(ctx context.Context, id string, want widget) error {
	if want.Name != id {
		switch c.bug {
		case bugUpdateRenames:
			_, err := c.Create(ctx, want)
			return err
		case bugUpdateRefusesUnnamed:
			return errors.New("cannot rename")
		}
		return engine.InvalidInput("name", "cannot rename widget %q to %q in place", id, want.Name)
	}
	found, err := c.find(ctx, id)
	if err != nil {
		return err
	}
	if len(found) == 0 {
		return fmt.Errorf("widget %q: %w", id, engine.ErrNotFound)
	}
	if found[0].Size != want.Size && c.bug != bugUpdateResizes {
		if c.bug == bugUpdateRefusesUnnamed {
			return engine.InvalidInput("", "cannot resize")
		}
		return engine.InvalidInput("size", "cannot resize widget %q from %d to %d in place", id, found[0].Size, want.Size)
	}
	return c.do(ctx, http.MethodPut, fmt.Sprintf("/widgets/%d", found[0].ID), want, nil)
}

func (c *widgetClient) Delete(ctx context.Context, id string) error {
	found, err := c.find(ctx, id)
	if err != nil {
		return err
	}
	if len(found) == 0 && c.bug == bugDeleteOfMissingFails {
		return fmt.Errorf("widget %q: %w", id, engine.ErrNotFound)
	}
	for _, w := range found {
		if err := c.do(ctx, http.MethodDelete, fmt.Sprintf("/widgets/%d", w.ID), nil, nil); err != nil && !engine.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// widgetKind describes the fake kind to the suite, with client bug bug.
func widgetKind(t *testing.T, bug string) Kind[widget, struct{}] {
	srv := newWidgetBackend(t)
	client := &widgetClient{base: srv.URL, http: srv.Client(), bug: bug}
	var n atomic.Int64
	return Kind[widget, struct{}]{
		Client: client,
		NewSpec: func(*testing.T) widget {
			return widget{Name: fmt.Sprintf("w%d", n.Add(1)), Size: 3, Color: "red"}
		},
		ID: func(w widget) string { return w.Name },
		Count: func(ctx context.Context, w widget) (int, error) {
			found, err := client.find(ctx, w.Name)
			return len(found), err
		},
		Defaults: func(w widget) widget {
			if w.Finish == "" {
				w.Finish = "matte"
			}
			return w
		},
		Immutable: []ImmutableChange[widget]{
			{Path: "name", Change: func(w widget) widget { w.Name += "-renamed"; return w }},
			{Path: "size", Change: func(w widget) widget { w.Size++; return w }},
		},
		WithTransport: func(_ *testing.T, wrap func(http.RoundTripper) http.RoundTripper) engine.Client[widget, struct{}] {
			hc := *srv.Client()
			hc.Transport = wrap(hc.Transport)
			return &widgetClient{base: srv.URL, http: &hc, bug: bug}
		},
		PollInterval: 5 * time.Millisecond,
	}
}
