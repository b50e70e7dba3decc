package registry

import (
	"sync"
	"time"
)

// clientCache keeps one client C per key (a hash of its connection
// settings), built on first use and dropped once unused for idleTTL, with a
// value V asked of its backend (capabilities, a version) and then trusted
// for capabilitiesTTL. It is safe for concurrent use.
type clientCache[C, V any] struct {
	now func() time.Time
	// closeIdle, when set, releases a dropped client's connections.
	closeIdle func(C)

	mu      sync.Mutex
	entries map[string]*cacheEntry[C, V]
}

// cacheEntry is one client of a clientCache and its trusted value.
type cacheEntry[C, V any] struct {
	client   C
	lastUsed time.Time

	// mu serialises asking for the value: concurrent readers ask once.
	mu      sync.Mutex
	value   V
	valueAt time.Time
}

func newClientCache[C, V any](now func() time.Time, closeIdle func(C)) *clientCache[C, V] {
	return &clientCache[C, V]{now: now, closeIdle: closeIdle, entries: map[string]*cacheEntry[C, V]{}}
}

// get returns the entry of key, building its client with build when there
// is none, and drops the entries unused for idleTTL.
func (c *clientCache[C, V]) get(key string, build func() (C, error)) (*cacheEntry[C, V], error) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		e.lastUsed = now
		return e, nil
	}
	client, err := build()
	if err != nil {
		return nil, err
	}
	for k, old := range c.entries {
		if now.Sub(old.lastUsed) > idleTTL {
			if c.closeIdle != nil {
				c.closeIdle(old.client)
			}
			delete(c.entries, k)
		}
	}
	e := &cacheEntry[C, V]{client: client, lastUsed: now}
	c.entries[key] = e
	return e, nil
}

// value returns e's value, asking for it with ask when it was never asked,
// is older than capabilitiesTTL, or fresh is set. An error is not kept: the
// next call asks again.
func (c *clientCache[C, V]) value(e *cacheEntry[C, V], fresh bool, ask func(C) (V, error)) (V, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !fresh && !e.valueAt.IsZero() && c.now().Sub(e.valueAt) < capabilitiesTTL {
		return e.value, nil
	}
	v, err := ask(e.client)
	if err != nil {
		e.valueAt = time.Time{}
		return v, err
	}
	e.value, e.valueAt = v, c.now()
	return v, nil
}

// forget drops e's value, so that the next call asks again.
func (e *cacheEntry[C, V]) forget() {
	e.mu.Lock()
	e.valueAt = time.Time{}
	e.mu.Unlock()
}
