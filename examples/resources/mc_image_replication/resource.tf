# Images built at site B are pulled into the hub's Harbor (site A) every
# night; the first run happens at create, and the apply waits for it.
resource "mc_image_replication" "site_b_to_hub" {
  name             = "site-b-to-hub"
  source_site      = mc_site.site_b.name
  destination_site = mc_site.site_a.name
  direction        = "pull"

  filters = {
    name = "apps/**"
    tag  = "v*"
  }

  trigger = {
    type = "scheduled"
    cron = "0 0 2 * * *"
  }

  run_on_create = true

  timeouts = {
    create = "1h"
  }
}
