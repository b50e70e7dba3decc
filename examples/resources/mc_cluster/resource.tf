# A workload cluster on bring-your-own hosts at site B: three control plane
# hosts behind a virtual IP and two worker pools chosen by host labels.
resource "mc_cluster" "web" {
  site               = mc_site.site_b.id
  namespace          = "clusters"
  name               = "web-1"
  kubernetes_version = "v1.36.0"

  control_plane = {
    replicas = 3
    endpoint = "10.20.0.10:6443"
  }

  worker_pools = [
    {
      name          = "general"
      replicas      = 3
      host_selector = { "mc.mcplatform.dev/pool" = "general" }
      labels        = { "node-role.kubernetes.io/worker" = "" }
    },
    {
      name          = "gpu"
      replicas      = 1
      host_selector = { "mc.mcplatform.dev/pool" = "gpu" }
      taints = [
        { key = "nvidia.com/gpu", value = "present", effect = "NoSchedule" },
      ]
    },
  ]

  pod_cidrs     = ["192.168.0.0/16"]
  service_cidrs = ["10.128.0.0/12"]

  labels = {
    env     = "prod"
    project = "web"
  }

  timeouts = {
    create = "90m"
  }
}

# For development and tests: Cluster API's in-memory backend, no hosts needed.
resource "mc_cluster" "dev" {
  site               = mc_site.site_b.id
  name               = "dev-1"
  infrastructure     = "in_memory"
  kubernetes_version = "v1.36.0"

  control_plane = {}
  worker_pools = [
    { name = "workers", replicas = 2 },
  ]

  deletion_protection = false
}

# A topology cluster of a Cluster API ClusterClass: spec.topology holds the
# version, the control plane replicas, the worker machine deployments and the
# class's variables (JSON values, checked against the class at plan time), and
# Cluster API's topology controller makes the rest. A ClusterClass for BYOH
# hosts is in examples/clusterclass/byoh.yaml; this one uses Cluster API's
# in-memory ClusterClass "in-memory".
resource "mc_cluster" "topology" {
  site               = mc_site.site_b.id
  namespace          = "clusters"
  name               = "topo-1"
  infrastructure     = "in_memory"
  kubernetes_version = "v1.36.0"

  control_plane = {
    replicas = 1
  }

  topology = {
    class = "in-memory"
    workers = [
      { name = "md-0", class = "default-worker", replicas = 2 },
    ]
  }

  deletion_protection = false
}
