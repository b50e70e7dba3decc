# Connect to the platform plane with a kubeconfig...
provider "mc" {
  kubeconfig_path    = "~/.kube/platform.yaml"
  kubeconfig_context = "platform-a"
  namespace          = "mc-system"
}

# ...or with a host and a token (here from environment variables:
# MC_HOST, MC_TOKEN, MC_CLUSTER_CA_CERTIFICATE).
provider "mc" {
  alias = "env"
}
