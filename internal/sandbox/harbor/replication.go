package harborsim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Replicator copies images between two OCI registries for replication
// executions. The simulator decides what to copy (filters, namespaces, tasks,
// statuses) as Harbor does; the Replicator moves the bytes. The real one
// speaks the OCI distribution API to the sites' registries; tests use an
// in-memory fake.
type Replicator interface {
	// List returns the artifacts of a remote source endpoint (pull-based
	// replication). Local sources are listed from this Harbor's database.
	List(ctx context.Context, src Endpoint) ([]Artifact, error)
	// Copy copies artifact a (all of a.Tags, or its digest when untagged)
	// from src to dst under the repository dstRepository. With override
	// false, tags that already exist at dst are left alone.
	Copy(ctx context.Context, src Endpoint, a Artifact, dst Endpoint, dstRepository string, override bool) error
}

type policy struct {
	id             int64
	name           string
	description    string
	srcRegistryID  int64 // 0 = this Harbor
	destRegistryID int64 // 0 = this Harbor
	destNamespace  string
	replaceCount   int
	trigger        *triggerJSON
	filters        []filterJSON
	deletion       bool
	override       bool
	enabled        bool
	speed          int32 // kbps per task, 0 unlimited
	copyByChunk    bool
	singleActive   bool      // v2.14+
	nextRun        time.Time // scheduled trigger: the next run, zero for none
	created        time.Time
	updated        time.Time
}

type triggerJSON struct {
	Type     string `json:"type"`
	Settings *struct {
		Cron string `json:"cron"`
	} `json:"trigger_settings,omitempty"`
}

type registryRef struct {
	ID int64 `json:"id"`
}

type policyReq struct {
	Name                      string       `json:"name"`
	Description               string       `json:"description"`
	SrcRegistry               *registryRef `json:"src_registry"`
	DestRegistry              *registryRef `json:"dest_registry"`
	DestNamespace             string       `json:"dest_namespace"`
	DestNamespaceReplaceCount *int8        `json:"dest_namespace_replace_count"`
	Trigger                   *triggerJSON `json:"trigger"`
	Filters                   []filterJSON `json:"filters"`
	// Deletion is the field Harbor's handler reads; replicate_deletion,
	// which the spec documents as its successor, is ignored on input.
	Deletion                bool   `json:"deletion"`
	Override                bool   `json:"override"`
	Enabled                 bool   `json:"enabled"`
	Speed                   *int32 `json:"speed"`
	CopyByChunk             *bool  `json:"copy_by_chunk"`
	SingleActiveReplication *bool  `json:"single_active_replication"`
}

type policyJSON struct {
	ID                        int64        `json:"id"`
	Name                      string       `json:"name"`
	Description               string       `json:"description"`
	SrcRegistry               registryJSON `json:"src_registry"`
	DestRegistry              registryJSON `json:"dest_registry"`
	DestNamespace             string       `json:"dest_namespace"`
	DestNamespaceReplaceCount int          `json:"dest_namespace_replace_count"`
	Trigger                   *triggerJSON `json:"trigger,omitempty"`
	Filters                   []filterJSON `json:"filters"`
	ReplicateDeletion         bool         `json:"replicate_deletion"`
	Deletion                  bool         `json:"deletion"`
	Override                  bool         `json:"override"`
	Enabled                   bool         `json:"enabled"`
	Speed                     int32        `json:"speed"`
	CopyByChunk               bool         `json:"copy_by_chunk"`
	SingleActiveReplication   *bool        `json:"single_active_replication,omitempty"`
	CreationTime              time.Time    `json:"creation_time"`
	UpdateTime                time.Time    `json:"update_time"`
}

