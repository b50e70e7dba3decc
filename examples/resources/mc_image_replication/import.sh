# An image replication is imported as <site that runs the policy>/<policy name>:
# the destination site for pull replications, the source site for push ones.
terraform import mc_image_replication.site_b_to_hub site-a/site-b-to-hub
