# Quickstart: register a site whose Argo CD follows a GitOps repository path.
# `make demo` runs this against the local platform; the provider reads its
# connection from MC_KUBECONFIG and MC_NAMESPACE.

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
}

output "site_b" {
  value = {
    ready              = mc_site.site_b.ready
    kubernetes_version = mc_site.site_b.kubernetes_version
    capi_version       = mc_site.site_b.capi_version
    root_application   = mc_site.site_b.root_application
  }
}
