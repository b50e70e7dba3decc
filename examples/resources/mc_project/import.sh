# A project is imported by its key. The import reads the project record that
# mc_project (or a Project) wrote, which says which parts the project has.
terraform import mc_project.web WEB
