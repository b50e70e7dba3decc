# Quickstart: register the hub (site A) and a remote site (site B) whose Argo
# CD follows a GitOps repository path, replicate site B's images to the hub's
# Harbor, create a workload cluster at site B registered in its Argo CD, and
# register an existing cluster (not made by Cluster API) in the same Argo CD,
# and make a team's project in Bitbucket, Jira, the hub's Harbor and site B's
# Argo CD, with an application's repositories made from templates. `make demo` runs this against the local platform; the provider
# reads its connection from MC_KUBECONFIG and MC_NAMESPACE, and Bitbucket's
# and Jira's from MC_BITBUCKET_* and MC_JIRA_*.

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

variable "workload_server" {
  description = "API server URL of an existing cluster to register in site B's Argo CD."
  type        = string
}

variable "workload_ca_file" {
  description = "Path of the PEM CA certificate of workload_server."
  type        = string
}

variable "workload_token" {
  description = "Bearer token Argo CD deploys to the existing cluster with; never stored in state."
  type        = string
  sensitive   = true
  ephemeral   = true
}

# The platform plane's own cluster is the hub's management cluster.
resource "mc_site" "site_a" {
  name        = "site-a"
  description = "Platform plane: portal, Bitbucket, Jira and the hub Harbor"
  # The hub: projects get their Harbor project here unless they name a site.
  hub = true

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

# An existing cluster (the local platform's workload cluster), registered in
# site B's Argo CD so that applications can deploy to it as "brownfield-1".
resource "mc_cluster_registration" "brownfield" {
  site             = mc_site.site_b.name
  name             = "brownfield-1"
  server           = var.workload_server
  ca_certificate   = file(var.workload_ca_file)
  token_wo         = var.workload_token
  token_wo_version = 1

  labels = {
    env = "dev"
  }
}

# A Helm chart kept in the GitOps repository (charts/hello), installed into
# the brownfield cluster by site B's Argo CD. Changing the values upgrades
# it in place; the apply waits until it is Synced and Healthy.
resource "mc_helm_release" "hello" {
  site      = mc_site.site_b.name
  cluster   = mc_cluster_registration.brownfield.name
  namespace = "hello"
  name      = "hello"
  repo_url  = var.gitops_repo_url
  path      = "charts/hello"
  version   = "main"
  values = yamlencode({
    greeting = "Hello from site B"
  })
  set = {
    site = mc_site.site_b.name
  }
}

variable "bitbucket_workspace" {
  description = "Bitbucket workspace of the team projects."
  type        = string
  default     = "mcplatform"
}

variable "template_source_repo" {
  description = "https clone URL of the Go service's source template repository (the local platform seeds one in its Bitbucket)."
  type        = string
}

variable "template_yaml_repo" {
  description = "https clone URL of the Go service's yaml template repository."
  type        = string
}

variable "project_lead_account_id" {
  description = "Atlassian account ID of the web project's lead (the local platform's alice)."
  type        = string
  default     = "557058:0000000a-0000-4000-8000-00000000a11c"
}

# A team's project: a Bitbucket project, a Jira project, a Harbor project at
# the hub, and an Argo CD AppProject at site B limited to the project's
# repositories and site B's clusters.
resource "mc_project" "web" {
  key         = "WEB"
  name        = "Web shop"
  description = "The shop's front end and its APIs"

  bitbucket = {
    workspace = var.bitbucket_workspace
  }

  jira = {
    lead_account_id = var.project_lead_account_id
  }

  # No site: the Harbor project is made at the hub, site A.
  harbor = {}

  argocd = {
    sites = [mc_site.site_b.name]
  }

  # The AppProject lists site B's clusters: make it after the clusters; the
  # Harbor project goes to the hub, which must be registered first.
  depends_on = [mc_site.site_a, mc_cluster.dev, mc_cluster_registration.brownfield]
}

# The project's shop application: a source repository "shop" and a yaml
# repository "shop-yaml" in the project's Bitbucket project, made from the
# Go service templates, whose .tmpl files are filled with initial_values.
resource "mc_application" "shop" {
  project = mc_project.web.key
  name    = "shop"

  template = {
    source_repo = var.template_source_repo
    yaml_repo   = var.template_yaml_repo
  }

  initial_values = {
    port = "8080"
  }
}

# The project's members, each with one role in every system of the project
# (the local platform's seeded Atlassian identities): Bob develops, Carol
# reads, and the platform-devs group administers, which also binds it to
# the admin role of the AppProject at site B.
resource "mc_project_member" "bob" {
  project    = mc_project.web.key
  account_id = "557058:0000000b-0000-4000-8000-000000000b0b"
  role       = "developer"
}

resource "mc_project_member" "carol" {
  project    = mc_project.web.key
  account_id = "557058:0000000c-0000-4000-8000-00000000ca01"
  role       = "viewer"
}

resource "mc_project_member" "platform_devs" {
  project = mc_project.web.key
  group   = "platform-devs"
  role    = "admin"
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

output "brownfield" {
  value = {
    argocd_secret      = mc_cluster_registration.brownfield.argocd_secret
    kubernetes_version = mc_cluster_registration.brownfield.kubernetes_version
  }
}

output "hello_release" {
  value = {
    application   = mc_helm_release.hello.application
    revision      = mc_helm_release.hello.revision
    health_status = mc_helm_release.hello.health_status
  }
}

output "project" {
  value = {
    ready             = mc_project.web.ready
    bitbucket_uuid    = mc_project.web.bitbucket_uuid
    jira_id           = mc_project.web.jira_id
    harbor_project_id = mc_project.web.harbor_project_id
    app_projects      = mc_project.web.app_projects
  }
}

output "application" {
  value = {
    source_clone_url      = mc_application.shop.source_clone_url
    yaml_clone_url        = mc_application.shop.yaml_clone_url
    source_initial_commit = mc_application.shop.source_initial_commit
    yaml_initial_commit   = mc_application.shop.yaml_initial_commit
  }
}

output "project_members" {
  value = {
    bob           = mc_project_member.bob.grants
    carol         = mc_project_member.carol.grants
    platform_devs = mc_project_member.platform_devs.grants
  }
}

# The shop application deployed to the registered existing cluster through
# site B's GitOps repository: a Deployment with the image is committed to the
# application's yaml repository, an Argo CD Application to the GitOps
# repository; the apply returns once Argo CD reports it Synced and Healthy at
# that commit, that is once the Deployment is Available.
# The shop's source, built at site B next to its Harbor by the site's task
# runner: checked out, built, pushed to site B's Harbor, scanned, and
# replicated to the hub by the site_b_to_hub policy (it covers library/**).
resource "mc_ci_run" "shop" {
  site = mc_site.site_b.name

  source = {
    application = mc_application.shop.id
    revision    = "main"
  }

  image = {
    project    = "library"
    repository = "shop"
  }

  build = {
    command    = "CGO_ENABLED=0 go build -trimpath -o $OUT/app ."
    entrypoint = ["/app"]
  }

  depends_on = [mc_image_replication.site_b_to_hub]
}

resource "mc_application_deployment" "shop" {
  application = mc_application.shop.id
  site        = mc_site.site_b.name
  cluster     = mc_cluster_registration.brownfield.name
  namespace   = "shop"

  # The image the hub received from the run, by digest.
  image = {
    repository = split("@", mc_ci_run.shop.hub_image_ref)[0]
    digest     = mc_ci_run.shop.image_digest
  }

  sync_policy = {
    automated    = true
    prune        = true
    self_heal    = true
    sync_options = ["CreateNamespace=true"]
  }
}

output "ci_run" {
  value = {
    image_digest    = mc_ci_run.shop.image_digest
    hub_image_ref   = mc_ci_run.shop.hub_image_ref
    resolved_commit = mc_ci_run.shop.resolved_commit
    steps           = [for s in mc_ci_run.shop.steps : "${s.name} ${s.phase} ${coalesce(s.duration, "-")}"]
  }
}

output "deployment" {
  value = {
    argocd_application = mc_application_deployment.shop.argocd_application
    yaml_commit        = mc_application_deployment.shop.yaml_commit
    synced_revision    = mc_application_deployment.shop.synced_revision
    sync_status        = mc_application_deployment.shop.sync_status
    health_status      = mc_application_deployment.shop.health_status
  }
}
