"""Knowledge the parsers and checks read: data files, one per subject (`modules.yaml`: well-known Terraform
modules). Data, not code: each entry names where it comes from."""