// policyOut renders a policy with both registries filled in, the local side
// as Harbor's "Local" registry. Callers hold s.mu.
func (s *Server) policyOut(p *policy) policyJSON {
	side := func(id int64) registryJSON {
		if id == 0 {
			return s.localRegistryJSON()
		}
		if g := s.registries[id]; g != nil {
			return registryOut(g)
		}
		return registryJSON{ID: id}
	}
	out := policyJSON{ID: p.id, Name: p.name, Description: p.description, SrcRegistry: side(p.srcRegistryID),
		DestRegistry: side(p.destRegistryID), DestNamespace: p.destNamespace, DestNamespaceReplaceCount: p.replaceCount,
		Trigger: p.trigger, Filters: slices.Clone(p.filters), ReplicateDeletion: p.deletion, Deletion: p.deletion,
		Override: p.override, Enabled: p.enabled, Speed: p.speed, CopyByChunk: p.copyByChunk,
		CreationTime: p.created, UpdateTime: p.updated}
	if s.atLeast(2, 14) {
		out.SingleActiveReplication = &p.singleActive
	}
	return out
}

// policyFromReq builds the whole policy from req, as the handler's
// Create/UpdateReplicationPolicy do (a PUT replaces the policy: what is not
// sent takes its default, dest_namespace_replace_count -1, speed 0,
// copy_by_chunk and single_active_replication false), and validates it as
// Harbor's Policy.Validate and the controller's registry lookup do,
// answering 400, 404 or 500 itself. Callers hold s.mu.
func (s *Server) policyFromReq(w http.ResponseWriter, req policyReq) *policy {
	if req.SingleActiveReplication != nil && *req.SingleActiveReplication && s.atLeast(2, 14) &&
		req.Trigger != nil && req.Trigger.Type == "event_based" {
		// The handler answers a plain error, which Harbor hides behind a 500.
		writeError(w, http.StatusInternalServerError, codeUnknown, "internal server error")
		return nil
	}
	bad := func(format string, args ...any) *policy {
		writeError(w, http.StatusBadRequest, codeBadRequest, format, args...)
		return nil
	}
	if req.Name == "" {
		return bad("empty name")
	}
	var src, dst int64
	if req.SrcRegistry != nil {
		src = req.SrcRegistry.ID
	}
	if req.DestRegistry != nil {
		dst = req.DestRegistry.ID
	}
	if (src != 0 && dst != 0) || (src == 0 && dst == 0) {
		return bad("either src_registry or dest_registry should be empty and the other one shouldn't be empty")
	}
	for _, f := range req.Filters {
		if err := validateFilter(f); err != nil {
			return bad("%v", err)
		}
	}
	if req.DestNamespace != "" && !repositoryNameRe.MatchString(req.DestNamespace) {
		return bad("invalid destination namespace: %s", req.DestNamespace)
	}
	if t := req.Trigger; t != nil {
		switch t.Type {
		case "manual", "event_based":
		case "scheduled":
			if t.Settings == nil || t.Settings.Cron == "" {
				return bad("the cron string cannot be empty when the trigger type is scheduled")
			}
			if err := validateCron(t.Settings.Cron); err != nil {
				return bad("invalid cron string for scheduled trigger: %s: %v", t.Settings.Cron, err)
			}
		default:
			return bad("invalid trigger type")
		}
	}
	for _, id := range []int64{src, dst} {
		if id != 0 && s.registries[id] == nil {
			writeError(w, http.StatusNotFound, codeNotFound, "registry %d not found", id)
			return nil
		}
	}
	p := &policy{name: req.Name, description: req.Description, srcRegistryID: src, destRegistryID: dst,
		destNamespace: req.DestNamespace, replaceCount: -1, trigger: req.Trigger, filters: req.Filters,
		deletion: req.Deletion, override: req.Override, enabled: req.Enabled}
	if req.DestNamespaceReplaceCount != nil {
		p.replaceCount = int(*req.DestNamespaceReplaceCount)
	}
	// A negative speed is stored as 0: no limit.
	if req.Speed != nil && *req.Speed > 0 {
		p.speed = *req.Speed
	}
	if req.CopyByChunk != nil {
		p.copyByChunk = *req.CopyByChunk
	}
	// Harbor before v2.14 has no such field and ignores it.
	if req.SingleActiveReplication != nil && s.atLeast(2, 14) {
		p.singleActive = *req.SingleActiveReplication
	}
	return p
}

