# An application deployment is imported as <site>/<PROJECT>/<application>/<cluster>.
terraform import mc_application_deployment.web site-b/SHOP/web/brownfield-1
