# A cluster is imported by site/namespace/name, also when it was made with
# plain Cluster API manifests. deletion_protection starts as true.
terraform import mc_cluster.web site-b/clusters/web-1
