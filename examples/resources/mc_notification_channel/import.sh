# A notification channel is imported by its name. The URL and HMAC secret are
# write-only and stay null in the imported state: keep url_wo and
# hmac_secret_wo in the configuration, and bump url_wo_version to write them.
terraform import mc_notification_channel.ops ops