func (s *Server) policyByName(name string) *policy {
	for _, p := range s.policies {
		if p.name == name {
			return p
		}
	}
	return nil
}

func (s *Server) createPolicy(w http.ResponseWriter, r *http.Request) {
	if !requireSystem(w, r, "replication-policy", "create") {
		return
	}
	var req policyReq
	if !decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.policyFromReq(w, req)
	if p == nil {
		return
	}
	if s.policyByName(p.name) != nil {
		writeError(w, http.StatusConflict, codeConflict, "policy %s already exists", p.name)
		return
	}
	p.id = s.newID("policy")
	p.created, p.updated = s.now(), s.now()
	s.scheduleLocked(p)
	s.policies[p.id] = p
	writeCreated(w, r, strconv.FormatInt(p.id, 10))
}

func (s *Server) listPolicies(w http.ResponseWriter, r *http.Request) {
	if !requireSystem(w, r, "replication-policy", "list") {
		return
	}
	q, ok := parseQuery(w, r)
	if !ok {
		return
	}
	name := r.URL.Query().Get("name")
	s.mu.Lock()
	var ps []*policy
	for _, p := range s.policies {
		if q.match("name", p.name) && (name == "" || strings.Contains(p.name, name)) {
			ps = append(ps, p)
		}
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].id < ps[j].id })
	out := make([]policyJSON, 0, len(ps))
	for _, p := range ps {
		out = append(out, s.policyOut(p))
	}
	s.mu.Unlock()
	writePage(w, r, out)
}

// lookupPolicy finds the policy of the path; callers hold s.mu.
func (s *Server) lookupPolicy(w http.ResponseWriter, r *http.Request) *policy {
	return lookupPathID(w, r, s.policies, "policy")
}

