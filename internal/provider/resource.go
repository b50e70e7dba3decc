package provider

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/mcplatform/terraform-provider-mc/internal/backend/git"
	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/site"
)

// kind describes one resource type to the generic engineResource: its
// schema, the conversions between its Terraform model M and the engine's
// spec S and status O, and the few choices in which kinds differ. Create,
// Read, Update, Delete, import and resuming after a timeout are written once,
// in engineResource.
type kind[M any, S, O any] struct {
	// typeName is the resource type without the provider's prefix, such as
	// "cluster" for mc_cluster.
	typeName string
	// noun names the resource in diagnostics, such as "image replication".
	noun string
	// schema is the resource's schema.
	schema func(ctx context.Context) schema.Schema
	// client returns the kind's engine client.
	client func(*providerData) (engine.Client[S, O], error)

	// expand builds the engine spec from the plan (or the state, on
	// read). config is the configuration, the only place write-only
	// arguments have values; it is nil on read.
	expand func(ctx context.Context, plan, config *M) (S, diag.Diagnostics)
	// flatten writes what Observe found into m. applied is true right
	// after a create or update, when m holds the plan.
	flatten func(ctx context.Context, m *M, obs engine.Observation[S, O], applied bool) diag.Diagnostics
	// readWithSpec makes Read observe against the spec expanded from the
	// state, for kinds whose computed attributes depend on it; otherwise
	// Read observes against the zero spec (an imported state holds no spec).
	readWithSpec bool
	// id points at m's id attribute.
	id func(m *M) *types.String
	// timeouts returns m's timeouts block.
	timeouts func(m *M) timeouts.Value
	// createTimeout, updateTimeout and deleteTimeout are the defaults.
	createTimeout, updateTimeout, deleteTimeout time.Duration
	// attributePaths renames the engine's argument paths where this
	// schema's names differ.
	attributePaths map[string]string

	// ready points at m's ready attribute, for kinds whose create and
	// update wait for readiness. A wait that outlives its timeout is then
	// a warning: the resource stays in state with ready = false, and the
	// next plan updates it so that the next apply resumes waiting. Kinds
	// without it report a timeout as an error.
	ready func(m *M) *types.Bool
	// resumed are the computed attributes that become unknown in a plan
	// that resumes waiting, with their unknown values.
	resumed map[string]attr.Value
	// progress words the last observation in the not-ready warning, such
	// as "phase Provisioning"; optional.
	progress func(m *M) string

	// validateSpec is the engine's validation of a spec some of whose
	// arguments are unknown; the generic ValidateConfig runs it on the
	// spec expanded from the configuration. Optional.
	validateSpec func(spec S, unknown engine.Unknown) error
	// validate reports bad input at validate and plan time beyond
	// validateSpec, such as write-only arguments without their version;
	// optional.
	validate func(ctx context.Context, config M, diags *diag.Diagnostics)
	// planCreate adds checks when a plan creates the resource, such as
	// a read-only look-up of a site; optional.
	planCreate func(ctx context.Context, data *providerData, plan M, diags *diag.Diagnostics)
	// planUpdate adds checks when a plan changes (or keeps) a resource in
	// state, such as a read-only look-up against its backend; optional.
	planUpdate func(ctx context.Context, data *providerData, plan, state M, diags *diag.Diagnostics)
	// importState fills the state of an imported id; the default sets id.
	importState func(ctx context.Context, id string, resp *resource.ImportStateResponse)
	// beforeDelete may refuse a delete, such as while deletion protection
	// is on; optional.
	beforeDelete func(ctx context.Context, state M, diags *diag.Diagnostics)
	// secrets returns the write-only values of config (passwords, tokens),
	// which the logs of the operation mask wherever they appear; optional.
	secrets func(config *M) []string
	// afterCreate runs after a successful create and its wait, such as a
	// first replication run; optional. An error keeps the resource in
	// state, tainted.
	afterCreate func(ctx context.Context, c engine.Client[S, O], m *M, timeout time.Duration, diags *diag.Diagnostics)
}

var (
	_ resource.Resource                   = (*engineResource[siteModel, site.Spec, site.Status])(nil)
	_ resource.ResourceWithConfigure      = (*engineResource[siteModel, site.Spec, site.Status])(nil)
	_ resource.ResourceWithImportState    = (*engineResource[siteModel, site.Spec, site.Status])(nil)
	_ resource.ResourceWithValidateConfig = (*engineResource[siteModel, site.Spec, site.Status])(nil)
	_ resource.ResourceWithModifyPlan     = (*engineResource[siteModel, site.Spec, site.Status])(nil)
)

