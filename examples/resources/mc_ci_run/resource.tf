# Build the source of an application at site B, next to its Harbor: the
# task runner there checks it out, builds it, pushes the image, has Harbor
# scan it and replicates it to the hub.
resource "mc_ci_run" "shop" {
  site = mc_site.site_b.name

  source = {
    application = mc_application.shop.id
    revision    = "main"
  }

  image = {
    project    = "shop"
    repository = "shop"
    tag        = "v1"
  }

  build = {
    command    = "CGO_ENABLED=0 go build -trimpath -o $OUT/app ."
    entrypoint = ["/app"]
  }

  # The defaults: scan, and fail the run on a Critical finding.
  scan = {
    enabled = true
    fail_on = "Critical"
  }

  # Not set: the hub, through the replication policy of site B's Harbor.
  # replicate_to = ["site-a"]

  # Change a value to build the same inputs again (a branch that moved).
  triggers = {
    build = "1"
  }

  notify = [mc_notification_channel.team.name]

  timeouts = {
    create = "20m"
  }
}

# Deploy the image the hub received, by digest.
resource "mc_application_deployment" "shop" {
  # ...
  image = {
    repository = split("@", mc_ci_run.shop.hub_image_ref)[0]
    digest     = mc_ci_run.shop.image_digest
  }
}
