# A webhook that receives every CI run and sync notice as signed JSON, and a
# Slack channel that only hears about failures. Webhook URLs carry their own
# credentials, so the URL is write-only like the HMAC secret: neither goes
# into state or plan; bump the *_wo_version when one changes.
variable "ops_webhook_url" {
  type      = string
  sensitive = true
  ephemeral = true
}

variable "ops_webhook_hmac" {
  type      = string
  sensitive = true
  ephemeral = true
}

variable "slack_webhook_url" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "mc_notification_channel" "ops" {
  name                   = "ops"
  type                   = "webhook"
  url_wo                 = var.ops_webhook_url
  url_wo_version         = 1
  hmac_secret_wo         = var.ops_webhook_hmac
  hmac_secret_wo_version = 1
}

resource "mc_notification_channel" "alerts" {
  name           = "alerts"
  type           = "slack"
  url_wo         = var.slack_webhook_url
  url_wo_version = 1
  events         = ["run_failed", "run_timed_out", "sync_failed"]
}

# A deployment that tells both channels how each sync ended.
resource "mc_application_deployment" "web" {
  application = "SHOP/web"
  site        = "site-b"
  cluster     = "web-1"
  namespace   = "shop"
  image = {
    repository = "harbor.site-b.example.com/shop/web"
    tag        = "1.4.2"
  }
  notify = [mc_notification_channel.ops.name, mc_notification_channel.alerts.name]
}
