# A cluster registration is imported as <site>/<name>; set token_wo and
# token_wo_version in the configuration before the next apply.
terraform import mc_cluster_registration.legacy site-b/legacy-1