// engineResource is the one Terraform resource over the engine contract:
// every kind's resource is an engineResource with the kind's description.
type engineResource[M any, S, O any] struct {
	kind *kind[M, S, O]
	data *providerData
}

// newResource returns the Terraform resource of k.
func newResource[M any, S, O any](k *kind[M, S, O]) func() resource.Resource {
	return func() resource.Resource { return &engineResource[M, S, O]{kind: k} }
}

func (r *engineResource[M, S, O]) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + r.kind.typeName
}

func (r *engineResource[M, S, O]) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = r.kind.schema(ctx)
}

func (r *engineResource[M, S, O]) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *engineResource[M, S, O]) client(diags *diag.Diagnostics) engine.Client[S, O] {
	return engineClient(r.data, diags, r.kind.client)
}

// stateAndClient reads the prior state and returns it with the kind's
// engine client; ok is false when diags say why they cannot be had.
func (r *engineResource[M, S, O]) stateAndClient(ctx context.Context, state tfsdk.State, diags *diag.Diagnostics) (m M, c engine.Client[S, O], ok bool) {
	diags.Append(state.Get(ctx, &m)...)
	c = r.client(diags)
	return m, c, !diags.HasError() && c != nil
}

// ValidateConfig reports bad input at validate and plan time.
func (r *engineResource[M, S, O]) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	validateTimeouts(ctx, req.Config, &resp.Diagnostics)
	if r.kind.validate == nil && r.kind.validateSpec == nil {
		return
	}
	var m M
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if r.kind.validate != nil {
		r.kind.validate(ctx, m, &resp.Diagnostics)
	}
	if r.kind.validateSpec != nil {
		r.kind.validateConfigSpec(ctx, req.Config.Raw, m, &resp.Diagnostics)
	}
}

// validateTimeouts reports a timeout of zero or less at its attribute
// (timeouts.create, timeouts.update, timeouts.delete): such a timeout would
// give up before the first request. A timeout that does not parse is
// reported by the timeouts schema's own validator.
func validateTimeouts(ctx context.Context, config tfsdk.Config, diags *diag.Diagnostics) {
	for _, op := range []string{"create", "update", "delete"} {
		p := path.Root("timeouts").AtName(op)
		var v types.String
		if d := config.GetAttribute(ctx, p, &v); d.HasError() || v.IsNull() || v.IsUnknown() {
			continue
		}
		if d, err := time.ParseDuration(v.ValueString()); err == nil && d <= 0 {
			diags.AddAttributeError(p, "Invalid timeout",
				fmt.Sprintf("The %s timeout %q is not positive: give a duration such as \"30m\", or leave it out for the default", op, v.ValueString()))
		}
	}
}

// ModifyPlan runs the kind's create-time checks on a plan that creates the
// resource, and plans an update of a resource whose state says it is not
// ready (a create or update that outlived its timeout), so that the next
// apply resumes waiting.
func (r *engineResource[M, S, O]) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	if req.State.Raw.IsNull() {
		if r.kind.planCreate != nil && r.data != nil {
			var plan M
			resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
			if !resp.Diagnostics.HasError() {
				r.kind.planCreate(ctx, r.data, plan, &resp.Diagnostics)
			}
		}
		return
	}
	if r.kind.planUpdate != nil && r.data != nil {
		var plan, state M
		resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		if resp.Diagnostics.HasError() {
			return
		}
		r.kind.planUpdate(ctx, r.data, plan, state, &resp.Diagnostics)
	}
	if r.kind.ready == nil {
		return
	}
	var ready types.Bool
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("ready"), &ready)...)
	if ready.IsNull() || ready.IsUnknown() || ready.ValueBool() {
		return
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("ready"), types.BoolUnknown())...)
	if _, d := resp.Plan.Schema.AttributeAtPath(ctx, path.Root("conditions")); !d.HasError() {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("conditions"), types.ListUnknown(types.ObjectType{AttrTypes: conditionTypes}))...)
	}
	for _, name := range slices.Sorted(maps.Keys(r.kind.resumed)) {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(name), r.kind.resumed[name])...)
	}
}

func (r *engineResource[M, S, O]) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.apply(ctx, true, req.Plan, req.Config, &resp.State, &resp.Diagnostics)
}

func (r *engineResource[M, S, O]) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	r.apply(ctx, false, req.Plan, req.Config, &resp.State, &resp.Diagnostics)
}