func (s *Server) getPolicy(w http.ResponseWriter, r *http.Request) {
	if !requireSystem(w, r, "replication-policy", "read") {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.lookupPolicy(w, r); p != nil {
		writeJSON(w, http.StatusOK, s.policyOut(p))
	}
}

func (s *Server) updatePolicy(w http.ResponseWriter, r *http.Request) {
	if !requireSystem(w, r, "replication-policy", "update") {
		return
	}
	var req policyReq
	if !decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.lookupPolicy(w, r)
	if old == nil {
		return
	}
	p := s.policyFromReq(w, req)
	if p == nil {
		return
	}
	if other := s.policyByName(p.name); other != nil && other.id != old.id {
		writeError(w, http.StatusConflict, codeConflict, "policy %s already exists", p.name)
		return
	}
	p.id, p.created, p.updated = old.id, old.created, s.now()
	s.scheduleLocked(p)
	s.policies[p.id] = p
	writeOK(w)
}

func (s *Server) deletePolicy(w http.ResponseWriter, r *http.Request) {
	if !requireSystem(w, r, "replication-policy", "delete") {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lookupPolicy(w, r)
	if p == nil {
		return
	}
	for _, e := range s.executions {
		if e.policyID == p.id && e.status == statusInProgress {
			// The execution manager's DeleteByVendor (src/pkg/task/execution.go).
			writeError(w, http.StatusPreconditionFailed, codePrecondition, "contains executions that aren't in final status, stop the execution first")
			return
		}
	}
	for id, e := range s.executions {
		if e.policyID == p.id {
			for _, t := range e.tasks {
				delete(s.tasks, t.id)
			}
			delete(s.executions, id)
		}
	}
	delete(s.policies, p.id)
	writeOK(w)
}

// ---- executions

const (
	statusPending    = "Pending"
	statusInProgress = "InProgress"
	statusSucceed    = "Succeed"
	statusFailed     = "Failed"
	statusStopped    = "Stopped"
)

type execution struct {
	id         int64
	policyID   int64
	status     string
	statusText string
	trigger    string
	start, end time.Time
	tasks      []*task
	cancel     context.CancelFunc
	stuck      bool // InProgress until stopped (StickExecutions)
}

// StickExecutions makes the executions of policy policyID (0: of every
// policy) that start from now on stay InProgress with no task, as in
// Harbor's known failure where the replication flow dies before its tasks
// report (an execution not in a final status, which blocks the policy's
// deletion with 412), until they are stopped: PUT
// /replication/executions/{id} then marks them Stopped, as Harbor's
// execution manager does for an execution without tasks
// (src/pkg/task/execution.go, Stop). stuck false turns it off for
// executions that start later. WaitIdle waits for stuck executions too.
func (s *Server) StickExecutions(policyID int64, stuck bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if stuck {
		s.stuck[policyID] = true
	} else {
		delete(s.stuck, policyID)
	}
}

type task struct {
	id          int64
	executionID int64
	status      string
	jobID       string
	operation   string
	resType     string
	src, dst    string
	start, end  time.Time
	log         []string
}

type executionJSON struct {
	ID         int64     `json:"id"`
	PolicyID   int64     `json:"policy_id"`
	Status     string    `json:"status"`
	Trigger    string    `json:"trigger"`
	StartTime  time.Time `json:"start_time"`
	EndTime    time.Time `json:"end_time,omitzero"`
	StatusText string    `json:"status_text"`
	Total      int       `json:"total"`
	Failed     int       `json:"failed"`
	Succeed    int       `json:"succeed"`
	InProgress int       `json:"in_progress"`
	Stopped    int       `json:"stopped"`
}

func executionOut(e *execution) executionJSON {
	out := executionJSON{ID: e.id, PolicyID: e.policyID, Status: e.status, Trigger: e.trigger, StartTime: e.start,
		EndTime: e.end, StatusText: e.statusText, Total: len(e.tasks)}
	for _, t := range e.tasks {
		switch t.status {
		case statusFailed:
			out.Failed++
		case statusSucceed:
			out.Succeed++
		case statusStopped:
			out.Stopped++
		default:
			out.InProgress++
		}
	}
	return out
}

type taskJSON struct {
	ID           int64     `json:"id"`
	ExecutionID  int64     `json:"execution_id"`
	Status       string    `json:"status"`
	JobID        string    `json:"job_id"`
	Operation    string    `json:"operation"`
	ResourceType string    `json:"resource_type"`
	SrcResource  string    `json:"src_resource"`
	DstResource  string    `json:"dst_resource"`
	StartTime    time.Time `json:"start_time,omitzero"`
	EndTime      time.Time `json:"end_time,omitzero"`
}

func taskOut(t *task) taskJSON {
	return taskJSON{ID: t.id, ExecutionID: t.executionID, Status: t.status, JobID: t.jobID, Operation: t.operation,
		ResourceType: t.resType, SrcResource: t.src, DstResource: t.dst, StartTime: t.start, EndTime: t.end}
}

func (s *Server) startExecution(w http.ResponseWriter, r *http.Request) {
	if !requireSystem(w, r, "replication", "create") {
		return
	}
	var req struct {
		PolicyID int64 `json:"policy_id"`
	}
	if !decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.policies[req.PolicyID]
	if p == nil {
		writeError(w, http.StatusNotFound, codeNotFound, "policy %d not found", req.PolicyID)
		return
	}
	if !p.enabled {
		writeError(w, http.StatusPreconditionFailed, codePrecondition, "the policy %d is disabled", p.id)
		return
	}
	select {
	case <-s.closing:
		writeError(w, http.StatusServiceUnavailable, codeUnknown, "the server is shutting down")
		return
	default:
	}
	trigger := "manual"
	if r.URL.Query().Get("trigger") == "scheduled" {
		trigger = "scheduled"
	}
	e := s.startLocked(p, trigger, nil)
	writeCreated(w, r, strconv.FormatInt(e.id, 10))
}

// startLocked starts an execution of p in the background. only, when not
// nil, replaces the listing of the local source (an event-based execution
// copies just the pushed artifact). Callers hold s.mu.
//
// With single_active_replication (v2.14+) an execution started while
// another of the policy runs is recorded as failed at once, as the
// replication controller's Start marks it
// (src/controller/replication/execution.go).
func (s *Server) startLocked(p *policy, trigger string, only []Artifact) *execution {
	if p.singleActive {
		for _, other := range s.executions {
			if other.policyID == p.id && other.status == statusInProgress {
				e := &execution{id: s.newID("execution"), policyID: p.id, status: statusFailed, trigger: trigger,
					start: s.now(), end: s.now(), statusText: "Execution skipped: active replication still in progress.", cancel: func() {}}
				s.executions[e.id] = e
				return e
			}
		}
	}
	if s.stuck[0] || s.stuck[p.id] {
		e := &execution{id: s.newID("execution"), policyID: p.id, status: statusInProgress, trigger: trigger, start: s.now(),
			stuck: true, cancel: func() {}}
		s.executions[e.id] = e
		return e
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &execution{id: s.newID("execution"), policyID: p.id, status: statusInProgress, trigger: trigger, start: s.now(), cancel: cancel}
	s.executions[e.id] = e
	snapshot := *p
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer cancel()
		go func() {
			select {
			case <-s.closing:
				cancel()
			case <-ctx.Done():
			}
		}()
		s.run(ctx, e, &snapshot, only)
	}()
	return e
}

// item is one artifact to copy, with the tags that passed the filters.
type item struct {
	a       Artifact
	dstRepo string
}

// resource is what Harbor makes one task of: a repository with the
// artifacts to copy from it.
type resource struct {
	srcRepo, dstRepo string
	items            []item
}

// references counts a resource's items as Harbor's getResourceName does:
// every tag, or the digest of an untagged artifact.
func (res resource) references() int {
	n := 0
	for _, it := range res.items {
		n += max(len(it.a.Tags), 1)
	}
	return n
}

// groupByRepository makes one resource per source repository, in the order
// the repositories first appear.
func groupByRepository(items []item) []resource {
	var out []resource
	index := map[string]int{}
	for _, it := range items {
		i, ok := index[it.a.Repository]
		if !ok {
			i = len(out)
			index[it.a.Repository] = i
			out = append(out, resource{srcRepo: it.a.Repository, dstRepo: it.dstRepo})
		}
		out[i].items = append(out[i].items, it)
	}
	return out
}

// run carries out an execution as Harbor's copy flow does
// (src/controller/replication/flow/copy.go): list the source, filter, one
// task per repository (resource type "artifact" from a Harbor, "image"
// from other registries; src_resource "repo [N item(s) in total]"), copy
// through the Replicator, then the final status. Nothing to copy ends
// Succeed with "no resources need to be replicated"; failed tasks make the
// execution Failed with no status text (Harbor derives it from the tasks).
func (s *Server) run(ctx context.Context, e *execution, p *policy, only []Artifact) {
	if p.srcRegistryID == 0 && only == nil {
		s.maybeSync(ctx)
	}
	s.mu.Lock()
	srcEp, dstEp := s.opts.Registry, s.opts.Registry
	srcEp.Local, dstEp.Local = true, true
	srcEp.Name, dstEp.Name = "Local", "Local"
	srcEp.Type, dstEp.Type = "harbor", "harbor"
	if g := s.registries[p.srcRegistryID]; p.srcRegistryID != 0 && g != nil {
		srcEp = g.endpoint()
	}
	if g := s.registries[p.destRegistryID]; p.destRegistryID != 0 && g != nil {
		dstEp = g.endpoint()
	}
	local := only
	if srcEp.Local && only == nil {
		local = s.localArtifacts()
	}
	rep := s.opts.Replicator
	s.mu.Unlock()

	finish := func(status, text string) {
		s.mu.Lock()
		defer s.mu.Unlock()
		e.status, e.statusText, e.end = status, text, s.now()
	}
	candidates := local
	if !srcEp.Local {
		if rep == nil {
			finish(statusFailed, "no replicator configured")
			return
		}
		var err error
		if candidates, err = rep.List(ctx, srcEp); err != nil {
			finish(statusFailed, fmt.Sprintf("failed to fetch artifacts: %v", err))
			return
		}
	}
	items, err := selectItems(candidates, p)
	if err != nil {
		finish(statusFailed, err.Error())
		return
	}
	resources := groupByRepository(items)
	if len(resources) == 0 {
		finish(statusSucceed, "no resources need to be replicated")
		return
	}
	resType := "image"
	if srcEp.Local || srcEp.Type == "harbor" {
		resType = "artifact"
	}
	s.mu.Lock()
	for _, res := range resources {
		n := res.references()
		t := &task{id: s.newID("task"), executionID: e.id, status: statusPending, jobID: requestID(), operation: "copy",
			resType: resType, src: fmt.Sprintf("%s [%d item(s) in total]", res.srcRepo, n),
			dst: fmt.Sprintf("%s [%d item(s) in total]", res.dstRepo, n)}
		s.tasks[t.id] = t
		e.tasks = append(e.tasks, t)
	}
	tasks := slices.Clone(e.tasks)
	s.mu.Unlock()

	for i, t := range tasks {
		if ctx.Err() != nil {
			s.mu.Lock()
			for _, rest := range tasks[i:] {
				rest.status, rest.end = statusStopped, s.now()
			}
			s.mu.Unlock()
			finish(statusStopped, "")
			return
		}
		s.mu.Lock()
		t.status, t.start = statusInProgress, s.now()
		s.mu.Unlock()
		var errs []string
		for _, it := range resources[i].items {
			var err error
			if rep == nil {
				err = errors.New("no replicator configured")
			} else {
				err = rep.Copy(ctx, srcEp, it.a, dstEp, it.dstRepo, p.override)
			}
			if err == nil && dstEp.Local {
				a := it.a
				a.Repository = it.dstRepo
				s.mu.Lock()
				err = s.addArtifact(a, true)
				s.mu.Unlock()
			}
			if err != nil {
				errs = append(errs, fmt.Sprintf("failed to copy %s@%s: %v", it.a.Repository, it.a.Digest, err))
			}
			if ctx.Err() != nil {
				break
			}
		}
		s.mu.Lock()
		t.end = s.now()
		t.log = append(t.log, errs...)
		switch {
		case ctx.Err() != nil:
			t.status = statusStopped
		case len(errs) > 0:
			t.status = statusFailed
		default:
			t.status = statusSucceed
		}
		s.mu.Unlock()
	}
	failed := 0
	s.mu.Lock()
	for _, t := range tasks {
		if t.status == statusFailed {
			failed++
		}
	}
	s.mu.Unlock()
	switch {
	case ctx.Err() != nil:
		finish(statusStopped, "")
	case failed > 0:
		finish(statusFailed, "")
	default:
		finish(statusSucceed, "")
	}
}

// selectItems applies the policy's filters as Harbor's repository and
// artifact filters do (src/pkg/reg/filter): the name filter on the
// repository, the label filter on the artifact's labels, each tag filter on
// the tags left (only the matching tags are copied; an untagged artifact
// matches as the empty tag), with doublestar patterns. The resource filter
// takes no part in the selection. The repositories are mapped onto the
// destination namespace.
func selectItems(candidates []Artifact, p *policy) ([]item, error) {
	var out []item
	for _, a := range candidates {
		keep := true
		tags := slices.Clone(a.Tags)
		for _, f := range p.filters {
			if !keep {
				break
			}
			excludes := f.Decoration == decoExcludes
			switch f.Type {
			case filterName:
				ok, err := match(f.Value.(string), a.Repository)
				if err != nil {
					return nil, fmt.Errorf("failed to fetch artifacts: %v", err)
				}
				keep = ok
			case filterLabel:
				values := f.Value.([]any)
				if len(values) == 0 {
					continue
				}
				has := true
				for _, l := range values {
					if !slices.Contains(a.Labels, l.(string)) {
						has = false
					}
				}
				keep = has != excludes
			case filterTag:
				pattern := f.Value.(string)
				if pattern == "" {
					continue
				}
				if len(tags) == 0 {
					ok, err := match(pattern, "")
					if err != nil {
						return nil, fmt.Errorf("failed to fetch artifacts: %v", err)
					}
					keep = ok != excludes
					continue
				}
				var kept []string
				for _, t := range tags {
					ok, err := match(pattern, t)
					if err != nil {
						return nil, fmt.Errorf("failed to fetch artifacts: %v", err)
					}
					if ok != excludes {
						kept = append(kept, t)
					}
				}
				tags = kept
				keep = len(tags) > 0
			}
		}
		if !keep {
			continue
		}
		dst, err := replaceNamespace(a.Repository, p.destNamespace, p.replaceCount)
		if err != nil {
			return nil, err
		}
		a.Tags = tags
		out = append(out, item{a: a, dstRepo: dst})
	}
	return out, nil
}

func (s *Server) listExecutions(w http.ResponseWriter, r *http.Request) {
	if !requireSystem(w, r, "replication", "list") {
		return
	}
	qv := r.URL.Query()
	var policyID int64
	if v := qv.Get("policy_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			writeError(w, http.StatusUnprocessableEntity, codeUnprocessable, "policy_id in query must be of type int64: %q", v)
			return
		}
		policyID = id
	}
	s.mu.Lock()
	var es []*execution
	for _, e := range s.executions {
		if (policyID == 0 || e.policyID == policyID) && (qv.Get("status") == "" || qv.Get("status") == e.status) &&
			(qv.Get("trigger") == "" || qv.Get("trigger") == e.trigger) {
			es = append(es, e)
		}
	}
	// Newest first.
	sort.Slice(es, func(i, j int) bool { return es[i].id > es[j].id })
	out := make([]executionJSON, 0, len(es))
	for _, e := range es {
		out = append(out, executionOut(e))
	}
	s.mu.Unlock()
	writePage(w, r, out)
}

func (s *Server) lookupExecution(w http.ResponseWriter, r *http.Request) *execution {
	return lookupPathID(w, r, s.executions, "replication execution")
}

func (s *Server) getExecution(w http.ResponseWriter, r *http.Request) {
	if !requireSystem(w, r, "replication", "read") {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.lookupExecution(w, r); e != nil {
		writeJSON(w, http.StatusOK, executionOut(e))
	}
}

func (s *Server) stopExecution(w http.ResponseWriter, r *http.Request) {
	if !requireSystem(w, r, "replication", "create") {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.lookupExecution(w, r); e != nil {
		switch {
		case e.status == statusInProgress && e.stuck:
			e.status, e.end = statusStopped, s.now()
		case e.status == statusInProgress:
			e.cancel()
		}
		writeOK(w)
	}
}

func (s *Server) listTasks(w http.ResponseWriter, r *http.Request) {
	if !requireSystem(w, r, "replication", "list") {
		return
	}
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	status := r.URL.Query().Get("status")
	s.mu.Lock()
	var out []taskJSON
	e := s.executions[id]
	if e == nil && s.atLeast(2, 8) {
		// ListReplicationTasks checks the execution from v2.8.
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, codeNotFound, "replication execution %d not found", id)
		return
	}
	if e != nil {
		for _, t := range e.tasks {
			if status == "" || t.status == status {
				out = append(out, taskOut(t))
			}
		}
	}
	s.mu.Unlock()
	writePage(w, r, out)
}

func (s *Server) getTaskLog(w http.ResponseWriter, r *http.Request) {
	if !requireSystem(w, r, "replication", "read") {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.lookupExecution(w, r)
	if e == nil {
		return
	}
	tid, ok := pathID(w, r, "task_id")
	if !ok {
		return
	}
	t := s.tasks[tid]
	if t == nil || t.executionID != e.id {
		writeError(w, http.StatusNotFound, codeNotFound, "execution %d contains no task with ID %d", e.id, tid)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(strings.Join(t.log, "\n")))
}

// WaitIdle waits until no replication execution and no scan is in progress,
// or ctx ends.
func (s *Server) WaitIdle(ctx context.Context) error {
	for {
		s.mu.Lock()
		busy := false
		for _, e := range s.executions {
			if e.status == statusInProgress {
				busy = true
			}
		}
		for _, r := range s.scans {
			if r.status == "Pending" || r.status == "Running" {
				busy = true
			}
		}
		s.mu.Unlock()
		if !busy {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}
