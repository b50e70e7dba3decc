package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/notificationchannel"
	"github.com/mcplatform/terraform-provider-mc/internal/notify"
)

// Default timeouts of mc_notification_channel: one Secret write.
const (
	notificationChannelCreateTimeout = time.Minute
	notificationChannelUpdateTimeout = time.Minute
	notificationChannelDeleteTimeout = time.Minute
)

// notificationChannelKind is mc_notification_channel.
var notificationChannelKind = &kind[notificationChannelModel, notificationchannel.Spec, notificationchannel.Status]{
	typeName: "notification_channel",
	noun:     "notification channel",
	schema:   notificationChannelSchema,
	client: func(d *providerData) (engine.Client[notificationchannel.Spec, notificationchannel.Status], error) {
		reg, err := d.platform()
		if err != nil {
			return nil, err
		}
		return notificationchannel.New(reg), nil
	},
	expand:        expandNotificationChannel,
	flatten:       flattenNotificationChannelObservation,
	id:            func(m *notificationChannelModel) *types.String { return &m.ID },
	timeouts:      func(m *notificationChannelModel) timeouts.Value { return m.Timeouts },
	createTimeout: notificationChannelCreateTimeout, updateTimeout: notificationChannelUpdateTimeout, deleteTimeout: notificationChannelDeleteTimeout,
	attributePaths: notificationChannelAttributePaths,
	validateSpec:   notificationchannel.ValidatePartial,
	validate:       validateNotificationChannel,
	secrets: func(config *notificationChannelModel) []string {
		return []string{config.URLWO.ValueString(), config.HMACSecretWO.ValueString()}
	},
}

// NewNotificationChannelResource returns the mc_notification_channel resource.
func NewNotificationChannelResource() resource.Resource {
	return newResource(notificationChannelKind)()
}

// notificationChannelAttributePaths maps the engine's argument names onto
// this schema's.
var notificationChannelAttributePaths = map[string]string{
	"url":                 "url_wo",
	"url_version":         "url_wo_version",
	"hmac_secret":         "hmac_secret_wo",
	"hmac_secret_version": "hmac_secret_wo_version",
}

type notificationChannelModel struct {
	ID                  types.String   `tfsdk:"id"`
	Name                types.String   `tfsdk:"name"`
	Type                types.String   `tfsdk:"type"`
	URLWO               types.String   `tfsdk:"url_wo"`
	URLWOVersion        types.Int64    `tfsdk:"url_wo_version"`
	HMACSecretWO        types.String   `tfsdk:"hmac_secret_wo"`
	HMACSecretWOVersion types.Int64    `tfsdk:"hmac_secret_wo_version"`
	Events              types.Set      `tfsdk:"events"`
	Secret              types.String   `tfsdk:"secret"`
	Timeouts            timeouts.Value `tfsdk:"timeouts"`
}

func notificationChannelSchema(ctx context.Context) schema.Schema {
	allEvents := make([]string, len(notify.Events))
	copy(allEvents, notify.Events)
	defaultEvents, _ := types.SetValueFrom(ctx, types.StringType, allEvents)
	return schema.Schema{
		MarkdownDescription: "A channel that lifecycle notices go to: a `webhook`, which receives each notice as JSON signed with HMAC-SHA256 " +
			"(header `X-MC-Signature: sha256=<hex>` when `hmac_secret_wo` is set, with `X-MC-Event` and `X-MC-Delivery`, an id that is the same " +
			"on every retry), or a `slack` incoming webhook, which receives a Slack `{text, blocks}` message. Deliveries are retried with " +
			"backoff on 5xx answers, 429 (honouring `Retry-After`) and connection errors, a bounded number of times.\n\n" +
			"`mc_ci_run` (its `notify`, sent by the task runner itself) and `mc_application_deployment` and `mc_helm_release` " +
			"(their `notify`, sent after the wait of a create or update) name channels. The channel is stored as the Secret " +
			"`mc-notify-<name>` in the registry namespace of the platform plane. Its URL is a secret too (webhook URLs carry their own " +
			"credentials): it and the HMAC secret are write-only, never in state, plan or logs. Import by name; the write-only values " +
			"stay null in the imported state, and the next apply that changes `url_wo_version` writes them again.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The channel's name, also the import ID.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Name of the channel, which other resources' `notify` use; a DNS-1123 label. Changing it replaces the channel.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:          []validator.String{dnsLabel()},
			},
			"type": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "`webhook` (a signed JSON notice) or `slack` (a Slack-compatible `{text, blocks}` message).",
				Validators:          []validator.String{stringvalidator.OneOf(notify.Types...)},
			},
			"url_wo": schema.StringAttribute{
				Required:            true,
				WriteOnly:           true,
				Sensitive:           true,
				MarkdownDescription: "URL notices are posted to (`http` or `https`). Write-only: never stored in state. Change `url_wo_version` to send a new URL.",
			},
			"url_wo_version": schema.Int64Attribute{
				Required:            true,
				MarkdownDescription: "Version of `url_wo`. Changing it writes the URL again.",
				Validators:          []validator.Int64{int64validator.AtLeast(0)},
			},
			"hmac_secret_wo": schema.StringAttribute{
				Optional:            true,
				WriteOnly:           true,
				Sensitive:           true,
				MarkdownDescription: "Key of the HMAC-SHA256 signature of each body (`X-MC-Signature`). Write-only: never stored in state. Set `hmac_secret_wo_version` with it.",
			},
			"hmac_secret_wo_version": schema.Int64Attribute{
				Optional:            true,
				MarkdownDescription: "Version of `hmac_secret_wo`, from 1. Changing it writes the secret again; removing both removes the secret.",
				Validators:          []validator.Int64{int64validator.AtLeast(1)},
			},
			"events": schema.SetAttribute{
				Optional:    true,
				Computed:    true,
				ElementType: types.StringType,
				Default:     setdefault.StaticValue(defaultEvents),
				MarkdownDescription: "Events the channel receives; default all of them: `run_started`, `run_succeeded`, `run_failed`, " +
					"`run_timed_out` (CI runs), `sync_succeeded`, `sync_failed` (GitOps deployments).",
				Validators: []validator.Set{setvalidator.ValueStringsAre(stringvalidator.OneOf(notify.Events...))},
			},
			"secret": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The Secret holding the channel, `<namespace>/<name>`, on the platform plane.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"timeouts": timeouts.Attributes(ctx, timeouts.Opts{Create: true, Update: true, Delete: true}),
		},
	}
}

