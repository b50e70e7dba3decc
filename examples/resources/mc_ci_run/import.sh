# A CI run is imported by <site>/<run name>, the TaskRun's name in namespace
# mc-tasks at the site (kubectl -n mc-tasks get taskruns). The import reads
# the inputs the run was made with from the TaskRun.
terraform import mc_ci_run.shop site-b/shop-0123456789
