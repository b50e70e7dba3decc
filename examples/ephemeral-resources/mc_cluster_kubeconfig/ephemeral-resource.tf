# Configure the kubernetes provider for a cluster made in the same
# configuration; the credentials never reach state or plan files.
ephemeral "mc_cluster_kubeconfig" "web" {
  cluster_id = mc_cluster.web.id
}

provider "kubernetes" {
  host                   = ephemeral.mc_cluster_kubeconfig.web.host
  cluster_ca_certificate = ephemeral.mc_cluster_kubeconfig.web.cluster_ca_certificate
  client_certificate     = ephemeral.mc_cluster_kubeconfig.web.client_certificate
  client_key             = ephemeral.mc_cluster_kubeconfig.web.client_key
}
