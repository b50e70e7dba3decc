# An application of the WEB project: the repositories "shop" and
# "shop-yaml" in the project's Bitbucket project, made from template
# repositories. Template files ending in .tmpl are filled with
# initial_values (Go text/template: {{ .port }}, plus {{ .project }} and
# {{ .name }}) at the first push only.
resource "mc_application" "shop" {
  project = mc_project.web.key
  name    = "shop"

  template = {
    source_repo = "https://bitbucket.org/mcplatform/template-go-service.git"
    yaml_repo   = "https://bitbucket.org/mcplatform/template-go-service-yaml.git"
    ref         = "v1"
  }

  initial_values = {
    port = "8080"
  }

  # Leave both repositories in place on destroy.
  on_destroy = "orphan"
}

output "shop_clone_url" {
  value = mc_application.shop.source_clone_url
}
