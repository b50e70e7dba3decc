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

# Images of site C are pushed into the hub as soon as they are pushed at
# site C, at most 10 MB/s per task, deletions included. Settings left out
# (such as copy_by_chunk) keep what the policy has in Harbor.
resource "mc_image_replication" "site_c_to_hub" {
  name             = "site-c-to-hub"
  source_site      = mc_site.site_c.name
  destination_site = mc_site.site_a.name
  direction        = "push"

  filters = {
    name = "apps/**"
  }

  trigger = {
    type = "event_based"
  }

  speed              = 10240
  replicate_deletion = true
}
