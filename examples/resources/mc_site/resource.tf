variable "site_b_token" {
  type      = string
  sensitive = true
  ephemeral = true
}

variable "gitops_password" {
  type      = string
  sensitive = true
  ephemeral = true
}

# A remote site whose management cluster is reached with a bearer token, and
# whose Argo CD follows sites/site-b in the platform's GitOps repository.
resource "mc_site" "site_b" {
  name        = "site-b"
  description = "Remote site B"
  labels = {
    region = "kr-central"
  }

  management_cluster = {
    host             = "https://10.20.0.10:6443"
    ca_certificate   = file("${path.module}/site-b-ca.pem")
    token_wo         = var.site_b_token
    token_wo_version = 1 # bump when the token changes
  }

  argocd = {
    namespace   = "argocd"
    destination = "in-cluster"
  }

  gitops = {
    repo_url            = "https://bitbucket.example.com/scm/platform/gitops.git"
    branch              = "main"
    path                = "sites/site-b"
    username            = "argocd"
    password_wo         = var.gitops_password
    password_wo_version = 1
  }

  timeouts = {
    create = "15m"
  }
}

# The platform plane's own cluster as a site (no management_cluster block).
resource "mc_site" "site_a" {
  name = "site-a"
}
