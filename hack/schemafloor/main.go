// Command schemafloor serves a Terraform provider for the plan benchmark
// (BenchmarkPlan in internal/provider): its one resource, floor_site, has
// mc_site's schema (attributes, validators, plan modifiers and defaults) and
// no backend at all. Create and Update store the plan, unknown values as
// null; Read and Delete do nothing. A plan of N floor_site therefore costs
// what terraform-plugin-framework and Terraform spend on N resources of that
// schema, and the benchmark's floor_site row is the least a plan of N mc_site
// can cost with this framework: mc_site's own work is the difference.
package main

import (
	"context"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	mcprovider "github.com/mcplatform/terraform-provider-mc/internal/provider"
)

func main() {
	// As the mc provider does: no log lines are encoded when nobody asked
	// Terraform for them.
	mcprovider.QuietLogsUnlessAsked()
	err := providerserver.Serve(context.Background(), func() provider.Provider { return floorProvider{} }, providerserver.ServeOpts{
		Address: "registry.terraform.io/mcplatform/floor",
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}

// floorProvider is the provider "floor", without settings.
type floorProvider struct{}

var _ provider.Provider = floorProvider{}

func (floorProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "floor"
}

func (floorProvider) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {}

func (floorProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}

func (floorProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{func() resource.Resource { return &floorSite{site: mcprovider.NewSiteResource()} }}
}

func (floorProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }

// floorSite is floor_site: mc_site's schema, nothing behind it.
type floorSite struct{ site resource.Resource }

var _ resource.Resource = (*floorSite)(nil)

func (r *floorSite) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_site"
}

func (r *floorSite) Schema(ctx context.Context, req resource.SchemaRequest, resp *resource.SchemaResponse) {
	r.site.Schema(ctx, req, resp)
}

func (r *floorSite) Create(_ context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	resp.State.Raw = knownOrNull(req.Plan.Raw)
}

func (r *floorSite) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (r *floorSite) Update(_ context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.State.Raw = knownOrNull(req.Plan.Raw)
}

func (r *floorSite) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}

// knownOrNull returns v with every unknown value replaced by null.
func knownOrNull(v tftypes.Value) tftypes.Value {
	out, err := tftypes.Transform(v, func(_ *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if !v.IsKnown() {
			return tftypes.NewValue(v.Type(), nil), nil
		}
		return v, nil
	})
	if err != nil {
		// Transform fails only on a callback error, and this one has none.
		panic(err)
	}
	return out
}
