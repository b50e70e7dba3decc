# A site is imported by its name.
terraform import mc_site.site_b site-b