// apply is Create and Update: engine.Converge under the resource's timeout,
// then the state from the last observation.
func (r *engineResource[M, S, O]) apply(ctx context.Context, creating bool, planIn, configIn interface {
	Get(context.Context, any) diag.Diagnostics
}, state interface {
	Set(context.Context, any) diag.Diagnostics
}, diags *diag.Diagnostics) {
	k := r.kind
	var plan, config M
	diags.Append(planIn.Get(ctx, &plan)...)
	diags.Append(configIn.Get(ctx, &config)...)
	if k.secrets != nil {
		ctx = withLogging(ctx, k.secrets(&config)...)
	} else {
		ctx = withLogging(ctx)
	}
	c := r.client(diags)
	if diags.HasError() || c == nil {
		return
	}
	verb, timeout, d := "updating", time.Duration(0), diag.Diagnostics(nil)
	if creating {
		verb = "creating"
		timeout, d = k.timeouts(&plan).Create(ctx, k.createTimeout)
	} else {
		timeout, d = k.timeouts(&plan).Update(ctx, k.updateTimeout)
	}
	diags.Append(d...)
	spec, d := k.expand(ctx, &plan, &config)
	diags.Append(d...)
	if diags.HasError() {
		return
	}
	summary := "Error " + verb + " " + k.noun
	id := k.id(&plan).ValueString()
	if creating {
		id = ""
	}
	// The context outlives the wait's own timeout a little, so that the
	// wait reports a timeout rather than a cancelled call.
	waitCtx, cancel := context.WithTimeout(ctx, timeout+30*time.Second)
	defer cancel()
	var recreations []string
	id, obs, err := engine.Converge(waitCtx, c, id, spec, engine.ConvergeOptions{Timeout: timeout, NotifyFailed: func(err error) {
		diags.AddWarning("Notification not delivered", fmt.Sprintf("The %s's notice could not be delivered to every channel in notify: %s", k.noun, engineErrorDetail(err)))
	}, Recreated: func(r engine.Recreation) {
		recreations = append(recreations, r.String())
	}})
	if len(recreations) > 0 {
		diags.AddWarning(capitalize(k.noun)+" created again", fmt.Sprintf("The %s vanished while the apply waited for it (a backend that lost its state, or a delete by somebody else) and was created again: %s",
			k.noun, strings.Join(recreations, "; ")))
	}
	if id == "" || (!creating && err != nil && !obs.Exists) {
		// Nothing was made, or the update was not applied: the state keeps
		// what it had, so the change is planned again.
		addEngineError(diags, summary, err, k.attributePaths)
		return
	}
	*k.id(&plan) = types.StringValue(id)
	if obs.Exists {
		diags.Append(k.flatten(ctx, &plan, obs, true)...)
	}
	if k.ready != nil {
		*k.ready(&plan) = types.BoolValue(obs.Exists && obs.Ready && obs.UpToDate)
	}
	switch {
	case err == nil:
		if creating && k.afterCreate != nil {
			k.afterCreate(waitCtx, c, &plan, timeout, diags)
		}
	case k.ready != nil && (engine.IsTimeout(err) || waitCtx.Err() != nil):
		progress := obs.Message
		if k.progress != nil {
			progress = k.progress(&plan) + ": " + progress
		}
		diags.AddWarning(capitalize(k.noun)+" not ready yet", fmt.Sprintf("%s %q is not ready after the %s timeout (%s). It stays in state; the next apply resumes waiting",
			capitalize(k.noun), id, verb, progress))
	default:
		addEngineError(diags, summary, err, k.attributePaths)
	}
	diags.Append(state.Set(ctx, &plan)...)
}

