# The provider needs the platform's Bitbucket and Jira for the bitbucket and
# jira blocks (or MC_BITBUCKET_* and MC_JIRA_* in the environment).
provider "mc" {
  bitbucket = {
    url      = "https://api.bitbucket.org/2.0"
    username = "platform-bot"
    token    = var.bitbucket_token
  }
  jira = {
    url       = "https://mcplatform.atlassian.net"
    email     = "platform-bot@mcplatform.example"
    api_token = var.jira_api_token
  }
}

# One team's project in every system: Bitbucket, Jira, the hub's Harbor and
# an Argo CD AppProject at site B.
resource "mc_project" "web" {
  key         = "WEB"
  name        = "Web shop"
  description = "The shop's front end and its APIs"

  bitbucket = {
    workspace = "mcplatform"
  }

  jira = {
    lead_account_id = "557058:0000000a-0000-4000-8000-00000000a11c"
    # The project goes to Jira's trash on destroy; its key stays reserved
    # there until it is deleted permanently.
  }

  harbor = {
    site = mc_site.site_a.name
  }

  argocd = {
    sites = [mc_site.site_b.name]
  }
}