// validateNotificationChannel checks that each write-only value comes with
// its version.
func validateNotificationChannel(_ context.Context, m notificationChannelModel, diags *diag.Diagnostics) {
	if m.HMACSecretWO.IsUnknown() || m.HMACSecretWOVersion.IsUnknown() {
		return
	}
	if !m.HMACSecretWO.IsNull() && m.HMACSecretWOVersion.IsNull() {
		diags.AddAttributeError(path.Root("hmac_secret_wo_version"), "Missing hmac_secret_wo_version",
			"Set hmac_secret_wo_version with hmac_secret_wo, and change it whenever the secret changes")
	}
	if m.HMACSecretWO.IsNull() && !m.HMACSecretWOVersion.IsNull() {
		diags.AddAttributeError(path.Root("hmac_secret_wo"), "Missing hmac_secret_wo",
			"Set hmac_secret_wo_version only with hmac_secret_wo")
	}
}

// expandNotificationChannel builds the engine spec from the plan, with the
// write-only URL and secret from the configuration (nil on read).
func expandNotificationChannel(ctx context.Context, plan, config *notificationChannelModel) (notificationchannel.Spec, diag.Diagnostics) {
	var diags diag.Diagnostics
	s := notificationchannel.Spec{
		Name: plan.Name.ValueString(), Type: plan.Type.ValueString(),
		URLVersion: plan.URLWOVersion.ValueInt64(), HMACSecretVersion: plan.HMACSecretWOVersion.ValueInt64(),
	}
	if config != nil {
		s.URL, s.HMACSecret = config.URLWO.ValueString(), config.HMACSecretWO.ValueString()
	}
	if !plan.Events.IsNull() && !plan.Events.IsUnknown() {
		diags.Append(plan.Events.ElementsAs(ctx, &s.Events, true)...)
	}
	return s, diags
}

// flattenNotificationChannelObservation writes what Observe found into m;
// the write-only values stay null.
func flattenNotificationChannelObservation(ctx context.Context, m *notificationChannelModel, obs engine.Observation[notificationchannel.Spec, notificationchannel.Status], applied bool) diag.Diagnostics {
	var diags diag.Diagnostics
	m.Secret = types.StringValue(obs.Status.SecretNamespace + "/" + obs.Status.SecretName)
	m.URLWO, m.HMACSecretWO = types.StringNull(), types.StringNull()
	if applied {
		return diags
	}
	s := obs.Actual
	m.ID = types.StringValue(s.ID())
	m.Name = types.StringValue(s.Name)
	m.Type = types.StringValue(s.Type)
	m.URLWOVersion = types.Int64Value(s.URLVersion)
	m.HMACSecretWOVersion = optionalInt64(s.HMACSecretVersion)
	v, d := types.SetValueFrom(ctx, types.StringType, s.Events)
	diags.Append(d...)
	m.Events = v
	return diags
}
