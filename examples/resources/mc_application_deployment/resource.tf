# The application "web" of project SHOP deployed to the cluster "brownfield-1"
# of site B: the provider commits a Deployment running the image to the
# application's yaml repository (deploy/site-b/brownfield-1/deployment.yaml)
# and an Argo CD Application to site B's GitOps repository, then waits until
# Argo CD reports it Synced and Healthy at that commit. A new tag is a new
# commit, waited for in the same way.
resource "mc_application_deployment" "web" {
  application = mc_application.web.id # "SHOP/web"
  site        = mc_site.site_b.name
  cluster     = mc_cluster_registration.brownfield.name
  namespace   = "shop-web"

  image = {
    repository = "harbor.example/shop/web"
    tag        = "1.4.2"
  }

  sync_policy = {
    automated    = true
    prune        = true
    self_heal    = true
    sync_options = ["CreateNamespace=true"]
    retry = {
      limit            = 3
      backoff_duration = "5s"
    }
  }
}

output "web_synced_revision" {
  value = mc_application_deployment.web.synced_revision
}
