//go:build platform

package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/mcplatform/terraform-provider-mc/internal/engine/notificationchannel"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
	"github.com/mcplatform/terraform-provider-mc/internal/notify"
	"github.com/mcplatform/terraform-provider-mc/internal/sandbox/sandboxtest"
)

// notificationChannelConfig is provider and a webhook channel name whose
// URL and HMAC secret come from ephemeral variables (channelVariables), as
// a user passes secrets; events is the HCL of the events argument, or empty.
func notificationChannelConfig(provider, name string, urlVersion int, events string) string {
	return provider + fmt.Sprintf(`
variable "url" {
  type      = string
  sensitive = true
  ephemeral = true
}

variable "hmac" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "mc_notification_channel" "hook" {
  name                   = %q
  type                   = "webhook"
  url_wo                 = var.url
  url_wo_version         = %d
  hmac_secret_wo         = var.hmac
  hmac_secret_wo_version = 1
  %s
}
`, name, urlVersion, events)
}

// channelVariables are the values of notificationChannelConfig's variables.
func channelVariables(url, hmac string) config.Variables {
	return config.Variables{"url": config.StringVariable(url), "hmac": config.StringVariable(hmac)}
}

// secretsAbsent fails when any of secrets shows in the JSON of v.
func secretsAbsent(what string, v any, secrets ...string) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	for _, s := range secrets {
		if strings.Contains(string(raw), s) {
			return fmt.Errorf("the %s holds a write-only value (%d bytes of JSON)", what, len(raw))
		}
	}
	return nil
}

// noSecretsInPlan is a plan check that the plan JSON holds none of secrets.
type noSecretsInPlan []string

func (s noSecretsInPlan) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	resp.Error = secretsAbsent("plan", req.Plan, s...)
}

// noSecretsInState is a state check that the state JSON holds none of
// secrets.
type noSecretsInState []string

func (s noSecretsInState) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = secretsAbsent("state", req.State, s...)
}

// notificationChannelLifecycle creates a channel through the provider
// configured by provider (whose registry namespace is namespace, reached
// with cs), imports it, changes its events and its URL, and destroys it,
// checking that no write-only value reaches the plan or the state.
func notificationChannelLifecycle(t *testing.T, factories map[string]func() (tfprotov6.ProviderServer, error), provider, namespace string, cs kubernetes.Interface) {
	const name, hmac = "acc-notify-hook", "acc-notify-hmac-key"
	// Nothing is ever posted: the channel only stores the URL.
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	firstURL, secondURL := srv.URL+"/hooks/first-T0123", srv.URL+"/hooks/second-T4567"
	secrets := []string{"first-T0123", "second-T4567", hmac}
	secretName := registry.NotificationChannelSecretName(name)
	storedChannel := func() (notify.Channel, error) {
		sec, err := cs.CoreV1().Secrets(namespace).Get(context.Background(), secretName, metav1.GetOptions{})
		if err != nil {
			return notify.Channel{}, err
		}
		return notify.ChannelFromSecret(name, sec.Data)
	}
	expectStored := func(url string, events []string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			ch, err := storedChannel()
			if err != nil {
				return err
			}
			if ch.URL != url || ch.HMACSecret != hmac || !slices.Equal(ch.Events, events) {
				return fmt.Errorf("stored channel: url matches %v, hmac matches %v, events %v; want events %v",
					ch.URL == url, ch.HMACSecret == hmac, ch.Events, events)
			}
			return nil
		}
	}
	noSecrets := resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{noSecretsInPlan(secrets)}}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		CheckDestroy: func(*terraform.State) error {
			if _, err := cs.CoreV1().Secrets(namespace).Get(context.Background(), secretName, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				return fmt.Errorf("the channel's Secret after destroy: err = %v, want NotFound", err)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config:          notificationChannelConfig(provider, name, 1, `events = ["run_failed", "sync_failed"]`),
				ConfigVariables: channelVariables(firstURL, hmac),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{noSecretsInPlan(secrets)},
					PostApplyPostRefresh: []plancheck.PlanCheck{noSecretsInPlan(secrets), plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{noSecretsInState(secrets)},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_notification_channel.hook", "id", name),
					resource.TestCheckResourceAttr("mc_notification_channel.hook", "secret", namespace+"/"+secretName),
					resource.TestCheckResourceAttr("mc_notification_channel.hook", "events.#", "2"),
					resource.TestCheckNoResourceAttr("mc_notification_channel.hook", "url_wo"),
					resource.TestCheckNoResourceAttr("mc_notification_channel.hook", "hmac_secret_wo"),
					expectStored(firstURL, []string{"run_failed", "sync_failed"}),
				),
			},
			{
				Config:            notificationChannelConfig(provider, name, 1, `events = ["run_failed", "sync_failed"]`),
				ConfigVariables:   channelVariables(firstURL, hmac),
				ResourceName:      "mc_notification_channel.hook",
				ImportState:       true,
				ImportStateId:     name,
				ImportStateVerify: true,
				// Write-only values are null in state anyway; timeouts are
				// configuration only.
				ImportStateVerifyIgnore: []string{"url_wo", "hmac_secret_wo", "timeouts"},
			},
			{
				// Events back to the default (all): an update in place.
				Config:          notificationChannelConfig(provider, name, 1, ""),
				ConfigVariables: channelVariables(firstURL, hmac),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("mc_notification_channel.hook", plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_notification_channel.hook", "events.#", fmt.Sprint(len(notify.Events))),
					expectStored(firstURL, notify.Events),
				),
			},
			{
				// A new URL without a new version is not seen: write-only
				// values are not compared.
				Config:           notificationChannelConfig(provider, name, 1, ""),
				ConfigVariables:  channelVariables(secondURL, hmac),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				Check:            expectStored(firstURL, notify.Events),
			},
			{
				// The new URL with a new version is written.
				Config:            notificationChannelConfig(provider, name, 2, ""),
				ConfigVariables:   channelVariables(secondURL, hmac),
				ConfigPlanChecks:  noSecrets,
				ConfigStateChecks: []statecheck.StateCheck{noSecretsInState(secrets)},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("mc_notification_channel.hook", "url_wo_version", "2"),
					expectStored(secondURL, notify.Events),
					func(*terraform.State) error {
						sec, err := cs.CoreV1().Secrets(namespace).Get(context.Background(), secretName, metav1.GetOptions{})
						if err != nil {
							return err
						}
						if v := sec.Annotations[notificationchannel.AnnotationURLVersion]; v != "2" {
							return fmt.Errorf("url version annotation %q, want 2", v)
						}
						return nil
					},
				),
			},
			{
				Config:           notificationChannelConfig(provider, name, 2, ""),
				ConfigVariables:  channelVariables(secondURL, hmac),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}

func TestAccNotificationChannel_lifecycle(t *testing.T) {
	t.Parallel()
	p := sandboxtest.Platform(t)
	notificationChannelLifecycle(t, protoV6ProviderFactories, providerBlock(p), p.Namespace, platformClients(t, p))
}
