# Quickstart: register the hub (site A) and a remote site (site B) whose Argo
# CD follows a GitOps repository path, replicate site B's images to the hub's
# Harbor, and create a workload cluster at site B registered in its Argo CD. `make demo` runs this against the local platform; the
# provider reads its connection from MC_KUBECONFIG and MC_NAMESPACE.

terraform {
  required_version = ">= 1.11"
  required_providers {
    mc = {
      source = "mcplatform/mc"
    }
  }
}

provider "mc" {}

variable "gitops_repo_url" {
  description = "URL of the GitOps repository that holds sites/<site>/ manifests."
  type        = string
}

variable "gitops_username" {
  description = "Username for the GitOps repository."
  type        = string
}

variable "gitops_password" {
  description = "Password or token for the GitOps repository; never stored in state."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "harbor_a_url" {
  description = "URL of the hub's Harbor (site A)."
  type        = string
}

variable "harbor_b_url" {
  description = "URL of site B's Harbor."
  type        = string
}

variable "harbor_username" {
  description = "Harbor user of both sites."
  type        = string
}

variable "harbor_password" {
  description = "Harbor password of both sites; never stored in state."
  type        = string
  sensitive   = true
  ephemeral   = true
}

# The platform plane's own cluster is the hub's management cluster.
resource "mc_site" "site_a" {
  name        = "site-a"
  description = "Platform plane: portal, Bitbucket, Jira and the hub Harbor"

  harbor = {
    url                 = var.harbor_a_url
    username            = var.harbor_username
    password_wo         = var.harbor_password
    password_wo_version = 1
  }
}

resource "mc_site" "site_b" {
  name        = "site-b"
  description = "Remote site B: control plane and bare-metal workload clusters"
  labels = {
    region = "kr-central"
    tier   = "remote"
  }

  gitops = {
    repo_url            = var.gitops_repo_url
    path                = "sites/site-b"
    username            = var.gitops_username
    password_wo         = var.gitops_password
    password_wo_version = 1
  }

  harbor = {
    url                 = var.harbor_b_url
    username            = var.harbor_username
    password_wo         = var.harbor_password
    password_wo_version = 1
  }
}

# Images built at site B are pushed into the hub on every push (an
# event_based trigger needs direction push: a Harbor sees no events of
# another one); the first run happens now. The hub's registry endpoint at
# site B logs in with a robot account made in the hub's Harbor, allowed to
# push to the library project and to create missing projects.
resource "mc_image_replication" "site_b_to_hub" {
  name             = "site-b-to-hub"
  source_site      = mc_site.site_b.name
  destination_site = mc_site.site_a.name
  direction        = "push"

  filters = {
    name = "library/**"
  }

  trigger = {
    type = "event_based"
  }

  run_on_create = true
}

# A workload cluster at site B. The local platform runs Cluster API with its
# in-memory backend; on real hosts drop `infrastructure` (BYOH is the
# default) and set control_plane.endpoint to the cluster's virtual IP.
resource "mc_cluster" "dev" {
  site               = mc_site.site_b.id
  namespace          = "clusters"
  name               = "dev-1"
  infrastructure     = "in_memory"
  kubernetes_version = "v1.36.0"

  control_plane = {
    replicas = 1
  }

  worker_pools = [
    {
      name     = "workers"
      replicas = 2
      labels   = { "node-role.kubernetes.io/worker" = "" }
    },
  ]

  labels = {
    env = "dev"
  }
}

output "site_b" {
  value = {
    ready              = mc_site.site_b.ready
    kubernetes_version = mc_site.site_b.kubernetes_version
    capi_version       = mc_site.site_b.capi_version
    root_application   = mc_site.site_b.root_application
    harbor_version     = mc_site.site_b.harbor_version
  }
}

output "site_b_to_hub" {
  value = {
    policy_id      = mc_image_replication.site_b_to_hub.policy_id
    last_execution = mc_image_replication.site_b_to_hub.last_execution
  }
}

output "cluster" {
  value = {
    ready               = mc_cluster.dev.ready
    phase               = mc_cluster.dev.phase
    endpoint            = mc_cluster.dev.endpoint
    ready_workers       = mc_cluster.dev.ready_workers
    kubernetes_version  = mc_cluster.dev.observed_kubernetes_version
    argocd_cluster_name = mc_cluster.dev.argocd_cluster_name
  }
}
