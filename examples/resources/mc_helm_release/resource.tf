# A chart from a Helm repository, installed into a registered cluster by
# the site's Argo CD. Changing the version or the values upgrades in place.
resource "mc_helm_release" "ingress" {
  site      = mc_site.b.name
  cluster   = mc_cluster_registration.brownfield.name
  namespace = "ingress"
  name      = "ingress-nginx"
  repo_url  = "https://kubernetes.github.io/ingress-nginx"
  chart     = "ingress-nginx"
  version   = "4.12.1"
  values = yamlencode({
    controller = { replicaCount = 2 }
  })
  set = {
    "controller.service.type" = "ClusterIP"
  }
}

# A chart pushed to the site's Harbor as an OCI artifact; Argo CD is given
# the site's Harbor credentials.
resource "mc_helm_release" "api" {
  site      = mc_site.b.name
  cluster   = mc_cluster_registration.brownfield.name
  namespace = "api"
  name      = "api"
  repo_url  = "oci://harbor.site-b.example/platform/api"
  version   = "1.4.0"
}

# A chart kept in a git repository, with a values file of the chart.
resource "mc_helm_release" "web" {
  site        = mc_site.b.name
  cluster     = mc_cluster_registration.brownfield.name
  namespace   = "web"
  name        = "web"
  repo_url    = "https://bitbucket.org/acme/web-yaml.git"
  path        = "charts/web"
  version     = "main"
  value_files = ["values-prod.yaml"]
}
