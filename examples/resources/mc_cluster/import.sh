# A cluster is imported by site/namespace/name, also when it was made with
# plain Cluster API manifests. deletion_protection starts as true.
terraform import mc_cluster.web site-b/clusters/web-1

# A topology cluster (made from a ClusterClass, such as with clusterctl's
# templates) imports with its topology block filled in from the Cluster's
# spec.topology; its configuration needs topology, not worker_pools.
terraform import mc_cluster.topology site-b/clusters/topo-1
