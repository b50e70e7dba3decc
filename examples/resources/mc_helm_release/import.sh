# A Helm release is imported by <site>/<cluster>/<namespace>/<name>.
terraform import mc_helm_release.ingress site-b/brownfield-1/ingress/ingress-nginx
