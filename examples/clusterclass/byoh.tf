# A topology cluster of the BYOH ClusterClass in byoh.yaml: Cluster API's
# topology controller makes the control plane and one MachineDeployment per
# entry of workers; each entry claims the hosts labelled
# mc.mcplatform.dev/pool=<its name>.
resource "mc_cluster" "edge" {
  site               = mc_site.site_b.id
  namespace          = "clusters"
  name               = "edge-1"
  kubernetes_version = "v1.36.0"

  control_plane = {
    replicas = 3
  }

  topology = {
    class = "byoh"
    variables = {
      controlPlaneEndpoint     = jsonencode({ host = "10.20.0.20", port = 6443 })
      controlPlaneHostSelector = jsonencode({ "mc.mcplatform.dev/pool" = "edge-control-plane" })
    }
    workers = [
      { name = "general", class = "default-worker", replicas = 3 },
      { name = "gpu", class = "default-worker", replicas = 1 },
    ]
  }

  timeouts = {
    create = "90m"
  }
}
