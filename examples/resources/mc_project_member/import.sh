# A user member is imported as <KEY>/<account id>, a group member as
# <KEY>/group:<name>; a member with a Harbor identity adds it after '#'.
terraform import mc_project_member.carol 'SHOP/557058:0000000c-0000-4000-8000-00000000ca01'
terraform import mc_project_member.platform_devs 'SHOP/group:platform-devs'
terraform import mc_project_member.alice 'SHOP/557058:0000000a-0000-4000-8000-00000000a11c#harbor_user=alice'
