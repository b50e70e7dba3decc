# Alice develops the shop: write in Bitbucket, Developers in Jira, and
# developer in the shop's Harbor project as the Harbor user "alice".
resource "mc_project_member" "alice" {
  project     = mc_project.shop.key
  account_id  = "557058:0000000a-0000-4000-8000-00000000a11c"
  role        = "developer"
  harbor_user = "alice"
}

# Carol only reads: read in Bitbucket, Viewers in Jira. With no Harbor
# identity, Harbor is left alone.
resource "mc_project_member" "carol" {
  project    = mc_project.shop.key
  account_id = "557058:0000000c-0000-4000-8000-00000000ca01"
  role       = "viewer"
}

# The platform team administers it: admin in Bitbucket, Administrators in
# Jira, and the group bound to the admin role of the shop's AppProject at
# every Argo CD site of the project.
resource "mc_project_member" "platform_devs" {
  project = mc_project.shop.key
  group   = "platform-devs"
  role    = "admin"
}