func (r *engineResource[M, S, O]) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	// A refresh reads many resources at once: what they read (records,
	// Argo CD Applications, Cluster API objects, git branch tips) may come
	// from one snapshot of the process.
	ctx = engine.WithRefresh(withLogging(ctx))
	if r.data != nil {
		ctx = git.WithTipMemo(ctx, r.data.gitTips)
	}
	k := r.kind
	m, c, ok := r.stateAndClient(ctx, req.State, &resp.Diagnostics)
	if !ok {
		return
	}
	var want S
	if k.readWithSpec {
		var diags diag.Diagnostics
		want, diags = k.expand(ctx, &m, nil)
		resp.Diagnostics.Append(diags...)
	}
	id := k.id(&m).ValueString()
	obs, err := c.Observe(ctx, id, want)
	if err != nil {
		addReadError(&resp.Diagnostics, k.noun, id, err, k.attributePaths)
		return
	}
	if !obs.Exists {
		resp.State.RemoveResource(ctx)
		return
	}
	resp.Diagnostics.Append(k.flatten(ctx, &m, obs, false)...)
	if k.ready != nil {
		*k.ready(&m) = types.BoolValue(obs.Ready)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// addReadError reports a failed Observe. The resource stays in state: a
// dependency that cannot be read (a site record) says nothing of whether the
// resource itself still exists.
func addReadError(diags *diag.Diagnostics, noun, id string, err error, paths map[string]string) {
	if _, ok := engine.AsInvalidInput(err); ok {
		addEngineError(diags, "Error reading "+noun, err, paths)
		return
	}
	diags.AddError("Error reading "+noun, fmt.Sprintf("Cannot read %s %q: %s", noun, id, engineErrorDetail(err)))
}

func (r *engineResource[M, S, O]) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	ctx = withLogging(ctx)
	k := r.kind
	m, c, ok := r.stateAndClient(ctx, req.State, &resp.Diagnostics)
	if !ok {
		return
	}
	if k.beforeDelete != nil {
		if k.beforeDelete(ctx, m, &resp.Diagnostics); resp.Diagnostics.HasError() {
			return
		}
	}
	timeout, diags := k.timeouts(&m).Delete(ctx, k.deleteTimeout)
	resp.Diagnostics.Append(diags...)
	id := k.id(&m).ValueString()
	summary := "Error deleting " + k.noun
	if err := engine.DeleteUntilGone(ctx, c, id, engine.ConvergeOptions{Timeout: timeout}); err != nil {
		if engine.IsTimeout(err) {
			resp.Diagnostics.AddError(summary, fmt.Sprintf("%s %q is still being deleted after the delete timeout: %s. Run destroy again to resume",
				capitalize(k.noun), id, err))
			return
		}
		addEngineError(&resp.Diagnostics, summary, err, k.attributePaths)
	}
}

func (r *engineResource[M, S, O]) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if r.kind.importState != nil {
		r.kind.importState(ctx, req.ID, resp)
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
}

// validateSpec reports, at validate and plan time, what the kind's engine
// rejects in config: the spec is expanded from the configuration (unknown
// values expand to their zero values) and checked with every argument whose
// value is not known yet skipped. Every error is reported on its attribute.
func (k *kind[M, S, O]) validateConfigSpec(ctx context.Context, raw tftypes.Value, config M, diags *diag.Diagnostics) {
	spec, d := k.expand(ctx, &config, &config)
	diags.Append(d...)
	if diags.HasError() {
		return
	}
	unknown := unknownAttributes(raw)
	err := k.validateSpec(spec, func(enginePath string) bool {
		p := enginePath
		if renamed, ok := k.attributePaths[p]; ok {
			p = renamed
		}
		return unknown.covers(p)
	})
	for _, in := range engine.InvalidInputs(err) {
		addEngineError(diags, "Invalid "+k.noun, in, k.attributePaths)
	}
	if err != nil && len(engine.InvalidInputs(err)) == 0 {
		addEngineError(diags, "Invalid "+k.noun, err, k.attributePaths)
	}
}

// unknownSet holds the dotted paths (such as "worker_pools[0].name") of the
// attributes whose values are unknown.
type unknownSet map[string]bool

// unknownAttributes returns the paths of the unknown values in raw. A
// collection with an unknown element counts as unknown as a whole.
func unknownAttributes(raw tftypes.Value) unknownSet {
	set := unknownSet{}
	_ = tftypes.Walk(raw, func(p *tftypes.AttributePath, v tftypes.Value) (bool, error) {
		if v.IsKnown() {
			return true, nil
		}
		dotted := ""
		for _, step := range p.Steps() {
			switch s := step.(type) {
			case tftypes.AttributeName:
				if dotted != "" {
					dotted += "."
				}
				dotted += string(s)
			case tftypes.ElementKeyInt:
				dotted += fmt.Sprintf("[%d]", int64(s))
			case tftypes.ElementKeyString, tftypes.ElementKeyValue:
				// An unknown map or set element: the collection is unknown.
				set[dotted] = true
				return false, nil
			}
		}
		set[dotted] = true
		if i := strings.LastIndex(dotted, "["); i > 0 && strings.HasSuffix(dotted, "]") && !strings.Contains(dotted[i:], ".") {
			set[dotted[:i]] = true // an unknown list element
		}
		return false, nil
	})
	return set
}

// covers reports whether the value at dotted path p is unknown: p itself or
// the object or collection that holds it.
func (u unknownSet) covers(p string) bool {
	for {
		if u[p] {
			return true
		}
		i := strings.LastIndexAny(p, ".[")
		if i <= 0 {
			return false
		}
		p = p[:i]
	}
}
