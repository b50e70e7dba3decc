# An application is imported by <PROJECT>/<name>. The import reads the
# application record (written by mc_application or a GitOpsApplication),
# which says what the repositories were made from; without one, the next
# apply records the declared template.
terraform import mc_application.shop WEB/shop
