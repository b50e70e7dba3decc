package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
)

// objectAsOptions reads nested objects with unknown values as empty.
var objectAsOptions = basetypes.ObjectAsOptions{UnhandledUnknownAsEmpty: true}

// requiresReplaceOnceSet plans a replacement when the argument changes from
// one value to another, but not when its optional block is added (the
// argument was null): turning a part on changes the project in place.
func requiresReplaceOnceSet() planmodifier.String {
	return stringplanmodifier.RequiresReplaceIf(func(_ context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
		resp.RequiresReplace = !req.StateValue.IsNull()
	}, "Changing the value will destroy and recreate the resource; adding the block does not.",
		"Changing the value will destroy and recreate the resource; adding the block does not.")
}

// blockPresenceUnchanged reports whether the optional block is present in
// both the prior state and the plan, or absent from both.
func blockPresenceUnchanged(ctx context.Context, block string, state tfsdk.State, plan tfsdk.Plan) (bool, bool) {
	if state.Raw.IsNull() {
		return false, true
	}
	var before, after types.Object
	if d := state.GetAttribute(ctx, path.Root(block), &before); d.HasError() {
		return false, false
	}
	if d := plan.GetAttribute(ctx, path.Root(block), &after); d.HasError() {
		return false, false
	}
	if after.IsUnknown() {
		return false, true
	}
	return before.IsNull() == after.IsNull(), true
}

// stringUnlessBlockChanges keeps a part's computed id from the prior state
// while the part's block stays (or stays away); adding or removing the
// block leaves it unknown.
func stringUnlessBlockChanges(block string) planmodifier.String {
	return keepPartID{block: block}
}

func int64UnlessBlockChanges(block string) planmodifier.Int64 { return keepPartID{block: block} }

func mapUnlessBlockChanges(block string) planmodifier.Map { return keepPartID{block: block} }

type keepPartID struct{ block string }

func (k keepPartID) Description(context.Context) string {
	return "Keeps the prior value while the " + k.block + " block is neither added nor removed."
}

func (k keepPartID) MarkdownDescription(ctx context.Context) string { return k.Description(ctx) }

func (k keepPartID) keep(ctx context.Context, state tfsdk.State, plan tfsdk.Plan) bool {
	same, ok := blockPresenceUnchanged(ctx, k.block, state, plan)
	return ok && same
}

func (k keepPartID) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.PlanValue.IsUnknown() && !req.ConfigValue.IsUnknown() && k.keep(ctx, req.State, req.Plan) {
		resp.PlanValue = req.StateValue
	}
}

func (k keepPartID) PlanModifyInt64(ctx context.Context, req planmodifier.Int64Request, resp *planmodifier.Int64Response) {
	if req.PlanValue.IsUnknown() && k.keep(ctx, req.State, req.Plan) {
		resp.PlanValue = req.StateValue
	}
}

func (k keepPartID) PlanModifyMap(ctx context.Context, req planmodifier.MapRequest, resp *planmodifier.MapResponse) {
	if req.PlanValue.IsUnknown() && k.keep(ctx, req.State, req.Plan) {
		resp.PlanValue = req.StateValue
	}
}
