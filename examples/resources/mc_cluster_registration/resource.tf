# An existing cluster, not made by Cluster API, registered in site B's Argo
# CD as "legacy-1": Argo CD Applications deploy to it with
# destination.name = "legacy-1". The token is write-only: it goes to Argo CD
# and never into state; bump token_wo_version when it changes.
variable "legacy_token" {
  description = "Bearer token of a ServiceAccount bound to cluster-admin in the cluster."
  type        = string
  sensitive   = true
  ephemeral   = true
}

resource "mc_cluster_registration" "legacy" {
  site             = mc_site.site_b.name
  name             = "legacy-1"
  server           = "https://10.30.0.10:6443"
  ca_certificate   = file("${path.module}/legacy-ca.crt")
  token_wo         = var.legacy_token
  token_wo_version = 1

  labels = {
    env = "prod"
  }
}

output "legacy_kubernetes_version" {
  value = mc_cluster_registration.legacy.kubernetes_version
}
